/** `tollgate revoke` against a real Redis: what it writes is what the apps' store reads. */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { revocationKey } from '@tollgate/core';
import { RedisRevocationStore } from '@tollgate/redis';
import { createTestIssuer, type TestIssuer } from '@tollgate/testing';
import { ioredisClient } from '../../redis/test/clients.js';
import { cli } from './run-cli.js';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const prefix = `tollgate-cli-revoke:${randomUUID()}:`;
let redis: Redis;
let store: RedisRevocationStore;
let idp: TestIssuer;

beforeAll(async () => {
  redis = await ioredisClient(REDIS_URL);
  store = new RedisRevocationStore({ client: redis, prefix });
  idp = await createTestIssuer();
});
afterAll(async () => {
  const keys = await redis.keys(`${prefix}*`);
  if (keys.length > 0) await redis.del(...keys);
  await redis.quit();
  await idp.close();
});

describe('tollgate revoke', () => {
  it('revokes a token until its exp', async () => {
    const token = await idp.mint({ jti: `t-${randomUUID()}` });
    const jti = JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()).jti as string;
    const result = await cli(['revoke', '--redis', REDIS_URL, '--prefix', prefix, '--token', token]);
    expect(result).toMatchObject({ code: 0, stderr: '' });
    expect(result.stdout).toMatch(new RegExp(`^Revoked the token with jti ${jti} of issuer ${idp.issuer} until \\d{4}-`));
    expect(await store.isRevoked({ iss: idp.issuer, jti })).toBe(true);
    expect(await store.isRevoked({ iss: 'https://another.example', jti })).toBe(false);
    expect(await store.isRevoked({ iss: idp.issuer, jti: 'another' })).toBe(false);
  });

  it('reads the token from stdin for --token -, so it stays out of argv and shell history', async () => {
    const token = await idp.mint({ jti: `t-${randomUUID()}` });
    const jti = JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()).jti as string;
    const result = await cli(['revoke', '--redis', REDIS_URL, '--prefix', prefix, '--token', '-'], { readStdin: async () => `${token}\n` });
    expect(result).toMatchObject({ code: 0, stderr: '' });
    expect(result.stdout).not.toContain(token);
    expect(await store.isRevoked({ iss: idp.issuer, jti })).toBe(true);
  });

  it('reports a usage error before it waits on stdin', async () => {
    let read = false;
    const result = await cli(['revoke', '--redis', REDIS_URL, '--token', '-', '--jti', 'x'], { readStdin: async () => { read = true; return 'a.b.c'; } });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/exactly one/);
    expect(read).toBe(false);
  });

  it.each([
    ['empty', async () => ' \n', /holds no token/],
    ['two tokens', async () => 'a.b.c d.e.f', /exactly one token/],
    ['unreadable', async () => { throw new Error('stdin closed'); }, /stdin closed/],
    ['not available', undefined, /not available/],
  ])('refuses --token - with %s stdin (exit 2)', async (_what, readStdin, message) => {
    const result = await cli(['revoke', '--redis', REDIS_URL, '--prefix', prefix, '--token', '-'], readStdin === undefined ? {} : { readStdin });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(message);
    expect(result.stderr).not.toMatch(/a\.b\.c|d\.e\.f/); // what stdin held is never echoed
  });

  it('revokes a jti with its expiry, and every token of a subject issued before a time', async () => {
    expect((await cli(['revoke', '--redis', REDIS_URL, '--prefix', prefix, '--jti', 'by-jti', '--expires', String(Math.floor(Date.now() / 1000) + 60)])).code).toBe(0);
    expect(await store.isRevoked({ jti: 'by-jti' })).toBe(true);
    expect(await store.isRevoked({ iss: 'https://any.example', jti: 'by-jti' })).toBe(true);
    const before = new Date(Date.now() - 60_000);
    expect((await cli(['revoke', '--redis', REDIS_URL, '--prefix', prefix, '--subject', 'dave', '--before', before.toISOString()])).code).toBe(0);
    expect(await store.isRevoked({ sub: 'dave', iat: Math.floor(before.getTime() / 1000) - 10 })).toBe(true);
    expect(await store.isRevoked({ sub: 'dave', iat: Math.floor(Date.now() / 1000) })).toBe(false);
  });

  it('scopes --jti and --subject to --issuer, and to every issuer without it', async () => {
    const iat = Math.floor(Date.now() / 1000) - 10;
    const exp = String(Math.floor(Date.now() / 1000) + 60);
    expect((await cli(['revoke', '--redis', REDIS_URL, '--prefix', prefix, '--subject', 'erin', '--issuer', 'https://a.example'])).stdout).toMatch(/^Revoked every token of subject erin of issuer https:\/\/a\.example issued before/);
    expect(await store.isRevoked({ iss: 'https://a.example', sub: 'erin', iat })).toBe(true);
    expect(await store.isRevoked({ iss: 'https://b.example', sub: 'erin', iat })).toBe(false);
    expect((await cli(['revoke', '--redis', REDIS_URL, '--prefix', prefix, '--jti', 'scoped-jti', '--expires', exp, '--issuer', 'https://a.example'])).code).toBe(0);
    expect(await store.isRevoked({ iss: 'https://a.example', jti: 'scoped-jti' })).toBe(true);
    expect(await store.isRevoked({ iss: 'https://b.example', jti: 'scoped-jti' })).toBe(false);
    expect((await cli(['revoke', '--redis', REDIS_URL, '--prefix', prefix, '--jti', 'any-jti', '--expires', exp])).stdout).toMatch(/of every issuer/);
    expect(await store.isRevoked({ iss: 'https://b.example', jti: 'any-jti' })).toBe(true);
  });

  it('never shortens a revocation: a forged token with the revoked jti and an earlier exp changes nothing', async () => {
    const jti = `stolen-${randomUUID()}`;
    const stolen = await idp.mint({ jti }, { expiresIn: 3600 });
    const forged = await idp.mint({ jti }, { expiresIn: 1, key: await idp.foreignKey() });
    expect((await cli(['revoke', '--redis', REDIS_URL, '--prefix', prefix, '--token', stolen])).code).toBe(0);
    expect((await cli(['revoke', '--redis', REDIS_URL, '--prefix', prefix, '--token', forged])).code).toBe(0);
    await expect(redis.pttl(prefix + revocationKey('jti', jti, idp.issuer))).resolves.toBeGreaterThan(3_500_000);
  });

  it('keeps a token revoked past its exp for --clock-tolerance seconds (default 5)', async () => {
    const token = await idp.mint({ jti: `tolerant-${randomUUID()}` }, { expiresIn: 60 });
    const { exp } = JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()) as { exp: number };
    expect((await cli(['revoke', '--redis', REDIS_URL, '--prefix', prefix, '--token', token])).stdout).toContain(`until ${new Date((exp + 5) * 1000).toISOString()}`);
    expect((await cli(['revoke', '--redis', REDIS_URL, '--prefix', prefix, '--token', token, '--clock-tolerance', '120'])).stdout).toContain(`until ${new Date((exp + 120) * 1000).toISOString()}`);
    const expired = await idp.mint({}, { expiresIn: -60 });
    expect((await cli(['revoke', '--redis', REDIS_URL, '--prefix', prefix, '--token', expired, '--clock-tolerance', '300'])).stdout).toMatch(/^Revoked the token/);
  });

  it('says that nothing was written for a token that can no longer be accepted', async () => {
    const jti = `expired-${randomUUID()}`;
    const result = await cli(['revoke', '--redis', REDIS_URL, '--prefix', prefix, '--token', await idp.mint({ jti }, { expiresIn: -60 })]);
    expect(result).toMatchObject({ code: 0, stderr: '' });
    expect(result.stdout).toMatch(new RegExp(`^Nothing written: the token with jti ${jti} .* can no longer be accepted`));
    expect(result.stdout).not.toMatch(/Revoked/);
    await expect(redis.exists(prefix + revocationKey('jti', jti, idp.issuer))).resolves.toBe(0);
  });

  it('prints a hostile jti, subject or issuer with its control characters escaped, and stores it as it is', async () => {
    const jti = `x\u001b]0;owned\u0007\u001b[2J\u009b31m\u202e-${randomUUID()}`;
    const token = await idp.mint({ jti, iss: idp.issuer });
    const result = await cli(['revoke', '--redis', REDIS_URL, '--prefix', prefix, '--token', token]);
    expect(result.code).toBe(0);
    expect(result.stdout).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202e]/u);
    expect(result.stdout).toContain('x\\u{1b}]0;owned\\u{7}\\u{1b}[2J\\u{9b}31m\\u{202e}-');
    expect(await store.isRevoked({ iss: idp.issuer, jti })).toBe(true);
    const subject = await cli(['revoke', '--redis', REDIS_URL, '--prefix', prefix, '--subject', 'eve\u001b[2J', '--issuer', 'https://evil\u0007.example']);
    expect(subject.stdout).not.toMatch(/[\u0000-\u0009\u000b-\u001f]/u);
    const bad = await cli(['revoke', '--redis', REDIS_URL, '--prefix', prefix, '--subject', 's', '--before', 'now\u009b2J']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/u);
  });

  it.each([
    [['--token', 'a.b.c', '--issuer', 'https://a.example'], /--issuer goes with --jti or --subject/],
    [['--subject', 's', '--issuer', ''], /--issuer must not be empty/],
    [['--subject', 's', '--clock-tolerance', '5s'], /--clock-tolerance must be a whole number/],
    [['--jti', 'x'], /--expires/],
    [['--token', 'a', '--subject', 'b'], /exactly one/],
    [[], /exactly one/],
    [['--subject', 's', '--before', 'yesterday'], /ISO 8601/],
    [['--token', 'not-a-jwt'], /could not revoke/],
  ])('refuses %j with exit 2 and a clear message', async (args, message) => {
    const result = await cli(['revoke', '--redis', REDIS_URL, '--prefix', prefix, ...args]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(message);
    expect(result.stderr).not.toMatch(/\n\s+at /);
  });

  it('exits 2 when Redis cannot be reached', async () => {
    const result = await cli(['revoke', '--redis', 'redis://127.0.0.1:6390', '--subject', 'dave']);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/could not revoke/);
  });
});
