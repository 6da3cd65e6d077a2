/**
 * The Koa adapter end to end, against Koa 2 and Koa 3 with @koa/router: real HTTP through
 * supertest, real tokens from the test issuer's loopback JWKS.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import Koa3 from 'koa';
import Koa2 from 'koa2';
import Router from '@koa/router';
import type { Context, Middleware, Next } from 'koa';
import request from 'supertest';
import { createTestIssuer, type TestIssuer } from '@tollgate/testing';
import {
  authenticate, errorHandler, isTollgateError, protect, requireClaims, requireRoles, requireScopes, toTollgateRequest,
  type AuthenticateOptions, type AuthContext,
} from '@tollgate/koa';

let idp: TestIssuer;
beforeAll(async () => { idp = await createTestIssuer(); });
afterAll(async () => { await idp.close(); });

/** What every handler answers: proof that it ran, and what `ctx.state.auth` held. */
async function echo(ctx: Context): Promise<void> {
  const auth: AuthContext | undefined = ctx.state.auth;
  ctx.body = { ok: true, sub: auth?.subject, scopes: auth?.scopes, fingerprint: auth?.fingerprint };
}

/** A minimal form body parser, as @koa/bodyparser would set `ctx.request.body`. */
async function formBody(ctx: Context, next: Next): Promise<void> {
  if (typeof ctx.is('application/x-www-form-urlencoded') === 'string') {
    let raw = '';
    for await (const chunk of ctx.req) raw += String(chunk);
    (ctx.request as { body?: unknown }).body = Object.fromEntries(new URLSearchParams(raw));
  }
  await next();
}

// Type-level: `ctx.state.auth` is an AuthContext through declaration merging (checked by `npm run typecheck`).
function typedState(ctx: Context): string | undefined {
  // @ts-expect-error AuthContext has no `password`
  void ctx.state.auth?.password;
  return ctx.state.auth?.subject;
}
void typedState;

