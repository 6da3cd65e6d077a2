/**
 * Two instances in two Node processes (one Express, one Koa) sharing one RedisAnomalyStore: a
 * token's client addresses and a client's failures are counted once across the fleet, so a
 * token used from three addresses spread over both is refused on both, and a client that fails
 * on both is blocked on both.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import request from 'supertest';
import { createTestIssuer, type TestIssuer } from '@tollgate/testing';
import { REDIS_URL } from '../packages/redis/test/clients.js';
import { startInstance, type Instance } from './fixtures/instances.js';

const PREFIX = `tollgate-anomaly-fleet:${randomUUID()}:`;
let idp: TestIssuer;
let redis: Redis;
let a: Instance;
let b: Instance;

beforeAll(async () => {
  idp = await createTestIssuer();
  redis = new Redis(REDIS_URL);
  const env = { REDIS_URL, PREFIX, ISSUER: idp.issuer, AUDIENCE: idp.audience, JWKS_URI: idp.jwksUri };
  [a, b] = await Promise.all([startInstance('test/fixtures/anomaly-server.ts', { ...env, FRAMEWORK: 'express' }), startInstance('test/fixtures/anomaly-server.ts', { ...env, FRAMEWORK: 'koa' })]);
}, 60_000);

afterAll(async () => {
  await Promise.all([a?.stop(), b?.stop()]);
  const keys = await redis.keys(`${PREFIX}*`);
  if (keys.length > 0) await redis.del(...keys);
  await redis.quit();
  await idp.close();
});

const get = (origin: string, token: string, from: string) => request(origin).get('/orders').set('Authorization', `Bearer ${token}`).set('X-Forwarded-For', from);

describe('anomaly signals across instances', () => {
  it('many-clients: two addresses on A and one on B make three, and the token is refused on both', async () => {
    const token = await idp.mint();
    expect((await get(a.origin, token, '203.0.113.1')).status).toBe(200);
    expect((await get(b.origin, token, '203.0.113.2')).status).toBe(200);
    expect((await get(b.origin, token, '203.0.113.1')).status).toBe(200);
    expect((await get(a.origin, token, '203.0.113.3')).status).toBe(401);
    expect((await get(b.origin, token, '203.0.113.1')).status).toBe(401);
    expect((await get(a.origin, await idp.mint(), '203.0.113.1')).status).toBe(200);
  });

  it('failure-burst: failures on A and B add up, and the client is blocked on both', async () => {
    const from = '198.51.100.77';
    for (const origin of [a.origin, b.origin, a.origin, b.origin]) expect((await get(origin, 'not.a.token', from)).status).toBe(401);
    const token = await idp.mint();
    for (const origin of [a.origin, b.origin]) {
      const blocked = await get(origin, token, from);
      expect(blocked.status).toBe(429);
      expect(Number(blocked.headers['retry-after'])).toBeGreaterThan(590);
    }
    expect((await get(b.origin, token, '198.51.100.78')).status).toBe(200);
    // Each instance counted the signal it raised, in its own metrics.
    const texts = await Promise.all([a.origin, b.origin].map(async (origin) => (await request(origin).get('/metrics')).text));
    const raised = texts.map((t) => Number(/tollgate_anomalies_total\{kind="failure-burst"\} (\d+)/.exec(t)?.[1] ?? 0));
    expect(raised[0]! + raised[1]!).toBe(1);
  });
});
