/**
 * Two app instances in two Node processes (one Express, one Koa) on one shared store, once on
 * Redis and once on PostgreSQL: a key revoked through A is refused by B within cacheTtlMs (B had
 * it cached), and a usage cap is spent atomically across both.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Redis } from 'ioredis';
import type pg from 'pg';
import request from 'supertest';
import { ApiKeys, type ApiKeyStore } from '@tollgate/core';
import { PostgresApiKeyStore } from '@tollgate/postgres';
import { RedisApiKeyStore } from '@tollgate/redis';
import { deleteKeys, ioredisClient, REDIS_URL, runPrefix } from '../packages/redis/test/clients.js';
import { DATABASE_URL, dropTable, testPool, uniqueTable } from './fixtures/postgres.js';
import { startInstance, type Instance } from './fixtures/instances.js';

const CACHE_TTL_MS = 1000;
const PREFIX = `${runPrefix()}{apikeys}:`;
const TABLE = uniqueTable('fleet');
let redis: Redis;
let pool: pg.Pool;

beforeAll(async () => {
  redis = await ioredisClient();
  pool = testPool();
  await new PostgresApiKeyStore({ pool, table: TABLE }).migrate();
});
afterAll(async () => {
  await deleteKeys(redis, PREFIX.slice(0, -'{apikeys}:'.length));
  await redis.quit();
  await dropTable(pool, TABLE);
  await pool.end();
});

const fleets: [string, Record<string, string>, () => ApiKeyStore][] = [
  ['Redis', { STORE: 'redis', REDIS_URL, PREFIX }, () => new RedisApiKeyStore({ client: redis, prefix: PREFIX })],
  ['PostgreSQL', { STORE: 'postgres', DATABASE_URL, TABLE }, () => new PostgresApiKeyStore({ pool, table: TABLE })],
];

describe.each(fleets)('API keys across two instances on %s', (_name, env, makeStore) => {
  let a: Instance;
  let b: Instance;
  let admin: ApiKeys;
  beforeAll(async () => {
    const common = { ...env, CACHE_TTL_MS: String(CACHE_TTL_MS) };
    [a, b] = await Promise.all([
      startInstance('test/fixtures/api-key-server.ts', { ...common, FRAMEWORK: 'express' }),
      startInstance('test/fixtures/api-key-server.ts', { ...common, FRAMEWORK: 'koa' }),
    ]);
    admin = new ApiKeys({ store: makeStore() });
  }, 60_000);
  afterAll(async () => { await Promise.all([a?.stop(), b?.stop()]); });

  const get = (instance: Instance, key: string) => request(instance.origin).get('/orders').set('X-Api-Key', key);

  it('a key revoked through A is refused by B, which had it cached, within cacheTtlMs', async () => {
    const { key, record } = await admin.create({ name: 'fleet', subject: 'svc-fleet', scopes: ['orders:read'] });
    expect((await get(a, key)).status).toBe(200);
    expect((await get(b, key)).status).toBe(200);
    expect((await request(a.origin).post(`/admin/revoke/${record.id}`)).body).toEqual({ revoked: true });
    expect((await get(a, key)).status).toBe(401); // A: at once
    const revokedAt = Date.now();
    let status = 200;
    while (status === 200 && Date.now() - revokedAt < CACHE_TTL_MS + 3000) {
      status = (await get(b, key)).status;
      if (status === 200) await sleep(100);
    }
    expect(status).toBe(401);
  });

  it('spends a usage cap atomically across both instances', async () => {
    const { key } = await admin.create({ name: 'capped', subject: 'svc-capped', scopes: ['orders:read'], remaining: 5 });
    const responses = await Promise.all(Array.from({ length: 16 }, (_, i) => get(i % 2 === 0 ? a : b, key)));
    expect(responses.filter((r) => r.status === 200)).toHaveLength(5);
    expect(responses.filter((r) => r.status === 429)).toHaveLength(11);
  });
});
