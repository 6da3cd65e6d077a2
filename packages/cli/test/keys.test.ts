/**
 * `tollgate keys` against a real Redis and a real PostgreSQL: a key it creates is one the apps'
 * ApiKeys accepts; list never shows a hash, salt or secret; revoke and rotate reach the apps.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Redis } from 'ioredis';
import type pg from 'pg';
import { ApiKeys, isTollgateError, type ApiKeyStore } from '@tollgate/core';
import { PostgresApiKeyStore } from '@tollgate/postgres';
import { RedisApiKeyStore } from '@tollgate/redis';
import { deleteKeys, ioredisClient, REDIS_URL, runPrefix } from '../../redis/test/clients.js';
import { DATABASE_URL, dropTable, testPool, uniqueTable } from '../../../test/fixtures/postgres.js';
import { cli } from './run-cli.js';

const RUN = runPrefix();
const PREFIX = `${RUN}{apikeys}:`;
const TABLE = uniqueTable('cli');
let redis: Redis;
let pool: pg.Pool;

beforeAll(async () => {
  redis = await ioredisClient();
  pool = testPool();
});
afterAll(async () => {
  await deleteKeys(redis, RUN);
  await redis.quit();
  await dropTable(pool, TABLE);
  await pool.end();
});

const targets: [string, string[], () => ApiKeyStore][] = [
  ['Redis', ['--redis', REDIS_URL, '--prefix', PREFIX], () => new RedisApiKeyStore({ client: redis, prefix: PREFIX })],
  ['PostgreSQL', ['--postgres', DATABASE_URL, '--table', TABLE], () => new PostgresApiKeyStore({ pool, table: TABLE })],
];

const refusal = async (pending: Promise<unknown>) => {
  const error = await pending.then(() => undefined, (e: unknown) => e);
  return isTollgateError(error) ? error.reason : error;
};

describe.each(targets)('tollgate keys on %s', (_name, where, makeStore) => {
  const apps = () => new ApiKeys({ store: makeStore(), prefix: 'acme', cacheTtlMs: 0 });
  const outputs: string[] = [];
  const run = async (args: string[]) => {
    const result = await cli(['keys', ...args, ...where, '--key-prefix', 'acme']);
    outputs.push(result.stdout + result.stderr);
    return result;
  };

  it('creates a key the apps accept, printing it once; list shows it without hash, salt or secret', async () => {
    const created = await run(['create', '--name', 'ci deploy', '--subject', 'svc-ci', '--scopes', 'orders:read,orders:write', '--claims', '{"plan":"pro"}', '--expires-in', '90d', '--json']);
    expect(created).toMatchObject({ code: 0, stderr: '' });
    const { key, record } = JSON.parse(created.stdout) as { key: string; record: { id: string; start: string } };
    expect(key).toMatch(/^acme_[0-9A-Za-z]{16}_[0-9A-Za-z]{38}$/);
    await expect(apps().verify(key)).resolves.toMatchObject({ subject: 'svc-ci', scopes: ['orders:read', 'orders:write'], claims: { plan: 'pro' } });

    const text = await run(['create', '--name', 'human', '--subject', 'svc-ci']);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/shown this once/);
    const second = text.stdout.split('\n').find((l) => l.startsWith('acme_'))!;
    await expect(apps().verify(second)).resolves.toMatchObject({ name: 'human' });

    for (const json of [[], ['--json']]) {
      const listed = await run(['list', '--subject', 'svc-ci', ...json]);
      expect(listed.code).toBe(0);
      expect(listed.stdout).toContain(record.start);
      for (const secret of [key, second, key.slice(22, 54), second.slice(22, 54)]) expect(listed.stdout).not.toContain(secret);
      expect(listed.stdout).not.toMatch(/hash|salt/i);
      const stored = (await makeStore().list({ subject: 'svc-ci' }))[0]!;
      expect(listed.stdout).not.toContain(stored.hash);
      expect(listed.stdout).not.toContain(stored.salt);
    }
  });

  it('revokes a key, and rotates one with a grace period', async () => {
    const { key, record } = JSON.parse((await run(['create', '--name', 'r', '--subject', 'svc-r', '--json'])).stdout) as { key: string; record: { id: string } };
    const revoked = await run(['revoke', record.id]);
    expect(revoked).toMatchObject({ code: 0 });
    expect(revoked.stdout).toMatch(new RegExp(`^Revoked API key ${record.id}`));
    expect(await refusal(apps().verify(key))).toBe('revoked');
    expect((await run(['revoke', 'NoSuchKey0000000'])).code).toBe(2);

    const old = JSON.parse((await run(['create', '--name', 'o', '--subject', 'svc-o', '--json'])).stdout) as { key: string; record: { id: string } };
    const before = Date.now();
    const rotated = await run(['rotate', old.record.id, '--grace', '24h', '--json']);
    expect(rotated.code).toBe(0);
    const next = JSON.parse(rotated.stdout) as { key: string; record: { rotatedFrom: string } };
    expect(next.record.rotatedFrom).toBe(old.record.id);
    await expect(apps().verify(next.key)).resolves.toMatchObject({ subject: 'svc-o' });
    const oldRecord = await apps().verify(old.key); // still alive within the grace
    expect(oldRecord.expiresAt!.getTime()).toBeGreaterThanOrEqual(before + 86_400_000);
    expect(oldRecord.expiresAt!.getTime()).toBeLessThanOrEqual(Date.now() + 86_400_000);
  });

  afterAll(() => {
    // No output other than create's and rotate's own carries a key.
    const keys = outputs.flatMap((o) => o.match(/acme_[0-9A-Za-z]{16}_[0-9A-Za-z]{38}/g) ?? []);
    expect(new Set(keys).size).toBe(keys.length);
  });
});

describe('tollgate keys usage errors', () => {
  it.each([
    [['keys', 'list'], /exactly one of --redis/],
    [['keys', 'list', '--redis', REDIS_URL, '--postgres', DATABASE_URL], /exactly one of --redis/],
    [['keys', 'create', '--name', 'n', '--subject', 's', '--redis', REDIS_URL, '--expires-in', 'soon'], /--expires-in must be a positive duration/],
    [['keys', 'create', '--name', 'n', '--subject', 's', '--redis', REDIS_URL, '--claims', '[1]'], /--claims must be a JSON object/],
    [['keys', 'list', '--redis', REDIS_URL, '--key-prefix', 'bad_prefix'], /prefix must be/],
    [['keys', 'list', '--redis', REDIS_URL, '--pepper-env', 'TOLLGATE_TEST_NO_SUCH_VAR'], /is not set/],
  ])('%j exits 2 with a message', async (args, message) => {
    const result = await cli(args);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(message);
  });
});
