/**
 * Certificate-bound access tokens (RFC 8705) over real TLS, on Express 4, Express 5, Koa 2 and
 * Koa 3: `cnf["x5t#S256"]` against the client certificate of the connection, or against the one
 * a trusted proxy forwards; and `cnf` members Tollgate cannot verify never pass as bearer tokens.
 */
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import request from 'supertest';
import type { AuthenticateOptions } from '@tollgate/core';
import { createTestIssuer, type TestIssuer } from '@tollgate/testing';
import { eachFramework, type Framework } from './harness.js';
import { makeCertificate, type TestCertificate } from './fixtures/certificates.js';

let idp: TestIssuer;
let serverCert: TestCertificate;
let alice: TestCertificate;
let mallory: TestCertificate;
const servers: Server[] = [];
beforeAll(async () => {
  idp = await createTestIssuer();
  serverCert = makeCertificate('127.0.0.1');
  alice = makeCertificate('alice-client');
  mallory = makeCertificate('mallory-client');
});
afterAll(async () => {
  await idp.close();
  for (const server of servers) server.closeAllConnections();
  await Promise.all(servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
});

describe.each(eachFramework)('%s: certificate-bound tokens', (_name, framework: Framework) => {
  const routes = (options: Partial<AuthenticateOptions>) => [
    { method: 'get' as const, path: '/orders', guards: (t: Framework['adapter']) => [t.authenticate({ ...idp.authenticateOptions(), ...options })] },
  ];

  /** An https server asking for (not demanding) a client certificate, as RFC 8705 §2.2 self-signed binding needs. */
  async function tlsApp(options: Partial<AuthenticateOptions>, trustProxy = false): Promise<string> {
    const server = createServer({ key: serverCert.key, cert: serverCert.cert, requestCert: true, rejectUnauthorized: false }, framework.app(routes(options), { trustProxy }));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    servers.push(server);
    return `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }

  function get(origin: string, token: string, client?: TestCertificate) {
    const req = request(origin).get('/orders').ca(serverCert.cert).set('Authorization', `Bearer ${token}`);
    return client === undefined ? req : req.key(client.key).cert(client.cert);
  }

  const bound = (cert: TestCertificate) => idp.mint({ scope: 'orders:read', cnf: { 'x5t#S256': cert.thumbprint } });

  it('accepts a bound token over a connection with its certificate', async () => {
    const origin = await tlsApp({ mtls: {} });
    const response = await get(origin, await bound(alice), alice);
    expect(response.status).toBe(200);
  });

  it('refuses a bound token over a connection with another certificate, also once it is cached', async () => {
    const origin = await tlsApp({ mtls: {} });
    const token = await bound(alice);
    expect((await get(origin, token, alice)).status).toBe(200);
    const stolen = await get(origin, token, mallory);
    expect(stolen.status).toBe(401);
    expect(stolen.headers['www-authenticate']).toMatch(/^Bearer error="invalid_token", error_description="The access token is bound to another client certificate"$/);
  });

  it('refuses a bound token over a connection without a certificate', async () => {
    const origin = await tlsApp({ mtls: {} });
    const response = await get(origin, await bound(alice));
    expect(response.status).toBe(401);
    expect(response.text).not.toContain('BEGIN CERTIFICATE');
  });

  it('accepts an unbound token unless mtls.required', async () => {
    const token = await idp.mint({ scope: 'orders:read' });
    expect((await get(await tlsApp({ mtls: {} }), token, alice)).status).toBe(200);
    const required = await get(await tlsApp({ mtls: { required: true } }), token, alice);
    expect(required.status).toBe(401);
    expect(required.headers['www-authenticate']).toContain('needs a certificate-bound access token');
  });

  it('refuses a certificate-bound token when mtls is not configured (it cannot be checked)', async () => {
    const response = await get(await tlsApp({}), await bound(alice), alice);
    expect(response.status).toBe(401);
    expect(response.headers['www-authenticate']).toContain('error="invalid_token"');
  });

  it.each<[string, unknown]>([
    ['a jwk confirmation', { jwk: { kty: 'EC', crv: 'P-256', x: 'x', y: 'y' } }],
    ['a kid confirmation', { kid: 'key-1' }],
    ['an unknown member beside jkt', { jkt: 'abc', 'x5t#S512': 'def' }],
    ['a cnf that is a string', 'bound'],
    ['a cnf that is an array', [{ jkt: 'abc' }]],
    ['an empty thumbprint', { 'x5t#S256': '' }],
    ['a cnf that is a number (the issue-18 fuzz finding)', -17],
    ['an empty cnf object, which names no key', {}],
  ])('refuses %s: a binding Tollgate cannot verify never passes as bearer', async (_what, cnf) => {
    const response = await get(await tlsApp({ mtls: {} }), await idp.mint({ scope: 'orders:read', cnf }), alice);
    expect(response.status).toBe(401);
  });

  describe('behind a TLS-terminating proxy (certificateHeader)', () => {
    const header = 'x-client-cert';
    const plainApp = (trustProxy: boolean) => framework.app(routes({ mtls: { certificateHeader: header } }), { trustProxy });
    const forwarded = (cert: TestCertificate) => encodeURIComponent(cert.cert);

    it('accepts the forwarded certificate when the proxy is trusted', async () => {
      const response = await request(plainApp(true)).get('/orders').set('Authorization', `Bearer ${await bound(alice)}`).set(header, forwarded(alice));
      expect(response.status).toBe(200);
    });

    it('ignores the header when the proxy is not trusted', async () => {
      const response = await request(plainApp(false)).get('/orders').set('Authorization', `Bearer ${await bound(alice)}`).set(header, forwarded(alice));
      expect(response.status).toBe(401);
    });

    it('ignores a forged header over TLS without trust, and checks the real certificate', async () => {
      const origin = await tlsApp({ mtls: { certificateHeader: header } });
      const response = await get(origin, await bound(alice), mallory).set(header, forwarded(alice));
      expect(response.status).toBe(401);
    });

    it.each<[string, () => string]>([
      ['another certificate', () => forwarded(mallory)],
      ['garbage', () => 'not%20a%20certificate'],
      ['broken URL encoding', () => '%E0%A4%A'],
    ])('refuses %s in the header', async (_what, value) => {
      const response = await request(plainApp(true)).get('/orders').set('Authorization', `Bearer ${await bound(alice)}`).set(header, value());
      expect(response.status).toBe(401);
      expect(response.text).not.toContain('BEGIN');
    });
  });
});

describe('mtls options', () => {
  it.each<[string, unknown]>([
    ['a non-object', true],
    ['required not a boolean', { required: 'yes' }],
    ['a bad header name', { certificateHeader: 'x client cert' }],
    ['an unknown option', { header: 'x-client-cert' }],
  ])('refuses %s at setup', async (_what, mtls) => {
    const { authenticate } = await import('@tollgate/express');
    expect(() => authenticate({ ...idp.authenticateOptions(), mtls: mtls as never })).toThrow(TypeError);
  });
});
