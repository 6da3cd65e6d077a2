/**
 * The Redis stores against a real Redis (REDIS_URL, default redis://127.0.0.1:6379), through
 * both ioredis and node-redis: the shared store contracts, then what only Redis shows
 * (atomic one-round-trip commands, key layout, expiry set in Redis itself).
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Redis } from 'ioredis';
import { createReplayGuard, TollgateSetupError } from '@tollgate/core';
import { RedisNonceStore } from '../src/nonce-store.js';
import { RedisRevocationStore } from '../src/revocation-store.js';
import type { RedisClientLike } from '../src/client.js';
import { nonceStoreContract, revocationStoreContract } from '../../../test/stores-contract.js';
import { deleteKeys, ioredisClient, nodeRedisClient, recording, runPrefix, type NodeRedisClient } from './clients.js';

const RUN = runPrefix();
let ioredis: Redis;
let nodeRedis: NodeRedisClient;

beforeAll(async () => {
  [ioredis, nodeRedis] = await Promise.all([ioredisClient(), nodeRedisClient()]);
});
afterAll(async () => {
  await deleteKeys(ioredis, RUN);
  await nodeRedis.quit();
  await ioredis.quit();
});

const clients: Record<string, () => RedisClientLike> = { ioredis: () => ioredis, 'node-redis': () => nodeRedis };
// Real time: Redis expires the keys, so `elapse` waits for it.
const realTime = { now: Date.now, elapse: (ms: number) => sleep(ms) };

for (const [name, client] of Object.entries(clients)) {
  nonceStoreContract(`RedisNonceStore (${name})`, () => ({ store: new RedisNonceStore({ client: client(), prefix: `${RUN}${randomUUID()}:` }), ...realTime }));
  revocationStoreContract(`RedisRevocationStore (${name})`, (options) => ({ store: new RedisRevocationStore({ client: client(), prefix: `${RUN}${randomUUID()}:`, ...options }), ...realTime }));
}

describe('RedisNonceStore on Redis', () => {
  it('claims with one SET NX PX: the key expires in Redis after ttl', async () => {
    const { client, commands } = recording(ioredis);
    const store = new RedisNonceStore({ client, prefix: RUN });
    await expect(store.claim('one-trip', 30_000)).resolves.toBe(true);
    expect(commands).toEqual([['SET', `${RUN}one-trip`, '1', 'NX', 'PX', '30000']]);
    const pttl = await ioredis.pttl(`${RUN}one-trip`);
    expect(pttl).toBeGreaterThan(0);
    expect(pttl).toBeLessThanOrEqual(30_000);
  });

  it('is named redis in route reports, whatever a subclass is called', () => {
    expect(createReplayGuard({ store: new RedisNonceStore({ client: ioredis, prefix: RUN }) }).policy.store).toBe('redis');
    expect(createReplayGuard({ store: new (class Tenanted extends RedisNonceStore {})({ client: ioredis, prefix: RUN }) }).policy.store).toBe('redis');
  });

  it('shares claims between stores on different clients, as instances of one app do', async () => {
    const prefix = `${RUN}${randomUUID()}:`;
    const a = new RedisNonceStore({ client: ioredis, prefix });
    const b = new RedisNonceStore({ client: nodeRedis, prefix });
    const results = await Promise.all(Array.from({ length: 20 }, (_, i) => (i % 2 === 0 ? a : b).claim('k', 60_000)));
    expect(results.filter((first) => first)).toHaveLength(1);
  });

  it('uses the tollgate:nonce: prefix by default', async () => {
    const key = `${RUN}default`;
    await new RedisNonceStore({ client: nodeRedis }).claim(key, 10_000);
    try {
      await expect(ioredis.exists(`tollgate:nonce:${key}`)).resolves.toBe(1);
    } finally {
      await ioredis.del(`tollgate:nonce:${key}`);
    }
  });
});

describe('RedisRevocationStore on Redis', () => {
  it('checks a token with one MGET of its jti key and its subject key', async () => {
    const { client, commands } = recording(ioredis);
    const store = new RedisRevocationStore({ client, prefix: RUN });
    await expect(store.isRevoked({ jti: 'j1', sub: 's1', iat: 1 })).resolves.toBe(false);
    expect(commands).toEqual([['MGET', `${RUN}jti:*:j1`, `${RUN}sub:*:s1`]]);
  });

  it('checks a token of an issuer with one MGET of its issuer\'s keys and the keys for every issuer', async () => {
    const { client, commands } = recording(ioredis);
    const store = new RedisRevocationStore({ client, prefix: RUN });
    await expect(store.isRevoked({ iss: 'https://id:1', jti: 'j1', sub: 's1', iat: 1 })).resolves.toBe(false);
    expect(commands).toEqual([['MGET', `${RUN}jti:i12:https://id:1:j1`, `${RUN}jti:*:j1`, `${RUN}sub:i12:https://id:1:s1`, `${RUN}sub:*:s1`]]);
  });

  it('keeps a token entry\'s expiry when a forged revocation of the same jti says it ends in a second', async () => {
    const store = new RedisRevocationStore({ client: ioredis, prefix: RUN });
    await store.revokeToken('stolen', new Date(Date.now() + 3_600_000), 'https://id');
    await store.revokeToken('stolen', new Date(Date.now() + 1000), 'https://id');
    await expect(ioredis.pttl(`${RUN}jti:i10:https://id:stolen`)).resolves.toBeGreaterThan(3_500_000);
  });

  it('writes a token revocation that Redis expires at expiresAt, and a subject cut-off, each in one EVAL', async () => {
    const { client, commands } = recording(ioredis);
    const store = new RedisRevocationStore({ client, prefix: RUN });
    await store.revokeToken('j2', new Date(Date.now() + 30_000));
    const pttl = await ioredis.pttl(`${RUN}jti:*:j2`);
    expect(pttl).toBeGreaterThan(0);
    expect(pttl).toBeLessThanOrEqual(30_000);
    const cutoff = Date.now();
    await store.revokeSubject('s2', new Date(cutoff));
    expect(commands.map((c) => c[0])).toEqual(['EVAL', 'EVAL']);
    await expect(ioredis.get(`${RUN}sub:*:s2`)).resolves.toBe(String(cutoff));
    // Redis itself forgets it maxTokenLifetime (default 24 h) after the cut-off.
    const subjectTtl = await ioredis.pttl(`${RUN}sub:*:s2`);
    expect(subjectTtl).toBeGreaterThan(86_400_000 - 10_000);
    expect(subjectTtl).toBeLessThanOrEqual(86_400_000);
  });

  it('never lowers a cut-off under concurrent revocations', async () => {
    const store = new RedisRevocationStore({ client: nodeRedis, prefix: `${RUN}${randomUUID()}:` });
    const base = Date.now();
    const cutoffs = Array.from({ length: 20 }, (_, i) => base - i * 1000);
    await Promise.all(cutoffs.map((c) => store.revokeSubject('s', new Date(c))));
    await expect(store.isRevoked({ sub: 's', iat: Math.floor(base / 1000) - 1 })).resolves.toBe(true);
  });

  it('fails closed on an unreadable cut-off', async () => {
    const prefix = `${RUN}${randomUUID()}:`;
    await ioredis.set(`${prefix}sub:*:mangled`, 'not-a-number');
    const store = new RedisRevocationStore({ client: ioredis, prefix });
    await expect(store.isRevoked({ sub: 'mangled', iat: Math.floor(Date.now() / 1000) })).resolves.toBe(true);
  });

  it('uses the tollgate:{revoked}: prefix by default', async () => {
    const jti = `${RUN}default`;
    await new RedisRevocationStore({ client: ioredis }).revokeToken(jti, new Date(Date.now() + 10_000));
    try {
      await expect(ioredis.exists(`tollgate:{revoked}:jti:*:${jti}`)).resolves.toBe(1);
    } finally {
      await ioredis.del(`tollgate:{revoked}:jti:*:${jti}`);
    }
  });
});

describe('Redis store options', () => {
  it('are checked at construction', () => {
    for (const Store of [RedisNonceStore, RedisRevocationStore]) {
      expect(() => new Store({ client: {} as never })).toThrow(TollgateSetupError);
      expect(() => new Store({ client: { get: () => null } as never })).toThrow(expect.objectContaining({ code: 'ERR_TOLLGATE_INVALID_OPTION' }));
      expect(() => new Store({ client: ioredis, ttl: 5 } as never)).toThrow(expect.objectContaining({ code: 'ERR_TOLLGATE_UNKNOWN_OPTION' }));
      expect(() => new Store({ client: ioredis, prefix: 1 as never })).toThrow(TollgateSetupError);
      for (const timeoutMs of [0, -5, Number.NaN]) expect(() => new Store({ client: nodeRedis, timeoutMs })).toThrow(TollgateSetupError);
    }
    for (const maxTokenLifetime of [0, -1, Number.NaN, '3600']) {
      expect(() => new RedisRevocationStore({ client: ioredis, maxTokenLifetime } as never)).toThrow(expect.objectContaining({ code: 'ERR_TOLLGATE_INVALID_OPTION' }));
    }
    expect(() => new RedisNonceStore({ client: ioredis, maxTokenLifetime: 60 } as never)).toThrow(expect.objectContaining({ code: 'ERR_TOLLGATE_UNKNOWN_OPTION' }));
  });
});

