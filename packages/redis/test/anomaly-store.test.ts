/**
 * RedisAnomalyStore against a real Redis, through ioredis and node-redis: the shared contract,
 * then what only Redis shows (one round trip per call, keys with expiry, one Cluster slot per
 * script), and an unreachable Redis through an authenticator (reported, or 503 with failClosed).
 */
import { afterAll, beforeAll, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { createAuthenticator, type AuditEvent } from '@tollgate/core';
import { createTestIssuer, type TestIssuer } from '@tollgate/testing';
import { RedisAnomalyStore } from '../src/anomaly-store.js';
import type { RedisClientLike } from '../src/client.js';
import { anomalyStoreContract } from '../../../test/anomaly-store-contract.js';
import { deleteKeys, endClient, ioredisClient, nodeRedisClient, recording, runPrefix, type NodeRedisClient } from './clients.js';

const RUN = runPrefix();
let ioredis: Redis;
let nodeRedis: NodeRedisClient;
let idp: TestIssuer;

beforeAll(async () => {
  [ioredis, nodeRedis, idp] = await Promise.all([ioredisClient(), nodeRedisClient(), createTestIssuer()]);
});
afterAll(async () => {
  await deleteKeys(ioredis, RUN);
  await nodeRedis.quit();
  await ioredis.quit();
  await idp.close();
});

const clients: Record<string, () => RedisClientLike> = { ioredis: () => ioredis, 'node-redis': () => nodeRedis };
// A generous command timeout: the contract is about answers, on a machine other suites load too.
for (const [name, client] of Object.entries(clients)) {
  anomalyStoreContract(`RedisAnomalyStore (${name})`, () => ({
    store: new RedisAnomalyStore({ client: client(), prefix: `${RUN}${randomUUID()}:`, timeoutMs: 2000 }), now: Date.now, elapse: (ms) => sleep(ms),
  }));
}

/** What Redis Cluster hashes of a key: the text of its first non-empty `{…}`, else the whole key. */
function hashedPart(key: string): string {
  const open = key.indexOf('{');
  const close = open === -1 ? -1 : key.indexOf('}', open + 1);
  return close > open + 1 ? key.slice(open + 1, close) : key;
}

it('answers each call in one round trip; every key expires; a script touches one Cluster slot', async () => {
  const prefix = `${RUN}${randomUUID()}:`;
  const { client, commands } = recording(ioredis);
  const store = new RedisAnomalyStore({ client, prefix });
  await store.addClient('fp-1', '2001:db8:1:2::/64', { max: 2, windowMs: 60_000 }, Date.now());
  await store.addFailure('192.0.2.1', { max: 0, windowMs: 60_000, blockMs: 30_000 }, Date.now());
  expect(await store.blockedFor('192.0.2.1', Date.now())).toBeGreaterThan(29_000);
  expect(commands.map((c) => c[0])).toEqual(['EVAL', 'EVAL', 'PTTL']);
  const keys = await ioredis.keys(`${prefix}*`);
  expect(keys.sort()).toEqual([`${prefix}clients:fp-1:${Math.floor(Date.now() / 60_000)}`, `${prefix}{192.0.2.1}:blocked`, `${prefix}{192.0.2.1}:failures`].sort());
  for (const key of keys) {
    const ttl = await ioredis.pttl(key);
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(61_000);
  }
  const failureScript = commands[1]!;
  const [, , count, ...rest] = failureScript;
  const scriptKeys = rest.slice(0, Number(count));
  expect(scriptKeys).toHaveLength(2);
  expect(new Set(scriptKeys.map(hashedPart))).toEqual(new Set(['192.0.2.1']));
  expect(await ioredis.type(keys.find((k) => k.includes('clients:'))!)).toBe('string'); // a HyperLogLog is a string
  expect(await ioredis.pfcount(keys.find((k) => k.includes('clients:'))!)).toBe(1);
});

it('an unreachable Redis is reported and passed over, or a quick 503 with failClosed', async () => {
  const dead = new Redis({ port: 1, lazyConnect: true, enableOfflineQueue: false, maxRetriesPerRequest: 0, retryStrategy: () => 1000 });
  dead.on('error', () => { /* refused: expected */ });
  try {
    const store = new RedisAnomalyStore({ client: dead, prefix: `${RUN}dead:` });
    const events: AuditEvent[] = [];
    const anomalies = { store, failuresPerClient: { max: 1, windowMs: 60_000, blockMs: 60_000 }, clientsPerToken: { max: 1, windowMs: 60_000, action: 'deny' as const } };
    const token = await idp.mint();
    const req = { method: 'GET', url: '/', headers: { authorization: `Bearer ${token}` }, ip: '192.0.2.1' };
    const open = createAuthenticator({ ...idp.authenticateOptions(), audit: (e) => events.push(e), anomalies });
    await expect(open.authenticate(req)).resolves.toMatchObject({ subject: 'user-1' });
    expect(events.map((e) => e.type)).toEqual(['store-error', 'store-error', 'authenticated']);
    const closed = createAuthenticator({ ...idp.authenticateOptions(), anomalies: { ...anomalies, failClosed: true } });
    await expect(closed.authenticate(req)).rejects.toMatchObject({ status: 503, code: 'temporarily_unavailable', headers: { 'Retry-After': '1' } });
  } finally {
    endClient(dead);
  }
});
