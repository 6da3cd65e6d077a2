/**
 * A Redis that is down, unreachable or not answering must cost a request at most `timeoutMs`
 * and then a 503 (the stores reject), never a hang; when it comes back, the same stores on the
 * same clients work again, without a restart.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { Redis } from 'ioredis';
import { RedisNonceStore } from '../src/nonce-store.js';
import { RedisRevocationStore } from '../src/revocation-store.js';
import { RedisUnavailableError, type RedisClientLike } from '../src/client.js';
import { closedPort, startTcpProxy, type TcpProxy } from './tcp-proxy.js';
import { deleteKeys, endClient, ioredisClient, nodeRedisClient, REDIS_TARGET, REDIS_URL, runPrefix, settlesWithin, type NodeRedisClient } from './clients.js';

const RUN = runPrefix();
const TIMEOUT_MS = 100;
const opened: Array<Redis | NodeRedisClient> = [];
let cleaner: Redis;

beforeAll(async () => { cleaner = await ioredisClient(); });
afterAll(async () => {
  for (const client of opened) endClient(client);
  await deleteKeys(cleaner, RUN);
  await cleaner.quit();
});

type Kind = 'ioredis' | 'node-redis';
async function client(kind: Kind, url: string, wait = true): Promise<Redis | NodeRedisClient> {
  const c = kind === 'ioredis' ? await ioredisClient(url, wait) : await nodeRedisClient(url, wait);
  opened.push(c);
  return c;
}

function stores(c: RedisClientLike) {
  const prefix = `${RUN}${randomUUID()}:`;
  return { nonces: new RedisNonceStore({ client: c, prefix, timeoutMs: TIMEOUT_MS }), revocations: new RedisRevocationStore({ client: c, prefix, timeoutMs: TIMEOUT_MS }) };
}

/** Polls `attempt` until it resolves (Redis is back and the client reconnected), up to ~10 s. */
async function recovers(attempt: () => Promise<unknown>): Promise<boolean> {
  for (let i = 0; i < 200; i += 1) {
    if (await attempt().then(() => true, () => false)) return true;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return false;
}

describe.each<Kind>(['ioredis', 'node-redis'])('Redis stores on an unavailable Redis (%s)', (kind) => {
  it('reject within timeoutMs*4 when the client points at a closed port', async () => {
    const c = await client(kind, `redis://127.0.0.1:${await closedPort()}`, false);
    const { nonces, revocations } = stores(c);
    const claim = nonces.claim('k', 60_000);
    const check = revocations.isRevoked({ jti: 'j', sub: 's', iat: 1 });
    await expect(settlesWithin(claim, TIMEOUT_MS * 4)).resolves.toBe('rejected');
    await expect(settlesWithin(check, TIMEOUT_MS * 4)).resolves.toBe('rejected');
    await expect(claim).rejects.toBeInstanceOf(RedisUnavailableError);
  });

  it('reject within timeoutMs*4 when a connected Redis stops answering, and work again when it answers', async () => {
    const proxy = await startTcpProxy(REDIS_TARGET);
    try {
      const c = await client(kind, `redis://127.0.0.1:${proxy.port}`);
      const { nonces, revocations } = stores(c);
      await expect(nonces.claim('before', 60_000)).resolves.toBe(true);
      proxy.freeze();
      const claim = nonces.claim('frozen', 60_000);
      const check = revocations.isRevoked({ jti: 'j' });
      await expect(settlesWithin(claim, TIMEOUT_MS * 4)).resolves.toBe('rejected');
      await expect(settlesWithin(check, TIMEOUT_MS * 4)).resolves.toBe('rejected');
      await expect(claim).rejects.toThrow(`Redis did not answer within ${TIMEOUT_MS} ms`);
      proxy.thaw();
      await expect(recovers(() => nonces.claim(`after-${randomUUID()}`, 60_000))).resolves.toBe(true);
      await expect(nonces.claim('before', 60_000)).resolves.toBe(false);
    } finally {
      await proxy.stop();
    }
  });

  it('reject while Redis is down and work again when it is back, on the same client', async () => {
    const proxy: TcpProxy = await startTcpProxy(REDIS_TARGET);
    try {
      const c = await client(kind, `redis://127.0.0.1:${proxy.port}`);
      const { nonces, revocations } = stores(c);
      await revocations.revokeToken('j', new Date(Date.now() + 60_000));
      await proxy.stop();
      await expect(settlesWithin(nonces.claim('down', 60_000), TIMEOUT_MS * 4)).resolves.toBe('rejected');
      await expect(settlesWithin(revocations.isRevoked({ jti: 'j' }), TIMEOUT_MS * 4)).resolves.toBe('rejected');
      await proxy.start();
      await expect(recovers(() => revocations.isRevoked({ jti: 'j' }))).resolves.toBe(true);
      await expect(revocations.isRevoked({ jti: 'j' })).resolves.toBe(true);
      await expect(nonces.claim('down', 60_000)).resolves.toBe(true);
    } finally {
      await proxy.stop();
    }
  });
});

describe('an ioredis client made without the README settings', () => {
  it('still never queues a command while disconnected: the store rejects at once', async () => {
    const c = new Redis(`redis://127.0.0.1:${await closedPort()}`, { retryStrategy: () => 50, disconnectTimeout: 20 }); // offline queue on, 20 retries
    c.on('error', () => { /* expected */ });
    opened.push(c);
    await expect(settlesWithin(stores(c).nonces.claim('k', 60_000), TIMEOUT_MS * 4)).resolves.toBe('rejected');
  });

  it('never replays a refused claim later: once Redis is back, that key is still free', async () => {
    const proxy = await startTcpProxy(REDIS_TARGET);
    try {
      const c = new Redis(`redis://127.0.0.1:${proxy.port}`, { retryStrategy: () => 50, disconnectTimeout: 20 });
      c.on('error', () => { /* expected */ });
      opened.push(c);
      const { nonces } = stores(c);
      await recovers(() => nonces.claim(`warm-${randomUUID()}`, 60_000));
      // Once the client knows it is disconnected (a command in flight at that very moment is
      // ioredis' to retry: hence maxRetriesPerRequest: 0 in the README).
      const closed = once(c, 'close');
      await proxy.stop();
      await closed;
      await expect(nonces.claim('late', 60_000)).rejects.toBeInstanceOf(RedisUnavailableError);
      await proxy.start();
      await expect(recovers(() => nonces.claim(`up-${randomUUID()}`, 60_000))).resolves.toBe(true);
      // Had the refused SET sat in the client's offline queue, it would have run on reconnect.
      await expect(nonces.claim('late', 60_000)).resolves.toBe(true);
    } finally {
      await proxy.stop();
    }
  });

  it('connects a lazyConnect client on first use', async () => {
    const c = new Redis(REDIS_URL, { lazyConnect: true, enableOfflineQueue: false, disconnectTimeout: 20 });
    opened.push(c);
    const { nonces } = stores(c);
    await expect(nonces.claim('lazy', 60_000)).rejects.toBeInstanceOf(RedisUnavailableError);
    await expect(recovers(() => nonces.claim(`lazy-${randomUUID()}`, 60_000))).resolves.toBe(true);
  });
});
