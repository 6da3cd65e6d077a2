/**
 * The Redis stores on a real three-node Redis Cluster that this suite starts on loopback
 * (test/fixtures/redis-cluster.ts), through an ioredis `Cluster` and a node-redis `createCluster`
 * client: the same store contracts as on a single Redis, rate-limit-redis included, plus what
 * only a cluster shows (keys of one command in one slot, routing by key).
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { Cluster } from 'ioredis';
import { createCluster } from 'redis';
import { RedisStore, type RedisReply } from 'rate-limit-redis';
import { TollgateSetupError } from '@tollgate/core';
import { RedisNonceStore } from '../src/nonce-store.js';
import { RedisRevocationStore } from '../src/revocation-store.js';
import { RedisApiKeyStore } from '../src/api-key-store.js';
import { RedisAnomalyStore } from '../src/anomaly-store.js';
import type { RedisClientLike } from '../src/client.js';
import { nonceStoreContract, revocationStoreContract } from '../../../test/stores-contract.js';
import { apiKeyStoreContract } from '../../../test/api-key-store-contract.js';
import { anomalyStoreContract } from '../../../test/anomaly-store-contract.js';
import { describeRateLimitStoreContract } from '../../../test/fixtures/rate-limit-store-contract.js';
import { startRedisCluster, type RedisCluster } from '../../../test/fixtures/redis-cluster.js';

const createNodeRedisCluster = (cluster: RedisCluster) => createCluster({ rootNodes: [...cluster.rootNodes] });
type NodeRedisCluster = ReturnType<typeof createNodeRedisCluster>;

let cluster: RedisCluster;
let ioredis: Cluster;
let nodeRedis: NodeRedisCluster;

beforeAll(async () => {
  cluster = await startRedisCluster();
  // As the README says for a single Redis: no offline queue, no retries of a failed command.
  ioredis = new Cluster([...cluster.nodes], { enableOfflineQueue: false, redisOptions: { maxRetriesPerRequest: 0 } });
  ioredis.on('error', () => { /* reported through the stores' rejections */ });
  await once(ioredis, 'ready');
  nodeRedis = createNodeRedisCluster(cluster);
  nodeRedis.on('error', () => { /* idem */ });
  await nodeRedis.connect();
}, 60_000);

afterAll(async () => {
  ioredis?.disconnect();
  await nodeRedis?.destroy();
  await cluster?.stop();
});

const clients: Record<string, () => RedisClientLike> = {
  'ioredis Cluster': () => ioredis as unknown as RedisClientLike,
  'node-redis createCluster': () => nodeRedis as unknown as RedisClientLike,
};
const realTime = { now: Date.now, elapse: (ms: number) => sleep(ms) };

for (const [name, client] of Object.entries(clients)) {
  nonceStoreContract(`RedisNonceStore (${name})`, () => ({ store: new RedisNonceStore({ client: client(), prefix: `nonce:${randomUUID()}:` }), ...realTime }));
  // The default prefix, as an app on a cluster would use it: its hash tag keeps the MGET in one slot.
  revocationStoreContract(`RedisRevocationStore (${name}, default prefix)`, (options) => ({ store: new RedisRevocationStore({ client: client(), ...options }), ...realTime }));
  // A fresh hash tag per test: the contract lists every record of a store, so stores must not share keys.
  apiKeyStoreContract(`RedisApiKeyStore (${name})`, () => new RedisApiKeyStore({ client: client(), prefix: `apikeys:{${randomUUID()}}:`, timeoutMs: 2000 }));
  // No hash tag in the prefix: a client's two failure keys carry the client as their tag.
  anomalyStoreContract(`RedisAnomalyStore (${name})`, () => ({ store: new RedisAnomalyStore({ client: client(), prefix: `anomaly:${randomUUID()}:`, timeoutMs: 2000 }), ...realTime }));
}

