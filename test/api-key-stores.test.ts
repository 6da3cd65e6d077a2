/**
 * One contract, every API-key store: memory, Redis through ioredis and node-redis, PostgreSQL.
 * Real Redis (REDIS_URL) and real PostgreSQL (DATABASE_URL), each run in its own prefix / table.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import type pg from 'pg';
import { ApiKeys, isTollgateError, MemoryApiKeyStore, TollgateSetupError, type ApiKeyStore } from '@tollgate/core';
import pgModule from 'pg';
import { RedisApiKeyStore } from '@tollgate/redis';
import { PostgresApiKeyStore } from '@tollgate/postgres';
import { apiKeyStoreContract, sampleRecord } from './api-key-store-contract.js';
import { deleteKeys, endClient, ioredisClient, nodeRedisClient, runPrefix, type NodeRedisClient } from '../packages/redis/test/clients.js';
import { freePort } from './fixtures/net.js';
import { dropTable, testPool, uniqueTable } from './fixtures/postgres.js';

const RUN = runPrefix();
const TABLE = uniqueTable('contract');
let ioredis: Redis;
let nodeRedis: NodeRedisClient;
let pool: pg.Pool;
let postgres: PostgresApiKeyStore;

beforeAll(async () => {
  [ioredis, nodeRedis] = await Promise.all([ioredisClient(), nodeRedisClient()]);
  pool = testPool();
  postgres = new PostgresApiKeyStore({ pool, table: TABLE });
  await postgres.migrate();
});
afterAll(async () => {
  await deleteKeys(ioredis, RUN);
  await nodeRedis.quit();
  await ioredis.quit();
  for (const table of [TABLE, ...tables]) await dropTable(pool, table);
  await pool.end();
});

const tables: string[] = [];
/** A store on a new table of this run (every test starts empty; all are dropped at the end). */
async function freshTable(): Promise<ApiKeyStore> {
  const table = `${TABLE}_${tables.length}`;
  tables.push(table);
  const store = new PostgresApiKeyStore({ pool, table });
  await store.migrate();
  return store;
}

const stores: [string, () => ApiKeyStore | Promise<ApiKeyStore>][] = [
  ['MemoryApiKeyStore', () => new MemoryApiKeyStore()],
  ['RedisApiKeyStore (ioredis)', () => new RedisApiKeyStore({ client: ioredis, prefix: `${RUN}{${randomUUID()}}:` })],
  ['RedisApiKeyStore (node-redis)', () => new RedisApiKeyStore({ client: nodeRedis, prefix: `${RUN}{${randomUUID()}}:` })],
  ['PostgresApiKeyStore', () => freshTable()],
];

describe.each(stores)('%s', (name, make) => {
  apiKeyStoreContract(name, make);
});

describe('PostgresApiKeyStore', () => {
  it('makes one table with an index on subject, and no column that could hold a key or secret', async () => {
    const { rows: columns } = await pool.query<{ column_name: string }>('SELECT column_name FROM information_schema.columns WHERE table_name = $1', [TABLE]);
    const names = columns.map((c) => c.column_name);
    expect(names).toContain('hash');
    expect(names.filter((n) => /key|secret|token/.test(n))).toEqual([]);
    const { rows: indexes } = await pool.query<{ indexdef: string }>('SELECT indexdef FROM pg_indexes WHERE tablename = $1', [TABLE]);
    expect(indexes.some((i) => /\(subject\)/.test(i.indexdef))).toBe(true);
    await postgres.migrate(); // twice is fine
  });

  it('refuses a table name that is not a plain identifier at setup', () => {
    for (const table of ['x; DROP TABLE y', 'a"b', '', 'a.b.c']) {
      expect(() => new PostgresApiKeyStore({ pool, table })).toThrow(TollgateSetupError);
    }
  });
});

describe('RedisApiKeyStore', () => {
  it('keeps every key of the store under one hash tag by default (Redis Cluster)', async () => {
    const store = new RedisApiKeyStore({ client: ioredis });
    const record = sampleRecord({ id: `Tg${randomUUID().replaceAll('-', '').slice(0, 14)}` });
    await store.put(record);
    try {
      expect(await ioredis.exists(`tollgate:{apikeys}:key:${record.id}`)).toBe(1);
      expect(await ioredis.sismember('tollgate:{apikeys}:all', record.id)).toBe(1);
      expect(await ioredis.sismember(`tollgate:{apikeys}:subject:${record.subject}`, record.id)).toBe(1);
    } finally {
      await ioredis.del(`tollgate:{apikeys}:key:${record.id}`, `tollgate:{apikeys}:subject:${record.subject}`);
      await ioredis.srem('tollgate:{apikeys}:all', record.id);
    }
  });
});

describe('API keys on the real stores', () => {
  const redisPrefix = `${RUN}{${randomUUID()}}:`;
  /** Everything the store wrote about `subject`, raw. */
  const stored = async (which: string, subject: string): Promise<string> => {
    if (which === 'PostgreSQL') return JSON.stringify((await pool.query(`SELECT * FROM "${TABLE}" WHERE subject = $1`, [subject])).rows);
    const keys = await ioredis.keys(`${redisPrefix}*`);
    return JSON.stringify(await Promise.all(keys.map(async (k) => [k, await ioredis.type(k) === 'hash' ? await ioredis.hgetall(k) : await ioredis.smembers(k)])));
  };

  it.each(['Redis', 'PostgreSQL'])('%s rows hold neither the key nor its secret', async (which) => {
    const store = which === 'Redis' ? new RedisApiKeyStore({ client: ioredis, prefix: redisPrefix }) : postgres;
    const apiKeys = new ApiKeys({ store });
    const subject = `svc-${randomUUID()}`;
    const { key } = await apiKeys.create({ name: 'n', subject, scopes: ['a'] });
    const rows = await stored(which, subject);
    expect(rows).toContain(subject); // the dump found the record
    expect(rows).not.toContain(key);
    expect(rows).not.toContain(key.slice(20, 52));
    await expect(apiKeys.verify(key)).resolves.toMatchObject({ subject });
  });

  it.each(['Redis', 'PostgreSQL'])('an unreachable %s is a 503, quickly', async (which) => {
    const port = await freePort(); // nothing listens there
    const client = await ioredisClient(`redis://127.0.0.1:${port}`, false);
    const deadPool = new pgModule.Pool({ connectionString: `postgres://postgres@127.0.0.1:${port}/test` });
    deadPool.on('error', () => {});
    try {
      const store = which === 'Redis' ? new RedisApiKeyStore({ client }) : new PostgresApiKeyStore({ pool: deadPool });
      const working = new ApiKeys({ store: new MemoryApiKeyStore() });
      const { key } = await working.create({ name: 'n', subject: 's' });
      const error = await new ApiKeys({ store, timeoutMs: 500 }).verify(key).then(() => undefined, (e: unknown) => e);
      expect(isTollgateError(error) ? [error.status, error.reason] : error).toEqual([503, 'store_unavailable']);
    } finally {
      endClient(client);
      await deadPool.end();
    }
  });
});
