/**
 * rateLimitPerToken on rate-limit-redis's RedisStore, unchanged, against a real Redis
 * (REDIS_URL, default redis://127.0.0.1:6379), with ioredis and node-redis clients.
 */
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { createServer, connect, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { Redis } from 'ioredis';
import { createClient } from 'redis';
import { RedisStore, type RedisReply } from 'rate-limit-redis';
import request from 'supertest';
import { fingerprint } from '@tollgate/core';
import { createTestIssuer, type TestIssuer } from '@tollgate/testing';
import type { RateLimitOptions } from '../packages/core/src/limits/rate-limit.js';
import { describeRateLimitStoreContract } from './fixtures/rate-limit-store-contract.js';
import { close, serve, statuses, type RateLimitHarness } from './fixtures/rate-limit-scenarios.js';
import { eachRateLimitFramework, express5Harness, koa3Harness } from './fixtures/rate-limit-apps.js';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const RUN = `tollgate-test:${randomUUID()}:`;

let ioredis: Redis;
let nodeRedis: ReturnType<typeof createClient>;
let idp: TestIssuer;
const extraClients: Redis[] = [];

beforeAll(async () => {
  ioredis = new Redis(REDIS_URL);
  nodeRedis = createClient({ url: REDIS_URL });
  await nodeRedis.connect();
  idp = await createTestIssuer();
});

afterAll(async () => {
  // Clean up every key this run wrote, then close every client.
  let cursor = '0';
  do {
    const [next, keys] = await ioredis.scan(cursor, 'MATCH', `${RUN}*`, 'COUNT', 1000);
    if (keys.length > 0) await ioredis.del(...keys);
    cursor = next;
  } while (cursor !== '0');
  // (disconnect() on an ioredis client that already ended would arm a new timer)
  for (const client of extraClients) if (client.status !== 'end') client.disconnect();
  await nodeRedis.quit();
  await ioredis.quit();
  await idp.close();
});

/** A RedisStore over ioredis, with a fresh prefix of this run unless one is given. */
function ioredisStore(prefix = `${RUN}${randomUUID()}:`, client: Redis = ioredis): RedisStore {
  return new RedisStore({ sendCommand: (command: string, ...args: string[]) => client.call(command, ...args) as Promise<RedisReply>, prefix });
}

/** A RedisStore over node-redis. */
function nodeRedisStore(prefix = `${RUN}${randomUUID()}:`): RedisStore {
  return new RedisStore({ sendCommand: (...args: string[]) => nodeRedis.sendCommand(args), prefix });
}

const get = (app: Parameters<typeof request>[0], token: string) => request(app).get('/r').set('Authorization', `Bearer ${token}`);
const appWith = (harness: RateLimitHarness, options: RateLimitOptions) => harness.app(idp, [harness.rateLimitPerToken(options)]);

for (const [name, create] of [['ioredis', ioredisStore], ['node-redis', nodeRedisStore]] as const) {
  describeRateLimitStoreContract(`RedisStore (${name})`, {
    async create(windowMs) {
      const store = create();
      await store.init({ windowMs } as Parameters<RedisStore['init']>[0]);
      return { store, now: Date.now, close: async () => {} };
    },
  });
}

describe.each(eachRateLimitFramework)('%s: rateLimitPerToken on Redis', (_name, harness) => {
  it('lets exactly 10 of 100 parallel requests through a limit of 10', async () => {
    const server = await serve(appWith(harness, { limit: 10, windowMs: 60_000, store: ioredisStore() }));
    try {
      const token = await idp.mint();
      expect(statuses(await Promise.all(Array.from({ length: 100 }, () => get(server, token))))).toEqual({ 200: 10, 429: 90 });
    } finally {
      await close(server);
    }
  });

  it('works the same on a node-redis client', async () => {
    const app = appWith(harness, { limit: 2, windowMs: 60_000, store: nodeRedisStore() });
    const token = await idp.mint();
    expect([(await get(app, token)).status, (await get(app, token)).status, (await get(app, token)).status]).toEqual([200, 200, 429]);
  });

  it('answers 503 when Redis is unreachable, and 200 with passOnStoreError', async () => {
    const port = await closedPort();
    const deadClient = () => {
      const client = new Redis({ host: '127.0.0.1', port, enableOfflineQueue: false, maxRetriesPerRequest: 0, retryStrategy: () => null });
      client.on('error', () => { /* the connection is expected to fail */ });
      extraClients.push(client);
      return client;
    };
    const token = await idp.mint();
    const down = await get(appWith(harness, { limit: 5, windowMs: 60_000, store: ioredisStore(undefined, deadClient()) }), token);
    expect(down.status).toBe(503);
    expect(down.headers['retry-after']).toBe('1');
    expect(down.headers['ratelimit']).toBeUndefined();

    const log = jest.spyOn(console, 'error').mockImplementation(() => {});
    try {
      const passed = await get(appWith(harness, { limit: 5, windowMs: 60_000, store: ioredisStore(undefined, deadClient()), passOnStoreError: true }), token);
      expect(passed.status).toBe(200);
    } finally {
      log.mockRestore();
    }
  });
});

describe('rateLimitPerToken on Redis, across adapters', () => {
  it('opens a new window once the short window has passed (all four frameworks)', async () => {
    const windowMs = 1500;
    await Promise.all(eachRateLimitFramework.map(async ([, harness]) => {
      const prefix = `${RUN}${randomUUID()}:`;
      const app = appWith(harness, { limit: 2, windowMs, store: ioredisStore(prefix) });
      const token = await idp.mint();
      const first = await get(app, token);
      expect([first.status, (await get(app, token)).status, (await get(app, token)).status]).toEqual([200, 200, 429]);
      // Wait exactly as long as Redis says the window still has to run, then one more millisecond.
      const ttl = await ioredis.pttl(`${prefix}${(first.body as { key: string }).key}`);
      expect(ttl).toBeGreaterThan(0);
      await new Promise((resolve) => setTimeout(resolve, ttl + 1));
      expect((await get(app, token)).status).toBe(200);
    }));
  });

  it('uses one RedisStore class for an Express and a Koa app, with separate budgets under separate prefixes', async () => {
    const expressApp = appWith(express5Harness, { limit: 2, windowMs: 60_000, store: ioredisStore() });
    const koaApp = appWith(koa3Harness, { limit: 2, windowMs: 60_000, store: ioredisStore() });
    const token = await idp.mint();
    expect([(await get(expressApp, token)).status, (await get(expressApp, token)).status, (await get(expressApp, token)).status]).toEqual([200, 200, 429]);
    expect([(await get(koaApp, token)).status, (await get(koaApp, token)).status, (await get(koaApp, token)).status]).toEqual([200, 200, 429]);
  });

  it('shares one budget between an Express and a Koa app through two RedisStores with one prefix', async () => {
    const prefix = `${RUN}${randomUUID()}:`;
    const expressServer = await serve(appWith(express5Harness, { limit: 10, windowMs: 60_000, store: ioredisStore(prefix) }));
    const koaServer = await serve(appWith(koa3Harness, { limit: 10, windowMs: 60_000, store: nodeRedisStore(prefix) }));
    try {
      const token = await idp.mint();
      const responses = await Promise.all(Array.from({ length: 100 }, (_, i) => get(i % 2 === 0 ? expressServer : koaServer, token)));
      expect(statuses(responses)).toEqual({ 200: 10, 429: 90 });
      // Both apps counted under the same key, so their headers agree on the policy.
      expect(new Set(responses.map((r) => r.headers['ratelimit-policy'])).size).toBe(1);
    } finally {
      await close(expressServer);
      await close(koaServer);
    }
  });

  it('keeps two limiters on one Redis prefix apart with the prefix option', async () => {
    const prefix = `${RUN}${randomUUID()}:`;
    const orders = appWith(express5Harness, { limit: 1, windowMs: 60_000, store: ioredisStore(prefix), prefix: 'orders:' });
    const reports = appWith(koa3Harness, { limit: 1, windowMs: 60_000, store: ioredisStore(prefix), prefix: 'reports:' });
    const token = await idp.mint();
    expect([(await get(orders, token)).status, (await get(orders, token)).status]).toEqual([200, 429]);
    expect((await get(reports, token)).status).toBe(200);
    expect(await ioredis.exists(`${prefix}orders:token:${fingerprint(token)}`, `${prefix}reports:token:${fingerprint(token)}`)).toBe(2);
  });

  it('recovers once Redis comes back, though the store could not init at startup', async () => {
    const port = await closedPort();
    const client = new Redis({ host: '127.0.0.1', port, enableOfflineQueue: false, maxRetriesPerRequest: 0, retryStrategy: () => 20 });
    client.on('error', () => { /* refused until the proxy below opens */ });
    extraClients.push(client);
    const expressApp = appWith(express5Harness, { limit: 5, windowMs: 60_000, store: ioredisStore(undefined, client) });
    const koaApp = appWith(koa3Harness, { limit: 5, windowMs: 60_000, store: ioredisStore(undefined, client) });
    const token = await idp.mint();
    expect([(await get(expressApp, token)).status, (await get(koaApp, token)).status]).toEqual([503, 503]);

    const proxy = await redisProxy(port);
    try {
      await new Promise<void>((resolve) => client.once('ready', () => resolve()));
      expect([(await get(expressApp, token)).status, (await get(koaApp, token)).status]).toEqual([200, 200]);
    } finally {
      client.disconnect();
      await proxy.close();
    }
  });
});

/** A loopback port with nothing listening on it. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** A TCP proxy on `port` to the test Redis: Redis "coming back" on that port. */
async function redisProxy(port: number): Promise<{ close(): Promise<void> }> {
  const target = new URL(REDIS_URL);
  const sockets = new Set<Socket>();
  const server: Server = createServer((inbound) => {
    const outbound = connect(Number(target.port || 6379), target.hostname);
    for (const s of [inbound, outbound]) {
      sockets.add(s);
      s.on('error', () => s.destroy());
      s.on('close', () => sockets.delete(s));
    }
    inbound.pipe(outbound).pipe(inbound);
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return {
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
