/**
 * DPoP (RFC 9449) end to end, against Express 4, Express 5, Koa 2 and Koa 3: bound tokens,
 * proofs checked claim by claim, no downgrade to Bearer, replayed proofs, server nonces.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { generateKeyPair } from 'jose';
import request from 'supertest';
import { createDpopHolder, createTestIssuer, type DpopHolder, type TestIssuer } from '@tollgate/testing';
import { MemoryNonceStore } from '@tollgate/core';
import { eachFramework, type Framework } from './harness.js';
import { respellings } from './respell.js';

const ORIGIN = 'https://api.tollgate.test';
let idp: TestIssuer;
let holder: DpopHolder;
let thief: DpopHolder;
beforeAll(async () => {
  idp = await createTestIssuer();
  holder = await createDpopHolder();
  thief = await createDpopHolder('EdDSA');
});
afterAll(async () => {
  await idp.close();
});

describe.each(eachFramework)('%s: DPoP', (_name, framework: Framework) => {
  const app = (dpop: Record<string, unknown> = { origin: ORIGIN }, trustProxy = false) => framework.app([
    { method: 'get', path: '/orders', guards: (t) => [t.authenticate({ ...idp.authenticateOptions(), dpop })] },
    { method: 'post', path: '/orders', guards: (t) => [t.authenticate({ ...idp.authenticateOptions(), dpop })] },
  ], { trustProxy });
  const boundToken = () => idp.mint({ scope: 'orders:read', cnf: { jkt: holder.jkt } });

  function call(server: ReturnType<typeof app>, token: string, proof: string | undefined, path = '/orders', method: 'get' | 'post' = 'get') {
    const req = request(server)[method](path).set('Authorization', `DPoP ${token}`);
    return proof === undefined ? req : req.set('DPoP', proof);
  }

  it('accepts a bound token with a valid proof', async () => {
    const token = await boundToken();
    const response = await call(app(), token, await holder.proof({ htu: `${ORIGIN}/orders`, accessToken: token }));
    expect(response.status).toBe(200);
    expect(response.body.sub).toBe('user-1');
  });

  it('ignores query and fragment in htu (RFC 9449 §4.3)', async () => {
    const token = await boundToken();
    const response = await call(app(), token, await holder.proof({ htu: `${ORIGIN}/orders?page=1#top`, accessToken: token }), '/orders?page=2');
    expect(response.status).toBe(200);
  });

  it('refuses a bound token sent as Bearer: no downgrade', async () => {
    const response = await request(app()).get('/orders').set('Authorization', `Bearer ${await boundToken()}`);
    expect(response.status).toBe(401);
    expect(response.headers['www-authenticate']).toMatch(/^Bearer error="invalid_token", error_description="[^"]+", DPoP algs="[^"]+"$/);
  });

  it('refuses an unbound token under the DPoP scheme', async () => {
    const token = await idp.mint({ scope: 'orders:read' });
    const response = await call(app(), token, await holder.proof({ htu: `${ORIGIN}/orders`, accessToken: token }));
    expect(response.status).toBe(401);
    expect(response.headers['www-authenticate']).toContain('DPoP algs=');
  });

  it('refuses a missing proof with invalid_dpop_proof', async () => {
    const response = await call(app(), await boundToken(), undefined);
    expect(response.status).toBe(401);
    expect(response.headers['www-authenticate']).toMatch(/DPoP algs="[^"]+", error="invalid_dpop_proof"/);
  });

  it.each<[string, (token: string) => Promise<string>]>([
    ['another method', (token) => holder.proof({ htm: 'POST', htu: `${ORIGIN}/orders`, accessToken: token })],
    ['another path', (token) => holder.proof({ htu: `${ORIGIN}/admin`, accessToken: token })],
    ['another origin', (token) => holder.proof({ htu: 'https://evil.example/orders', accessToken: token })],
    ['another access token', async () => holder.proof({ htu: `${ORIGIN}/orders`, accessToken: await boundToken() })],
    ['no ath', () => holder.proof({ htu: `${ORIGIN}/orders` })],
    ['an old iat', (token) => holder.proof({ htu: `${ORIGIN}/orders`, accessToken: token, iat: Math.floor(Date.now() / 1000) - 600 })],
    ['a future iat', (token) => holder.proof({ htu: `${ORIGIN}/orders`, accessToken: token, iat: Math.floor(Date.now() / 1000) + 600 })],
    ['typ JWT', (token) => holder.proof({ htu: `${ORIGIN}/orders`, accessToken: token, header: { typ: 'JWT' } })],
    ['no jti', (token) => holder.proof({ htu: `${ORIGIN}/orders`, accessToken: token, claims: { jti: undefined } })],
    ['a signature by another key', async (token) => holder.proof({ htu: `${ORIGIN}/orders`, accessToken: token, signWith: (await generateKeyPair('ES256')).privateKey })],
    ['a garbage proof', async () => 'not.a.proof'],
  ])('refuses a proof with %s', async (_what, makeProof) => {
    const token = await boundToken();
    const response = await call(app(), token, await makeProof(token));
    expect(response.status).toBe(401);
    expect(response.headers['www-authenticate']).toMatch(/error="invalid_dpop_proof"/);
  });

  it('refuses a proof by a key the token is not bound to', async () => {
    const token = await boundToken();
    const response = await call(app(), token, await thief.proof({ htu: `${ORIGIN}/orders`, accessToken: token }));
    expect(response.status).toBe(401);
    expect(response.headers['www-authenticate']).toMatch(/DPoP algs="[^"]+", error="invalid_token"/);
  });

  it('refuses a replayed proof', async () => {
    const server = app();
    const token = await boundToken();
    const proof = await holder.proof({ htu: `${ORIGIN}/orders`, accessToken: token });
    expect((await call(server, token, proof)).status).toBe(200);
    const replay = await call(server, token, proof);
    expect(replay.status).toBe(401);
    expect(replay.headers['www-authenticate']).toContain('error_description="The DPoP proof was already used"');
  });

  it('refuses every re-spelling of a fresh proof, and still accepts the proof as minted', async () => {
    const server = app();
    const token = await boundToken();
    const proof = await holder.proof({ htu: `${ORIGIN}/orders`, accessToken: token });
    for (const spelling of respellings(proof)) {
      const response = await call(server, token, spelling);
      expect(response.status).toBe(401);
      expect(response.headers['www-authenticate']).toContain('error="invalid_dpop_proof"');
    }
    expect((await call(server, token, proof)).status).toBe(200);
  });

  it('gives each key its own proof quota, so one client cannot fill the proof store and lock the others out', async () => {
    const server = app({ origin: ORIGIN, store: new MemoryNonceStore({ max: 6 }), maxProofsPerKey: 3 });
    const send = async (client: DpopHolder, token: string) => call(server, token, await client.proof({ htu: `${ORIGIN}/orders`, accessToken: token }));
    const token = await boundToken();
    for (let i = 0; i < 3; i++) expect((await send(holder, token)).status).toBe(200);
    for (let i = 0; i < 4; i++) {
      const over = await send(holder, token);
      expect(over.status).toBe(429);
      expect(Number(over.headers['retry-after'])).toBeGreaterThan(0);
      expect(Number(over.headers['retry-after'])).toBeLessThanOrEqual(310); // proofMaxAge 300 + 2 × 5 s tolerance
    }
    const neighbour = await createDpopHolder();
    const theirs = await idp.mint({ scope: 'orders:read', cnf: { jkt: neighbour.jkt } });
    for (let i = 0; i < 3; i++) expect((await send(neighbour, theirs)).status).toBe(200);
  });

  it('builds htu from the Host header, and from X-Forwarded-Host only behind a trusted proxy', async () => {
    const token = await boundToken();
    const proofFor = (htu: string) => holder.proof({ htu, accessToken: token });
    const direct = await call(app({ trustHostHeader: true }), token, await proofFor('http://api.local:8080/orders')).set('Host', 'api.local:8080');
    expect(direct.status).toBe(200);
    const spoofed = await call(app({ trustHostHeader: true }), token, await proofFor('http://evil.example/orders')).set('Host', 'api.local:8080').set('X-Forwarded-Host', 'evil.example');
    expect(spoofed.status).toBe(401);
    const proxied = await call(app({ trustHostHeader: true }, true), token, await proofFor('https://api.public.example/orders'))
      .set('Host', 'internal:3000').set('X-Forwarded-Host', 'api.public.example').set('X-Forwarded-Proto', 'https');
    expect(proxied.status).toBe(200);
  });

  it('with dpop.required refuses plain bearer tokens', async () => {
    const response = await request(app({ origin: ORIGIN, required: true })).get('/orders').set('Authorization', `Bearer ${await idp.mint()}`);
    expect(response.status).toBe(401);
    expect(response.headers['www-authenticate']).toMatch(/^DPoP algs="[^"]+", error="invalid_token"/);
    const none = await request(app({ origin: ORIGIN, required: true })).get('/orders');
    expect(none.headers['www-authenticate']).toMatch(/^DPoP algs="[^"]+"$/);
  });

  it('demands and rotates server nonces (use_dpop_nonce)', async () => {
    const server = app({ origin: ORIGIN, nonce: { secret: 'a shared nonce secret of 32 bytes or more' } });
    const token = await boundToken();
    const first = await call(server, token, await holder.proof({ htm: 'POST', htu: `${ORIGIN}/orders`, accessToken: token }), '/orders', 'post');
    expect(first.status).toBe(401);
    expect(first.headers['www-authenticate']).toContain('error="use_dpop_nonce"');
    const nonce = first.headers['dpop-nonce'];
    expect(nonce).toMatch(/^[\w-]{20,}$/);
    const second = await call(server, token, await holder.proof({ htm: 'POST', htu: `${ORIGIN}/orders`, accessToken: token, nonce }), '/orders', 'post');
    expect(second.status).toBe(200);
    expect(second.headers['dpop-nonce']).toBe(nonce);
    const wrong = await call(server, token, await holder.proof({ htm: 'POST', htu: `${ORIGIN}/orders`, accessToken: token, nonce: 'made-up-nonce-value-000000' }), '/orders', 'post');
    expect(wrong.status).toBe(401);
  });
});
