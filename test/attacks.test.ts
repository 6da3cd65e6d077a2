/**
 * The attack classes of RFC 8725 and the known CVEs of JWT middlewares, against all four
 * frameworks. Every forged token must get a 4xx of the error table, never a 2xx or a 5xx.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { exportSPKI, generateKeyPair, importJWK, exportJWK, SignJWT, UnsecuredJWT, type CryptoKey } from 'jose';
import request from 'supertest';
import { createTestIssuer, type TestIssuer } from '@tollgate/testing';
import { eachFramework, type Framework } from './harness.js';

let rsa: TestIssuer;
let ec: TestIssuer;
beforeAll(async () => {
  rsa = await createTestIssuer();
  ec = await createTestIssuer({ algorithm: 'ES256' });
});
afterAll(async () => {
  await rsa.close();
  await ec.close();
});

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
const now = () => Math.floor(Date.now() / 1000);
const claimsFor = (idp: TestIssuer, extra: Record<string, unknown> = {}) => ({ iss: idp.issuer, aud: idp.audience, sub: 'mallory', iat: now(), exp: now() + 300, scope: 'orders:read orders:write', ...extra });

describe.each(eachFramework)('%s: attacks', (_name, framework: Framework) => {
  const appFor = (idp: TestIssuer) => framework.app([
    { method: 'get', path: '/orders', guards: (t) => [t.authenticate(idp.authenticateOptions()), t.requireScopes('orders:read')] },
    { method: 'post', path: '/orders', guards: (t) => [t.authenticate(idp.authenticateOptions()), t.requireScopes('orders:write')] },
  ]);
  const send = (idp: TestIssuer, token: string, method: 'get' | 'post' = 'get') => request(appFor(idp))[method]('/orders').set('Authorization', `Bearer ${token}`);

  async function expectRejected(response: request.Response, status: number, error?: string) {
    expect(response.status).toBe(status);
    if (error !== undefined) expect(response.headers['www-authenticate']).toContain(`error="${error}"`);
    expect(JSON.stringify(response.headers) + response.text).not.toMatch(/eyJ[\w-]{10,}/); // no token echoed
    expect(response.text).not.toMatch(/\bat .+\.(ts|js):\d+/); // no stack frames
  }

  it('accepts a genuine token (the control case)', async () => {
    const response = await send(rsa, await rsa.mint({ scope: 'orders:read' }));
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({ ok: true, sub: 'user-1' });
  });

  it('rejects alg "none" (CVE-2015-9235)', async () => {
    const token = new UnsecuredJWT(claimsFor(rsa)).encode();
    await expectRejected(await send(rsa, token), 401, 'invalid_token');
    // and a "none" token with a fake signature appended
    await expectRejected(await send(rsa, `${token}c2ln`), 401, 'invalid_token');
  });

  it('rejects HMAC signed with the RSA public key (key confusion, CVE-2016-10555)', async () => {
    const publicJwk = rsa.jwks().keys[0]!;
    const pem = await exportSPKI((await importJWK(publicJwk, 'RS256', { extractable: true })) as CryptoKey);
    const token = await new SignJWT(claimsFor(rsa)).setProtectedHeader({ alg: 'HS256', kid: publicJwk.kid! }).sign(new TextEncoder().encode(pem));
    await expectRejected(await send(rsa, token), 401, 'invalid_token');
  });

  it('rejects an embedded attacker jwk (CVE-2018-0114)', async () => {
    const { privateKey, publicKey } = await generateKeyPair('RS256', { extractable: true });
    const token = await new SignJWT(claimsFor(rsa)).setProtectedHeader({ alg: 'RS256', jwk: await exportJWK(publicKey) }).sign(privateKey);
    await expectRejected(await send(rsa, token), 401, 'invalid_token');
  });

  it.each(['jku', 'x5u'])('rejects a %s header pointing at an attacker key set', async (param) => {
    const key = await rsa.foreignKey();
    const token = await new SignJWT(claimsFor(rsa)).setProtectedHeader({ alg: 'RS256', [param]: 'https://attacker.example/keys.json' }).sign(key);
    await expectRejected(await send(rsa, token), 401, 'invalid_token');
  });

  it.each([
    ['path traversal', '../../../../../dev/null'],
    ['SQL', "' OR '1'='1"],
    ['huge', 'k'.repeat(4000)],
    ['not a string', 42],
  ])('rejects a hostile kid (%s) without fetching the JWKS for each', async (_what, kid) => {
    const key = await rsa.foreignKey();
    const app = appFor(rsa);
    const before = rsa.jwksRequests;
    for (let i = 0; i < 5; i++) {
      const token = await new SignJWT(claimsFor(rsa)).setProtectedHeader({ alg: 'RS256', kid: kid as string }).sign(key);
      await expectRejected(await request(app).get('/orders').set('Authorization', `Bearer ${token}`), 401, 'invalid_token');
    }
    expect(rsa.jwksRequests - before).toBeLessThanOrEqual(2); // the refetch cooldown holds
  });

  it('rejects a token signed by another key under a known kid', async () => {
    const token = await rsa.mint({}, { key: await rsa.foreignKey() });
    await expectRejected(await send(rsa, token), 401, 'invalid_token');
  });

  it('rejects expired tokens, future nbf and a missing exp', async () => {
    await expectRejected(await send(rsa, await rsa.mint({ scope: 'orders:read' }, { expiresIn: -60 })), 401, 'invalid_token');
    await expectRejected(await send(rsa, await rsa.mint({ scope: 'orders:read', nbf: now() + 600 })), 401, 'invalid_token');
    await expectRejected(await send(rsa, await rsa.mint({ scope: 'orders:read' }, { omit: ['exp'] })), 401, 'invalid_token');
  });

  it('rejects the wrong issuer and the wrong audience; foreign-issuer tokens refetch nothing within the cooldown', async () => {
    const app = appFor(rsa);
    const get = (token: string) => request(app).get('/orders').set('Authorization', `Bearer ${token}`);
    expect((await get(await rsa.mint({ scope: 'orders:read' }))).status).toBe(200); // the key set is cached now
    const before = rsa.jwksRequests;
    for (let i = 0; i < 5; i++) {
      await expectRejected(await get(await rsa.mint({ scope: 'orders:read', iss: 'https://evil.example' })), 401, 'invalid_token');
      await expectRejected(await get(await rsa.mint({ scope: 'orders:read', iss: 'https://evil.example' }, { header: { kid: `evil-${i}` } })), 401, 'invalid_token');
    }
    expect(rsa.jwksRequests).toBe(before);
    await expectRejected(await get(await rsa.mint({ scope: 'orders:read', aud: 'https://other.example' })), 401, 'invalid_token');
  });

  it('rejects a tampered payload and a tampered signature', async () => {
    const [h, p, s] = (await rsa.mint({ scope: 'orders:read' })).split('.') as [string, string, string];
    const forgedPayload = b64({ ...JSON.parse(Buffer.from(p, 'base64url').toString()), scope: 'orders:read orders:write admin' });
    await expectRejected(await send(rsa, `${h}.${forgedPayload}.${s}`, 'post'), 401, 'invalid_token');
    const flipped = (s[0] === 'A' ? 'B' : 'A') + s.slice(1);
    await expectRejected(await send(rsa, `${h}.${p}.${flipped}`), 401, 'invalid_token');
  });

  it('rejects an ECDSA signature of zeros (psychic signatures, CVE-2022-21449)', async () => {
    const [h, p] = (await ec.mint({ scope: 'orders:read' })).split('.') as [string, string];
    const zeros = Buffer.alloc(64).toString('base64url');
    await expectRejected(await send(ec, `${h}.${p}.${zeros}`), 401, 'invalid_token');
  });

  it('rejects unknown crit header parameters (RFC 7515 §4.1.11)', async () => {
    const token = await rsa.mint({ scope: 'orders:read' }, { header: { crit: ['x-tollgate-test'], 'x-tollgate-test': true } });
    await expectRejected(await send(rsa, token), 401, 'invalid_token');
  });

  it('rejects JWE-shaped and garbage tokens', async () => {
    for (const token of ['a.b.c.d.e', `${b64({ alg: 'RSA-OAEP', enc: 'A256GCM' })}.a.b.c.d`, 'garbage', 'a.b.c', 'a..c', `${b64({ alg: 'RS256' })}.${b64('not an object')}.c2ln`, `${b64([1])}.${b64({})}.c2ln`]) {
      await expectRejected(await send(rsa, token), 401, 'invalid_token');
    }
  });

  it('refuses characters outside the token grammar with 400, and oversized tokens', async () => {
    await expectRejected(await request(appFor(rsa)).get('/orders').set('Authorization', 'Bearer abc def'), 400, 'invalid_request');
    await expectRejected(await request(appFor(rsa)).get('/orders').set('Authorization', 'Bearer {"alg":"none"}'), 400, 'invalid_request');
    await expectRejected(await send(rsa, `${'a'.repeat(9000)}.b.c`), 400, 'invalid_request');
  });

  it('does not let __proto__ or constructor claims grant scopes', async () => {
    for (const payload of [
      JSON.parse(`{"__proto__": {"scope": "orders:write"}, "scope": "orders:read"}`),
      JSON.parse(`{"constructor": {"prototype": {"scope": "orders:write"}}, "scope": "orders:read"}`),
    ] as Record<string, unknown>[]) {
      const response = await send(rsa, await rsa.mint(payload), 'post');
      await expectRejected(response, 403, 'insufficient_scope');
    }
    expect(({} as Record<string, unknown>).scope).toBeUndefined(); // no prototype pollution
  });

  it.each([
    ['a longer scope', 'orders:write:all'],
    ['a prefix', 'orders'],
    ['a suffix match', 'xorders:write'],
    ['a comma list', 'orders:read,orders:write'],
    ['a wrong type', 12],
    ['an array with a non-string', ['orders:write', 7]],
  ])('does not grant orders:write for %s', async (_what, scope) => {
    const response = await send(rsa, await rsa.mint({ scope: scope as string }), 'post');
    await expectRejected(response, 403, 'insufficient_scope');
  });
});
