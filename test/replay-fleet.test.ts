/**
 * Two instances in two Node processes (one Express, one Koa) sharing one Redis: a token or DPoP
 * proof used on one is refused on the other, a revocation written through one is enforced by
 * the other at once, and when Redis goes away both answer 503 quickly and recover by themselves.
 * Redis is reached through a TCP proxy, so the test can take it away without stopping the real one.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import request from 'supertest';
import { createDpopHolder, createTestIssuer, type DpopHolder, type TestIssuer } from '@tollgate/testing';
import { REDIS_TARGET, REDIS_URL } from '../packages/redis/test/clients.js';
import { startTcpProxy, type TcpProxy } from '../packages/redis/test/tcp-proxy.js';
import { startInstance, type Instance } from './fixtures/instances.js';

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

const bearer = (origin: string, method: 'get' | 'delete', token: string) => request(origin)[method]('/orders').set('Authorization', `Bearer ${token}`);

describe('replay protection and revocation across instances', () => {
  it('a token used on A is refused on B', async () => {
    const token = await idp.mint();
    expect((await bearer(a.origin, 'delete', token)).status).toBe(200);
    const replay = await bearer(b.origin, 'delete', token);
    expect(replay.status).toBe(401);
    expect(replay.headers['www-authenticate']).toContain('The access token was already used');
  });

  it('of 20 concurrent uses of one token on both instances exactly one passes', async () => {
    const token = await idp.mint();
    const responses = await Promise.all(Array.from({ length: 20 }, (_, i) => bearer(i % 2 === 0 ? a.origin : b.origin, 'delete', token)));
    expect(responses.filter((r) => r.status === 200)).toHaveLength(1);
    expect(responses.filter((r) => r.status === 401)).toHaveLength(19);
  });

  it('a DPoP proof used on A is refused on B', async () => {
    const token = await idp.mint({ cnf: { jkt: holder.jkt } });
    const proof = await holder.proof({ htu: `${ORIGIN}/orders`, accessToken: token });
    const send = (origin: string) => request(origin).get('/orders').set('Authorization', `DPoP ${token}`).set('DPoP', proof);
    expect((await send(a.origin)).status).toBe(200);
    const replay = await send(b.origin);
    expect(replay.status).toBe(401);
    expect(replay.headers['www-authenticate']).toContain('error="invalid_dpop_proof"');
  });

  it('a revocation written through A is enforced on B at once, cached tokens included', async () => {
    const token = await idp.mint({ sub: 'mallory' });
    const other = await idp.mint({ sub: 'trent' });
    expect((await bearer(b.origin, 'get', token)).status).toBe(200); // now in B's verified-token cache
    expect((await request(a.origin).post('/admin/revoke').send({ token })).status).toBe(200);
    expect((await bearer(b.origin, 'get', token)).status).toBe(401);
    expect((await bearer(b.origin, 'get', other)).status).toBe(200);
    expect((await request(b.origin).post('/admin/revoke').set('content-type', 'application/json').send(JSON.stringify({ subject: 'trent' }))).status).toBe(200);
    expect((await bearer(a.origin, 'get', other)).status).toBe(401);
  });

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
