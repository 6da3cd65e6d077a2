/**
 * Opaque access tokens by RFC 7662 introspection, end to end on Express 4, Express 5, Koa 2 and
 * Koa 3, against a real authorization server on loopback (oidc-provider): tokens it issues and
 * revokes, JWTs beside them, and an endpoint that is down, slow, refusing or answering garbage.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import request from 'supertest';
import { createAuthenticator, type AuditEvent, type AuthenticateOptions } from '@tollgate/core';
import { createTestIssuer, type TestIssuer } from '@tollgate/testing';
import { eachFramework, type Framework } from './harness.js';
import { startOAuthServer, type OAuthServer } from './fixtures/oauth-server.js';

let as: OAuthServer;
let idp: TestIssuer;
/** A loopback server whose answer each test chooses; it records what it was sent. */
let fake: { url: string; server: Server; answer: (req: IncomingMessage, res: ServerResponse) => void; seen: { headers: IncomingMessage['headers']; body: string }[] };

beforeAll(async () => {
  as = await startOAuthServer();
  idp = await createTestIssuer();
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => { body += chunk.toString(); });
    req.on('end', () => {
      fake.seen.push({ headers: req.headers, body });
      fake.answer(req, res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  fake = { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/introspect`, server, answer: () => {}, seen: [] };
});
afterAll(async () => {
  await as.close();
  await idp.close();
  fake.server.closeAllConnections();
  await new Promise<void>((resolve) => fake.server.close(() => resolve()));
});

function introspectionOptions(overrides: Partial<NonNullable<AuthenticateOptions['introspection']>> = {}): AuthenticateOptions['introspection'] & object {
  return { endpoint: as.introspectionEndpoint, ...as.resourceServer, ...overrides };
}

/** Options that accept the AS's opaque tokens and the test issuer's JWTs side by side. */
function sideBySide(extra: Partial<AuthenticateOptions> = {}, introspection = introspectionOptions()): AuthenticateOptions {
  return { ...idp.authenticateOptions(), issuer: [idp.issuer, as.issuer], audience: as.audience, introspection, ...extra };
}

function answerJson(status: number, body: unknown, type = 'application/json') {
  return (_req: IncomingMessage, res: ServerResponse) => {
    res.writeHead(status, { 'content-type': type }).end(typeof body === 'string' ? body : JSON.stringify(body));
  };
}

describe.each(eachFramework)('%s: introspection (RFC 7662)', (_name, framework: Framework) => {
  const app = (options: AuthenticateOptions, scopes: string[] = ['orders:read']) =>
    framework.app([{ method: 'get', path: '/orders', guards: (t) => [t.authenticate(options), t.requireScopes(scopes)] }]);

  it('accepts an opaque token the server issued, with its scopes', async () => {
    const token = await as.issue('orders:read');
    const response = await request(app(sideBySide())).get('/orders').set('Authorization', `Bearer ${token}`);
    expect(response.status).toBe(200);
    expect(response.body.scopes).toEqual(['orders:read']);
  });

  it('accepts JWTs on the same route, without introspecting them', async () => {
    const server = app(sideBySide());
    const before = as.introspections;
    const response = await request(server).get('/orders').set('Authorization', `Bearer ${await idp.mint({ scope: 'orders:read', aud: as.audience })}`);
    expect(response.status).toBe(200);
    expect(as.introspections).toBe(before);
  });

  it('never introspects a JWT that fails verification', async () => {
    const forged = await idp.mint({ scope: 'orders:read', aud: as.audience }, { key: await idp.foreignKey() });
    const before = as.introspections;
    const response = await request(app(sideBySide())).get('/orders').set('Authorization', `Bearer ${forged}`);
    expect(response.status).toBe(401);
    expect(response.headers['www-authenticate']).toContain('error="invalid_token"');
    expect(as.introspections).toBe(before);
  });

  it('introspects JWTs too when no key source is configured', async () => {
    const options: AuthenticateOptions = { issuer: as.issuer, audience: as.audience, introspection: introspectionOptions() };
    const before = as.introspections;
    const response = await request(app(options)).get('/orders').set('Authorization', `Bearer ${await idp.mint({ scope: 'orders:read' })}`);
    expect(response.status).toBe(401); // oidc-provider: 400 unsupported_token_type, which is no outage
    expect(as.introspections).toBe(before + 1);
  });

  it('applies the scope guard to an introspected token (403 without the scope)', async () => {
    const response = await request(app(sideBySide(), ['orders:write'])).get('/orders').set('Authorization', `Bearer ${await as.issue('orders:read')}`);
    expect(response.status).toBe(403);
    expect(response.headers['www-authenticate']).toMatch(/^Bearer error="insufficient_scope"/);
  });

  it('caches an active answer: one introspection for repeated requests', async () => {
    const server = app(sideBySide());
    const token = await as.issue();
    const before = as.introspections;
    for (let i = 0; i < 3; i++) expect((await request(server).get('/orders').set('Authorization', `Bearer ${token}`)).status).toBe(200);
    expect(as.introspections).toBe(before + 1);
  });

  it('refuses a token revoked at the server once the cache lets go of it (at once with cacheTtlMs: 0)', async () => {
    let clock = Date.now();
    const cached = app(sideBySide({ now: () => clock }));
    const uncached = app(sideBySide({}, introspectionOptions({ cacheTtlMs: 0 })));
    const token = await as.issue();
    expect((await request(cached).get('/orders').set('Authorization', `Bearer ${token}`)).status).toBe(200);
    expect((await request(uncached).get('/orders').set('Authorization', `Bearer ${token}`)).status).toBe(200);
    await as.revoke(token);
    const revoked = await request(uncached).get('/orders').set('Authorization', `Bearer ${token}`);
    expect(revoked.status).toBe(401);
    expect(revoked.headers['www-authenticate']).toContain('error="invalid_token"');
    expect((await request(cached).get('/orders').set('Authorization', `Bearer ${token}`)).status).toBe(200);
    clock += 60_001;
    expect((await request(cached).get('/orders').set('Authorization', `Bearer ${token}`)).status).toBe(401);
  });

  it('refuses an unknown token, and remembers the refusal for 5 s', async () => {
    let clock = Date.now();
    const server = app(sideBySide({ now: () => clock }));
    const before = as.introspections;
    for (let i = 0; i < 3; i++) {
      const response = await request(server).get('/orders').set('Authorization', 'Bearer not-a-token-the-server-knows');
      expect(response.status).toBe(401);
      expect(response.headers['www-authenticate']).toMatch(/^Bearer error="invalid_token", error_description="The access token is not active"$/);
    }
    expect(as.introspections).toBe(before + 1);
    clock += 5001;
    expect((await request(server).get('/orders').set('Authorization', 'Bearer not-a-token-the-server-knows')).status).toBe(401);
    expect(as.introspections).toBe(before + 2);
  });

  it('refuses an active token for another audience', async () => {
    const options: AuthenticateOptions = { issuer: as.issuer, audience: 'https://other-api.tollgate.test', introspection: introspectionOptions() };
    const response = await request(app(options)).get('/orders').set('Authorization', `Bearer ${await as.issue()}`);
    expect(response.status).toBe(401);
    expect(response.headers['www-authenticate']).toContain('not meant for this audience');
  });

  it('refuses an active answer from another issuer', async () => {
    const options: AuthenticateOptions = { issuer: 'https://id.elsewhere.test', audience: as.audience, introspection: introspectionOptions() };
    const response = await request(app(options)).get('/orders').set('Authorization', `Bearer ${await as.issue()}`);
    expect(response.status).toBe(401);
    expect(response.headers['www-authenticate']).toContain('untrusted issuer');
  });

  it('refuses an expired answer', async () => {
    const later = Date.now() + 3_600_000;
    const response = await request(app(sideBySide({ now: () => later }))).get('/orders').set('Authorization', `Bearer ${await as.issue()}`);
    expect(response.status).toBe(401);
    expect(response.headers['www-authenticate']).toContain('expired');
  });

  it('answers 503 when the server refuses Tollgate\'s own credentials, and never leaks them', async () => {
    const token = await as.issue();
    const options = sideBySide({}, introspectionOptions({ clientSecret: 'wrong secret, certainly' }));
    const response = await request(app(options)).get('/orders').set('Authorization', `Bearer ${token}`);
    expect(response.status).toBe(503);
    expect(response.headers['retry-after']).toBe('5');
    const seen = JSON.stringify({ headers: response.headers, body: response.body, text: response.text });
    for (const secret of [token, 'wrong secret', as.resourceServer.clientSecret]) expect(seen).not.toContain(secret);
  });

  it('answers 503 when the endpoint is down', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', () => resolve()));
    const endpoint = `http://127.0.0.1:${(closed.address() as AddressInfo).port}/introspect`;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const response = await request(app(sideBySide({}, introspectionOptions({ endpoint })))).get('/orders').set('Authorization', 'Bearer opaque-token-1');
    expect(response.status).toBe(503);
    const error = await createAuthenticator(sideBySide({}, introspectionOptions({ endpoint }))).authenticate({ method: 'GET', url: '/', headers: { authorization: 'Bearer opaque-token-1' } }).catch((e: unknown) => e);
    expect(error).toMatchObject({ status: 503, reason: 'introspection_unavailable' });
    expect(((error as Error).cause as Error).message).toBe('could not be reached (TypeError, ECONNREFUSED)');
  });

  it('answers 503, not a hang, when the endpoint is slow', async () => {
    fake.answer = () => { /* never answers */ };
    const response = await request(app(sideBySide({}, introspectionOptions({ endpoint: fake.url, timeoutMs: 150 })))).get('/orders').set('Authorization', 'Bearer opaque-token-2');
    expect(response.status).toBe(503);
  });

  it('answers 503, not a hang, when the answer trickles in slower than the timeout', async () => {
    fake.answer = (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('{"active":');
      const t = setInterval(() => res.write(' '), 50);
      res.on('close', () => clearInterval(t));
    };
    const response = await request(app(sideBySide({}, introspectionOptions({ endpoint: fake.url, timeoutMs: 300 })))).get('/orders').set('Authorization', 'Bearer opaque-token-7');
    expect(response.status).toBe(503);
  });

  it('refuses a DPoP-bound answer (cnf.jkt) presented as a bearer token', async () => {
    fake.answer = answerJson(200, { active: true, exp: Math.floor(Date.now() / 1000) + 60, aud: as.audience, scope: 'orders:read', cnf: { jkt: 'A'.repeat(43) } });
    const response = await request(app(sideBySide({}, introspectionOptions({ endpoint: fake.url })))).get('/orders').set('Authorization', 'Bearer opaque-token-8');
    expect(response.status).toBe(401);
    expect(response.headers['www-authenticate']).toContain('DPoP-bound');
  });

  it.each<[string, (req: IncomingMessage, res: ServerResponse) => void]>([
    ['HTML', answerJson(200, '<html>oops</html>', 'text/html')],
    ['broken JSON', answerJson(200, '{"active":tru')],
    ['an array', answerJson(200, [true])],
    ['no active member', answerJson(200, { scope: 'orders:read' })],
    ['active as a string', answerJson(200, { active: 'true', exp: 9_999_999_999, aud: 'https://api.tollgate.test' })],
    ['a 500', answerJson(500, { error: 'server_error' })],
    ['a 400 invalid_request', answerJson(400, { error: 'invalid_request' })],
    ['a redirect', (_req, res) => { res.writeHead(302, { location: 'http://127.0.0.1:1/' }).end(); }],
    ['an endless body', (_req, res) => { res.writeHead(200, { 'content-type': 'application/json' }); res.write('{"active":true,"pad":"'); const t = setInterval(() => res.write('x'.repeat(16_384)), 1); res.on('close', () => clearInterval(t)); }],
  ])('answers 503 for %s', async (_what, answer) => {
    fake.answer = answer;
    const response = await request(app(sideBySide({}, introspectionOptions({ endpoint: fake.url })))).get('/orders').set('Authorization', 'Bearer opaque-token-3');
    expect(response.status).toBe(503);
    expect(response.body).not.toHaveProperty('stack');
  });

  it.each<[string, Record<string, unknown>]>([
    ['no exp', { active: true, aud: 'https://api.tollgate.test' }],
    ['no aud', { active: true, exp: 9_999_999_999 }],
    ['a refresh token type', { active: true, exp: 9_999_999_999, aud: 'https://api.tollgate.test', token_type: 'refresh_token' }],
    ['an unverifiable cnf', { active: true, exp: 9_999_999_999, aud: 'https://api.tollgate.test', cnf: { jwk: { kty: 'EC' } } }],
  ])('refuses an active answer with %s', async (_what, answer) => {
    fake.answer = answerJson(200, answer);
    const response = await request(app(sideBySide({}, introspectionOptions({ endpoint: fake.url })))).get('/orders').set('Authorization', 'Bearer opaque-token-4');
    expect(response.status).toBe(401);
  });
});

describe('introspection request', () => {
  it('posts token and token_type_hint with client_secret_basic, id and secret form-encoded (RFC 6749 §2.3.1)', async () => {
    fake.seen = [];
    fake.answer = answerJson(200, { active: true, exp: Math.floor(Date.now() / 1000) + 60, aud: 'https://api.tollgate.test', scope: 'a b', sub: 'user-7' });
    const authenticator = createAuthenticator({ issuer: 'https://id.tollgate.test', audience: 'https://api.tollgate.test', introspection: { endpoint: fake.url, clientId: 'api:one two', clientSecret: 'p&ss+w/rd=%' } });
    const auth = await authenticator.authenticate({ method: 'GET', url: '/', headers: { authorization: 'Bearer opaque~token_5' } });
    expect(auth).toMatchObject({ scheme: 'introspection', subject: 'user-7', scopes: ['a', 'b'], issuer: 'https://id.tollgate.test' });
    const [seen] = fake.seen;
    expect(Object.fromEntries(new URLSearchParams(seen!.body))).toEqual({ token: 'opaque~token_5', token_type_hint: 'access_token' });
    expect(seen!.headers['content-type']).toBe('application/x-www-form-urlencoded');
    const basic = Buffer.from(seen!.headers.authorization!.replace(/^Basic /, ''), 'base64').toString();
    expect(basic).toBe('api%3Aone+two:p%26ss%2Bw%2Frd%3D%25');
  });

  it('asks once for concurrent requests with the same token', async () => {
    fake.seen = [];
    fake.answer = (req, res) => setTimeout(() => answerJson(200, { active: true, exp: Math.floor(Date.now() / 1000) + 60, aud: 'https://api.tollgate.test' })(req, res), 50);
    const authenticator = createAuthenticator({ issuer: 'https://id.tollgate.test', audience: 'https://api.tollgate.test', introspection: { endpoint: fake.url, clientId: 'api', clientSecret: 'secret' } });
    const req = { method: 'GET', url: '/', headers: { authorization: 'Bearer opaque-token-6' } };
    await Promise.all([authenticator.authenticate(req), authenticator.authenticate(req), authenticator.authenticate(req)]);
    expect(fake.seen).toHaveLength(1);
  });

  it('keeps the credentials out of the parsed options (a dump or a log of them)', () => {
    const authenticator = createAuthenticator(sideBySide());
    const dump = JSON.stringify(authenticator.options) + JSON.stringify(authenticator.policy);
    const encode = (v: string) => new URLSearchParams({ v }).toString().slice(2);
    const basic = Buffer.from(`${encode(as.resourceServer.clientId)}:${encode(as.resourceServer.clientSecret)}`).toString('base64');
    expect(dump).not.toContain(basic);
    expect(dump).not.toContain(as.resourceServer.clientSecret);
    expect(authenticator.policy).toMatchObject({ introspection: as.introspectionEndpoint });
  });

  it('puts neither the token nor the secret in audit events', async () => {
    const events: AuditEvent[] = [];
    const token = await as.issue();
    const authenticator = createAuthenticator({ ...sideBySide(), audit: (e) => events.push(e) });
    await authenticator.authenticate({ method: 'GET', url: '/', headers: { authorization: `Bearer ${token}` } });
    await expect(authenticator.authenticate({ method: 'GET', url: '/', headers: { authorization: 'Bearer unknown-opaque-token' } })).rejects.toMatchObject({ status: 401 });
    const logged = JSON.stringify(events);
    expect(events.map((e) => e.type)).toEqual(['authenticated', 'rejected']);
    for (const secret of [token, 'unknown-opaque-token', as.resourceServer.clientSecret]) expect(logged).not.toContain(secret);
  });

  it.each<[string, AuthenticateOptions]>([
    ['no issuer', { audience: 'a', introspection: { endpoint: 'https://id.test/i', clientId: 'c', clientSecret: 's' } }],
    ['no audience', { issuer: 'https://id.test', introspection: { endpoint: 'https://id.test/i', clientId: 'c', clientSecret: 's' } }],
    ['a bad endpoint', { issuer: 'https://id.test', audience: 'a', introspection: { endpoint: 'ftp://id.test/i', clientId: 'c', clientSecret: 's' } }],
    ['credentials in the endpoint', { issuer: 'https://id.test', audience: 'a', introspection: { endpoint: 'https://c:s@id.test/i', clientId: 'c', clientSecret: 's' } }],
    ['no secret', { issuer: 'https://id.test', audience: 'a', introspection: { endpoint: 'https://id.test/i', clientId: 'c', clientSecret: '' } }],
    ['an unknown option', { issuer: 'https://id.test', audience: 'a', introspection: { endpoint: 'https://id.test/i', clientId: 'c', clientSecret: 's', timeout: 5 } as never }],
    ['algorithms without a key source', { issuer: 'https://id.test', audience: 'a', algorithms: ['RS256'], introspection: { endpoint: 'https://id.test/i', clientId: 'c', clientSecret: 's' } }],
    ['several issuers', { issuers: [{ issuer: 'https://id.test', audience: 'a', secret: 'x'.repeat(32) }], introspection: { endpoint: 'https://id.test/i', clientId: 'c', clientSecret: 's' } }],
  ])('refuses %s at setup', (_what, options) => {
    expect(() => createAuthenticator(options)).toThrow(TypeError);
  });
});
