/** `tollgate revoke` against a real Redis: what it writes is what the apps' store reads. */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
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
    expect(result.stdout).toMatch(new RegExp(`^Revoked the token with jti ${jti} until \\d{4}-`));
    expect(await store.isRevoked({ jti })).toBe(true);
    expect(await store.isRevoked({ jti: 'another' })).toBe(false);
  });

  it('reads the token from stdin for --token -, so it stays out of argv and shell history', async () => {
    const token = await idp.mint({ jti: `t-${randomUUID()}` });
    const jti = JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()).jti as string;
    const result = await cli(['revoke', '--redis', REDIS_URL, '--prefix', prefix, '--token', '-'], { readStdin: async () => `${token}\n` });
    expect(result).toMatchObject({ code: 0, stderr: '' });
    expect(result.stdout).not.toContain(token);
    expect(await store.isRevoked({ jti })).toBe(true);
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
    const before = new Date(Date.now() - 60_000);
    expect((await cli(['revoke', '--redis', REDIS_URL, '--prefix', prefix, '--subject', 'dave', '--before', before.toISOString()])).code).toBe(0);
    expect(await store.isRevoked({ sub: 'dave', iat: Math.floor(before.getTime() / 1000) - 10 })).toBe(true);
    expect(await store.isRevoked({ sub: 'dave', iat: Math.floor(Date.now() / 1000) })).toBe(false);
  });

  it.each([
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