describe.each([
  ['Koa 2', Koa2 as unknown as typeof Koa3],
  ['Koa 3', Koa3],
] as const)('%s', (_name, Koa) => {
  const options = (): AuthenticateOptions => idp.authenticateOptions();

  /** One app holding every case, so routes share nothing but the issuer. */
  function buildApp(first: Middleware[] = []) {
    const app = new Koa();
    // Koa reports every thrown error on 'error'; keep the test output quiet.
    app.silent = true;
    for (const mw of first) app.use(mw);
    const router = new Router();
    router.get('/orders', authenticate(options()), requireScopes('orders:read'), echo);
    router.post('/orders', authenticate(options()), requireScopes(['orders:write', 'orders:read'], { match: 'all' }), echo);
    router.get('/unguarded-scope', requireScopes('orders:read'), echo);
    router.get('/admin', authenticate(options()), requireRoles('admin'), echo);
    router.get('/tenant', authenticate(options()), requireClaims({ tenant: 'acme' }), echo);
    router.options('/orders', authenticate(options()), (ctx) => {
      ctx.status = 204;
      ctx.set('Access-Control-Allow-Methods', 'GET, POST');
    });
    router.get('/boom', () => { throw new Error('database exploded'); });
    app.use(router.routes());
    return app.callback();
  }

  const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });

  it('passes a valid token and sets ctx.state.auth', async () => {
    const token = await idp.mint({ scope: 'orders:read profile' });
    const response = await request(buildApp()).get('/orders').set(bearer(token));
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({ ok: true, sub: 'user-1', scopes: ['orders:read', 'profile'] });
    expect(response.body.fingerprint).toMatch(/\S+/);
    expect(response.body.fingerprint).not.toBe(token);
  });

  it('answers 401 with a bare Bearer challenge when no token is sent', async () => {
    const response = await request(buildApp()).get('/orders');
    expect(response.status).toBe(401);
    expect(response.headers['www-authenticate']).toBe('Bearer');
    expect(response.text).toBe('No access token was sent');
  });

  it('answers 401 invalid_token for a token signed by an unknown key', async () => {
    const token = await idp.mint({ scope: 'orders:read' }, { key: await idp.foreignKey() });
    const response = await request(buildApp()).get('/orders').set(bearer(token));
    expect(response.status).toBe(401);
    expect(response.headers['www-authenticate']).toMatch(/^Bearer error="invalid_token", error_description="[^"]+"$/);
  });

  it('answers 400 invalid_request for a malformed Authorization header', async () => {
    const response = await request(buildApp()).get('/orders').set('Authorization', 'Bearer a b');
    expect(response.status).toBe(400);
    expect(response.headers['www-authenticate']).toContain('error="invalid_request"');
  });

  it('answers 403 insufficient_scope naming the missing scopes', async () => {
    const token = await idp.mint({ scope: 'orders:read' });
    const response = await request(buildApp()).post('/orders').set(bearer(token));
    expect(response.status).toBe(403);
    expect(response.headers['www-authenticate']).toContain('error="insufficient_scope"');
    expect(response.headers['www-authenticate']).toContain('scope="orders:write"');
    const allowed = await request(buildApp()).post('/orders').set(bearer(await idp.mint({ scope: 'orders:read orders:write' })));
    expect(allowed.status).toBe(200);
  });

  it('answers 401 for a guard with no authenticate before it (fails closed)', async () => {
    const token = await idp.mint({ scope: 'orders:read' });
    const response = await request(buildApp()).get('/unguarded-scope').set(bearer(token));
    expect(response.status).toBe(401);
    expect(response.body).toEqual({});
    expect(response.headers['www-authenticate']).toBe('Bearer');
  });

  it('checks roles and claims', async () => {
    const app = buildApp();
    expect((await request(app).get('/admin').set(bearer(await idp.mint({ roles: ['admin'] })))).status).toBe(200);
    expect((await request(app).get('/admin').set(bearer(await idp.mint({ roles: ['administrator'] })))).status).toBe(403);
    expect((await request(app).get('/tenant').set(bearer(await idp.mint({ tenant: 'acme' })))).status).toBe(200);
    expect((await request(app).get('/tenant').set(bearer(await idp.mint({ tenant: 'acme-evil' })))).status).toBe(403);
  });

  it('answers a CORS preflight itself and never passes it on to the handler', async () => {
    const response = await request(buildApp()).options('/orders').set('Origin', 'https://app.example.com').set('Access-Control-Request-Method', 'POST');
    expect(response.status).toBe(204);
    expect(response.headers['access-control-allow-methods']).toBeUndefined(); // set by the handler, which never ran
    expect(response.headers['www-authenticate']).toBeUndefined();
    // A plain OPTIONS is no preflight: it needs a token like any other request.
    expect((await request(buildApp()).options('/orders')).status).toBe(401);
  });

  it('errorHandler renders Tollgate errors as application/problem+json with their headers', async () => {
    const app = buildApp([errorHandler()]);
    const token = await idp.mint({ scope: 'orders:read' });
    const response = await request(app).post('/orders').set(bearer(token));
    expect(response.status).toBe(403);
    expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(response.headers['www-authenticate']).toContain('scope="orders:write"');
    expect(JSON.parse(response.text)).toEqual({
      type: 'about:blank', title: 'Forbidden', status: 403, error: 'insufficient_scope', detail: expect.any(String),
    });
    const missing = await request(app).get('/orders');
    expect(JSON.parse(missing.text)).toMatchObject({ status: 401, title: 'Unauthorized', error: 'missing_token' });
    expect(missing.headers['www-authenticate']).toBe('Bearer');
  });

  it('errorHandler leaves other errors to Koa (a 500 without the message)', async () => {
    const response = await request(buildApp([errorHandler()])).get('/boom');
    expect(response.status).toBe(500);
    expect(response.text).toBe('Internal Server Error');
    expect(response.headers['content-type']).not.toMatch(/problem\+json/);
  });

  it('never puts the token in a response, with or without errorHandler', async () => {
    const bad = await idp.mint({ scope: 'orders:read' }, { key: await idp.foreignKey() });
    const weak = await idp.mint({ scope: 'profile' });
    const expired = await idp.mint({ scope: 'orders:read' }, { expiresIn: -600 });
    for (const app of [buildApp(), buildApp([errorHandler()])]) {
      for (const token of [bad, weak, expired]) {
        const response = await request(app).post('/orders').set(bearer(token));
        expect(response.status).toBeGreaterThanOrEqual(400);
        expect(response.status).toBeLessThan(500);
        const everything = `${response.text}\n${JSON.stringify(response.headers)}`;
        expect(everything).not.toContain(token);
        for (const part of token.split('.')) expect(everything).not.toContain(part);
      }
    }
  });

  it('throws a TollgateError that keeps status, headers and expose for Koa', async () => {
    const seen: unknown[] = [];
    const catcher: Middleware = async (_ctx, next) => {
      try { await next(); } catch (error) { seen.push(error); throw error; }
    };
    await request(buildApp([catcher])).get('/orders');
    const [error] = seen;
    expect(isTollgateError(error)).toBe(true);
    expect(error).toMatchObject({ status: 401, expose: true, headers: { 'WWW-Authenticate': 'Bearer' } });
  });

  it('reads a token from the query, a parsed form body and the Cookie header when allowed', async () => {
    const app = new Koa();
    app.silent = true;
    app.use(formBody);
    app.use(authenticate({ ...options(), tokenLocations: { header: false, query: true, body: true, cookie: 'at' } }));
    app.use(echo);
    const server = app.callback();
    const token = await idp.mint({ scope: 'orders:read' });
    expect((await request(server).get(`/x?access_token=${token}`)).body.sub).toBe('user-1');
    expect((await request(server).post('/x').type('form').send({ access_token: token })).body.sub).toBe('user-1');
    expect((await request(server).get('/x').set('Cookie', `theme=dark; at=${token}`)).body.sub).toBe('user-1');
    expect((await request(server).get('/x').set(bearer(token))).status).toBe(401);
  });

  it('gives core the original URL and an origin that follows app.proxy', async () => {
    const seen: ReturnType<typeof toTollgateRequest>[] = [];
    const app = (proxy: boolean) => {
      const koa = new Koa();
      koa.proxy = proxy;
      // A rewrite before the router: core still sees the URL the client sent (and signed, for DPoP).
      koa.use(async (ctx, next) => { if (ctx.path.startsWith('/old/')) ctx.url = ctx.url.replace('/old/', '/v1/'); await next(); });
      const router = new Router({ prefix: '/v1' });
      router.get('/orders', (ctx) => { seen.push(toTollgateRequest(ctx)); ctx.body = 'ok'; });
      koa.use(router.routes());
      return koa.callback();
    };
    const forwarded = { 'X-Forwarded-Proto': 'https', 'X-Forwarded-Host': 'api.example.com, evil.example' };
    await request(app(true)).get('/old/orders?page=2').set('Host', 'internal:8080').set(forwarded);
    await request(app(false)).get('/v1/orders').set('Host', 'internal:8080').set(forwarded);
    expect(seen[0]).toMatchObject({ method: 'GET', url: '/old/orders?page=2', origin: 'https://api.example.com', query: { page: '2' } });
    expect(seen[0]?.headers.host).toBe('internal:8080');
    expect(seen[0]?.cookies).toBeUndefined();
    expect(seen[1]?.origin).toBe('http://internal:8080');
  });

  it('names its middlewares', () => {
    expect(authenticate(options()).name).toBe('tollgateAuthenticate');
    expect(requireScopes('a').name).toBe('tollgateRequireScopes');
    expect(requireRoles('a').name).toBe('tollgateRequireRoles');
    expect(requireClaims({ a: 1 }).name).toBe('tollgateRequireClaims');
    expect(errorHandler().name).toBe('tollgateErrorHandler');
  });

  it('protect denies by default, before middleware added earlier or later, except public paths', async () => {
    const app = new Koa();
    app.silent = true;
    const early = new Router();
    early.get('/early', echo);
    app.use(early.routes());
    protect(app, { ...options(), public: ['/health', '/docs/*'] });
    const late = new Router();
    late.get('/health', echo).get('/docs/intro', echo).get('/docsx', echo).get('/late', echo);
    app.use(late.routes());
    const server = app.callback();
    for (const path of ['/early', '/late', '/docsx', '/HEALTH']) expect((await request(server).get(path)).status).toBe(401);
    for (const path of ['/health', '/docs/intro']) expect((await request(server).get(path)).status).toBe(200);
    const token = await idp.mint({});
    expect((await request(server).get('/late').set(bearer(token))).body.sub).toBe('user-1');
  });
});
