/**
 * Two instances in two Node processes (one Express, one Koa) sharing one Redis: a token or DPoP
 * proof used on one is refused on the other, a revocation written through one is enforced by
 * the other at once, and when Redis goes away both answer 503 quickly and recover by themselves.
 * Redis is reached through a TCP proxy, so the test can take it away without stopping the real one.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { createDpopHolder, createTestIssuer, type DpopHolder, type TestIssuer } from '@tollgate/testing';
import { REDIS_TARGET, REDIS_URL } from '../packages/redis/test/clients.js';
import { startTcpProxy, type TcpProxy } from '../packages/redis/test/tcp-proxy.js';
import { startInstance, type Instance } from './fixtures/instances.js';
import { bearer, describeFleetScenarios } from './fixtures/fleet-scenarios.js';

const ORIGIN = 'https://api.tollgate.test';
const PREFIX = `tollgate-replay-fleet:${randomUUID()}:`;
let idp: TestIssuer;
let holder: DpopHolder;
let proxy: TcpProxy;
let redis: Redis;
let a: Instance;
let b: Instance;

beforeAll(async () => {
  idp = await createTestIssuer();
  holder = await createDpopHolder();
  redis = new Redis(REDIS_URL);
  proxy = await startTcpProxy(REDIS_TARGET);
  const env = { REDIS_URL: `redis://127.0.0.1:${proxy.port}`, PREFIX, ISSUER: idp.issuer, AUDIENCE: idp.audience, JWKS_URI: idp.jwksUri, ORIGIN };
  [a, b] = await Promise.all([startInstance('test/fixtures/replay-server.ts', { ...env, FRAMEWORK: 'express' }), startInstance('test/fixtures/replay-server.ts', { ...env, FRAMEWORK: 'koa' })]);
}, 60_000);

afterAll(async () => {
  await Promise.all([a?.stop(), b?.stop()]);
  await proxy?.stop();
  const keys = await redis.keys(`${PREFIX}*`);
  if (keys.length > 0) await redis.del(...keys);
  await redis.quit();
  await idp.close();
});

describeFleetScenarios('replay protection and revocation across instances', () => ({ a, b, idp, holder, origin: ORIGIN }));

describe('a fleet whose Redis goes away', () => {
  it('answers 503 while Redis is away, never lets a request through, and recovers by itself', async () => {
    const token = await idp.mint();
    expect((await bearer(a.origin, 'get', token)).status).toBe(200);
    await proxy.stop();
    try {
      for (const [origin, method] of [[a.origin, 'get'], [b.origin, 'get'], [a.origin, 'delete'], [b.origin, 'delete']] as const) {
        const started = Date.now();
        const response = await bearer(origin, method, await idp.mint());
        expect([origin, method, response.status]).toEqual([origin, method, 503]);
        expect(response.headers['retry-after']).toBeDefined();
        expect(Date.now() - started).toBeLessThan(5_000); // bounded: a command timeout, not a hang
      }
    } finally {
      await proxy.start();
    }
    let status = 0;
    for (let i = 0; i < 100 && status !== 200; i++) {
      status = (await bearer(b.origin, 'delete', await idp.mint())).status;
      if (status !== 200) await new Promise((r) => setTimeout(r, 100));
    }
    expect(status).toBe(200);
    expect((await bearer(a.origin, 'get', token)).status).toBe(200);
  });
});
