/**
 * DESIGN.md's error table, row by row, against Express 4, Express 5, Koa 2 and Koa 3:
 * the same request must get the same status and challenge in every framework.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import request from 'supertest';
import { MemoryRevocationStore, type RevocationStore } from '@tollgate/core';
import { createTestIssuer, type TestIssuer } from '@tollgate/testing';
import { eachFramework, type Framework } from './harness.js';

let idp: TestIssuer;
let down: TestIssuer;
const revocation = new MemoryRevocationStore();
const brokenStore: RevocationStore = {
  revokeToken: async () => {},
  revokeSubject: async () => {},
  isRevoked: async () => {
    throw new Error('connection refused');
  },
};

beforeAll(async () => {
  idp = await createTestIssuer();
  down = await createTestIssuer();
  down.setAvailable(false);
});
afterAll(async () => {
  await idp.close();
  await down.close();
});

describe.each(eachFramework)('%s: error table', (_name, framework: Framework) => {
  const options = () => ({ ...idp.authenticateOptions(), realm: 'orders', typ: 'at+jwt' });
  const app = () => framework.app([
    { method: 'get', path: '/orders', guards: (t) => [t.authenticate({ ...options(), revocation }), t.requireScopes('orders:read')] },
    { method: 'post', path: '/orders', guards: (t) => [t.authenticate(options()), t.requireScopes(['orders:read', 'orders:write'])] },
    { method: 'get', path: '/query', guards: (t) => [t.authenticate({ ...options(), tokenLocations: { header: true, query: true } })] },
    { method: 'get', path: '/down', guards: (t) => [t.authenticate(down.authenticateOptions())] },
    { method: 'get', path: '/broken-store', guards: (t) => [t.authenticate({ ...options(), revocation: brokenStore })] },
    { method: 'delete', path: '/orders', guards: (t) => [t.authenticate(options()), t.preventReplay()] },
    { method: 'get', path: '/limited', guards: (t) => [t.authenticate(options()), t.rateLimitPerToken({ limit: 1, windowMs: 60_000 })] },
  ]);
  const mint = (claims: Record<string, unknown> = {}, header: Record<string, unknown> = { typ: 'at+jwt' }) =>
    idp.mint({ scope: 'orders:read', ...claims }, { header });
  const bearer = async (path: string, token: string, method: 'get' | 'post' = 'get') => request(app())[method](path).set('Authorization', `Bearer ${token}`);

  it('no token at all: 401 with a bare challenge', async () => {
    const response = await request(app()).get('/orders');
    expect(response.status).toBe(401);
    expect(response.headers['www-authenticate']).toBe('Bearer realm="orders"');
  });

  it.each([
    ['a scheme with no token', 'Bearer'],
    ['two tokens', 'Bearer a.b.c d.e.f'],
    ['a token with a quote', 'Bearer a"b'],
  ])('malformed header (%s): 400 invalid_request', async (_what, header) => {
    const response = await request(app()).get('/orders').set('Authorization', header);
    expect(response.status).toBe(400);
    expect(response.headers['www-authenticate']).toMatch(/^Bearer realm="orders", error="invalid_request", error_description="[^"]+"$/);
  });

  it('a token sent by more than one method: 400 invalid_request', async () => {
    const token = await mint();
    const response = await request(app()).get(`/query?access_token=${token}`).set('Authorization', `Bearer ${token}`);
    expect(response.status).toBe(400);
    expect(response.headers['www-authenticate']).toContain('error="invalid_request"');
  });

  it('another scheme carries no bearer token: 401 with a bare challenge', async () => {
    const response = await request(app()).get('/orders').set('Authorization', 'Basic dXNlcjpwYXNz');
    expect(response.status).toBe(401);
    expect(response.headers['www-authenticate']).toBe('Bearer realm="orders"');
  });

  it.each([
    ['bad signature', async () => idp.mint({ scope: 'orders:read' }, { header: { typ: 'at+jwt' }, key: await idp.foreignKey() })],
    ['wrong alg', () => idp.mint({ scope: 'orders:read' }, { header: { typ: 'at+jwt', alg: 'HS256' }, key: new Uint8Array(32).fill(7) })],
    ['wrong iss', () => mint({ iss: 'https://evil.example' })],
    ['wrong aud', () => mint({ aud: 'someone-else' })],
    ['wrong typ', () => mint({}, { typ: 'JWT' })],
    ['expired', () => idp.mint({ scope: 'orders:read' }, { header: { typ: 'at+jwt' }, expiresIn: -30 })],
    ['not yet valid', () => mint({ nbf: Math.floor(Date.now() / 1000) + 3600 })],
  ])('%s: 401 invalid_token', async (_what, makeToken) => {
    const response = await bearer('/orders', await makeToken());
    expect(response.status).toBe(401);
    expect(response.headers['www-authenticate']).toMatch(/^Bearer realm="orders", error="invalid_token", error_description="[^"]+"$/);
  });

  it('revoked: 401 invalid_token', async () => {
    const token = await mint({ jti: `revoked-${framework.name}` });
    expect((await bearer('/orders', token)).status).toBe(200);
    await revocation.revokeToken(`revoked-${framework.name}`, new Date(Date.now() + 60_000));
    const response = await bearer('/orders', token);
    expect(response.status).toBe(401);
    expect(response.headers['www-authenticate']).toContain('error_description="The access token was revoked"');
  });

  it('replayed: 401 invalid_token', async () => {
    const server = app();
    const token = await mint();
    expect((await request(server).delete('/orders').set('Authorization', `Bearer ${token}`)).status).toBe(200);
    const response = await request(server).delete('/orders').set('Authorization', `Bearer ${token}`);
    expect(response.status).toBe(401);
    expect(response.headers['www-authenticate']).toBe('Bearer error="invalid_token", error_description="The access token was already used"');
  });

  it('rate limit exceeded: 429 with Retry-After and RateLimit headers', async () => {
    const server = app();
    const token = await mint();
    expect((await request(server).get('/limited').set('Authorization', `Bearer ${token}`)).status).toBe(200);
    const response = await request(server).get('/limited').set('Authorization', `Bearer ${token}`);
    expect(response.status).toBe(429);
    expect(Number(response.headers['retry-after'])).toBeGreaterThan(0);
    expect(response.headers['ratelimit-policy']).toMatch(/^"[^"]+"; q=1; w=60/);
    expect(response.headers.ratelimit).toMatch(/^"[^"]+"; r=0; t=\d+$/);
  });

  it('missing scope: 403 insufficient_scope naming the scopes', async () => {
    const response = await bearer('/orders', await mint(), 'post');
    expect(response.status).toBe(403);
    expect(response.headers['www-authenticate']).toBe(
      'Bearer error="insufficient_scope", error_description="The access token needs all of these scopes: orders:read orders:write", scope="orders:write"',
    );
  });

  it('the JWKS endpoint unreachable: 503, fail closed', async () => {
    const response = await request(app()).get('/down').set('Authorization', `Bearer ${await down.mint()}`);
    expect(response.status).toBe(503);
    expect(response.headers['retry-after']).toBe('5');
  });

  it('a revocation store that fails: 503, fail closed', async () => {
    const response = await bearer('/broken-store', await mint());
    expect(response.status).toBe(503);
    expect(response.text).not.toContain('connection refused');
  });
});