/** rate-limit-redis on a cluster: every command routed by its key (SCRIPT LOAD goes to every master with ioredis). */
const rateLimitStores: Record<string, (prefix: string) => RedisStore> = {
  'ioredis Cluster': (prefix) => new RedisStore({
    prefix,
    sendCommandCluster: async ({ command: [name, ...args] }) => (name === 'SCRIPT'
      ? (await Promise.all(ioredis.nodes('master').map((node) => node.call(name, ...args))))[0]
      : ioredis.call(name!, ...args)) as RedisReply,
  }),
  'node-redis createCluster': (prefix) => new RedisStore({
    prefix,
    sendCommandCluster: ({ key, isReadOnly, command }) => nodeRedis.sendCommand(key, isReadOnly, command) as Promise<RedisReply>,
  }),
};

for (const [name, make] of Object.entries(rateLimitStores)) {
  describeRateLimitStoreContract(`rate-limit-redis RedisStore (${name})`, {
    async create(windowMs) {
      const store = make(`rl:${randomUUID()}:`);
      await store.init({ windowMs } as Parameters<RedisStore['init']>[0]);
      return { store, now: Date.now, close: async () => {} };
    },
  });
}

describe('Redis Cluster specifics', () => {
  it("keeps a revoked token's key and its subject's key in one slot by default", async () => {
    const store = new RedisRevocationStore({ client: ioredis as unknown as RedisClientLike });
    const id = randomUUID();
    await store.revokeToken(`jti-${id}`, new Date(Date.now() + 60_000));
    await store.revokeSubject(`sub-${id}`, new Date());
    const [jtiSlot, subSlot] = await Promise.all([
      ioredis.cluster('KEYSLOT', `tollgate:{revoked}:jti:jti-${id}`), ioredis.cluster('KEYSLOT', `tollgate:{revoked}:sub:sub-${id}`),
    ]);
    expect(jtiSlot).toBe(subSlot);
    await expect(store.isRevoked({ jti: `jti-${id}`, sub: `sub-${id}`, iat: 1 })).resolves.toBe(true);
  });

  it('spreads nonce keys over the masters (the nonce store needs no hash tag)', async () => {
    const store = new RedisNonceStore({ client: nodeRedis as unknown as RedisClientLike, prefix: `spread:${randomUUID()}:` });
    for (let i = 0; i < 30; i++) await expect(store.claim(`k${i}`, 60_000)).resolves.toBe(true);
    const counts = await Promise.all(ioredis.nodes('master').map((node) => node.dbsize()));
    expect(counts.filter((n) => n > 0).length).toBeGreaterThan(1);
  });

  it('refuses, at setup, a revocation or API-key prefix without a hash tag on a cluster client', () => {
    for (const client of Object.values(clients)) {
      for (const prefix of ['app:revoked:', 'app:{}:', 'app:{revoked:']) {
        expect(() => new RedisRevocationStore({ client: client(), prefix })).toThrow(TollgateSetupError);
        expect(() => new RedisApiKeyStore({ client: client(), prefix })).toThrow(TollgateSetupError);
      }
      expect(() => new RedisRevocationStore({ client: client(), prefix: 'app:{revoked}:' })).not.toThrow();
      expect(() => new RedisApiKeyStore({ client: client(), prefix: 'app:{apikeys}:' })).not.toThrow();
      expect(() => new RedisApiKeyStore({ client: client() })).not.toThrow();
    }
  });

  it("keeps an API key's record and both its indexes in one slot with the default prefix", async () => {
    const store = new RedisApiKeyStore({ client: nodeRedis as unknown as RedisClientLike });
    const id = randomUUID().replaceAll('-', '').slice(0, 16);
    const record = { id, name: 'cluster', subject: `svc-${id}`, scopes: [], roles: [], salt: 'c2FsdA', hash: 'aGFzaA', start: `tg_${id}`, createdAt: new Date() };
    try {
      await store.put(record);
      await expect(store.get(id)).resolves.toEqual(record);
      await expect(store.list({ subject: record.subject })).resolves.toEqual([record]);
      const slots = await Promise.all([`key:${id}`, 'all', `subject:${record.subject}`].map((suffix) => ioredis.cluster('KEYSLOT', `tollgate:{apikeys}:${suffix}`)));
      expect(new Set(slots).size).toBe(1);
    } finally {
      await ioredis.del(`tollgate:{apikeys}:key:${id}`, `tollgate:{apikeys}:subject:${record.subject}`);
      await ioredis.srem('tollgate:{apikeys}:all', id);
    }
  });
});
