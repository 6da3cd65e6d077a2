/**
 * Two app instances in two Node processes, one Redis: one budget between them.
 * Each instance is test/fixtures/rate-limit-server.ts, spawned with tsx.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import request from 'supertest';
import { createTestIssuer, type TestIssuer } from '@tollgate/testing';
import { startInstance, type Instance } from './fixtures/instances.js';
import { statuses } from './fixtures/rate-limit-scenarios.js';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const RUN = `tollgate-fleet:${randomUUID()}:`;

let idp: TestIssuer;
let redis: Redis;
const instances: Instance[] = [];

beforeAll(async () => {
  idp = await createTestIssuer();
  redis = new Redis(REDIS_URL);
});

afterAll(async () => {
  await Promise.all(instances.map((i) => i.stop()));
  const keys = await redis.keys(`${RUN}*`);
  if (keys.length > 0) await redis.del(...keys);
  await redis.quit();
  await idp.close();
});

/** Starts one instance and resolves with its origin once it listens. */
async function start(framework: 'express' | 'koa', prefix: string, limit: number): Promise<string> {
  const instance = await startInstance('test/fixtures/rate-limit-server.ts', {
    FRAMEWORK: framework, REDIS_URL, RL_PREFIX: prefix, RL_LIMIT: String(limit), ISSUER: idp.issuer, AUDIENCE: idp.audience, JWKS_URI: idp.jwksUri,
  });
  instances.push(instance);
  return instance.origin;
}

describe('rateLimitPerToken across processes', () => {
  it.each([
    ['two Express instances', 'express', 'express'],
    ['an Express and a Koa instance', 'express', 'koa'],
  ] as const)('%s on one Redis enforce one budget', async (_name, first, second) => {
    const prefix = `${RUN}${randomUUID()}:`;
    const [a, b] = await Promise.all([start(first, prefix, 10), start(second, prefix, 10)]);
    const send = (origin: string, token: string) => request(origin).get('/r').set('Authorization', `Bearer ${token}`);

    // Six on one instance, then the other has four left, then the first has none.
    const token = await idp.mint();
    const onA = [];
    for (let i = 0; i < 6; i++) onA.push(await send(a, token));
    expect(statuses(onA)).toEqual({ 200: 6 });
    expect(statuses(await Promise.all(Array.from({ length: 20 }, () => send(b, token))))).toEqual({ 200: 4, 429: 16 });
    expect((await send(a, token)).status).toBe(429);
    const pids = new Set([...onA].map((r) => (r.body as { pid: number }).pid));
    expect(pids.size).toBe(1);
    expect(pids.has(((await send(b, await idp.mint())).body as { pid: number }).pid)).toBe(false);

    // And under load from both sides at once, still exactly the limit.
    const other = await idp.mint();
    expect(statuses(await Promise.all(Array.from({ length: 60 }, (_, i) => send(i % 2 === 0 ? a : b, other))))).toEqual({ 200: 10, 429: 50 });
  }, 60_000);
});
