import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import Koa3 from 'koa';
import Koa2 from 'koa2';
import Router from '@koa/router';
import type { Context } from 'koa';
import request from 'supertest';
import { createTestIssuer, type TestIssuer } from '@tollgate/testing';
import { authenticate, describeRoutes, protect, requireRoles, requireScopes, TollgateSetupError, type RouteDescription } from '@tollgate/koa';

let idp: TestIssuer;
beforeAll(async () => { idp = await createTestIssuer(); });
afterAll(async () => { await idp.close(); });

function ok(ctx: Context): void {
  ctx.body = { ok: true };
}

/** The fields a security reviewer reads, in registration order. */
function summary(routes: readonly RouteDescription[]) {
  return routes.map(({ method, path, protected: isProtected, scopes, roles }) => ({ method, path, protected: isProtected, scopes, roles }));
}

describe.each([
  ['Koa 2', Koa2 as unknown as typeof Koa3],
  ['Koa 3', Koa3],
] as const)('describeRoutes on %s', (_name, Koa) => {
  /** An open router, a prefixed one with router-level guards, a nested one, and an app-level authenticate. */
  function buildApp() {
    const app = new Koa();
    app.silent = true;
    const root = new Router();
    root.get('/health', ok);
    root.get('/me', authenticate(idp.authenticateOptions()), requireScopes('profile'), ok);
    app.use(root.routes()).use(root.allowedMethods());

    // sensitive: a router.use() guard under a prefix is a case-sensitive regular expression (see below).
    const v1 = new Router({ prefix: '/v1', sensitive: true });
    v1.get('/status', ok); // before the router-level authenticate: stays open
    v1.use(authenticate(idp.authenticateOptions()));
    v1.get('/orders', requireScopes('orders:read'), ok);
    v1.post('/orders', requireScopes('orders:write'), ok);
    v1.use('/reports', requireScopes('reports:read')); // only what sits under /v1/reports
    v1.get('/reports/daily', ok);
    v1.get('/invoices', ok);
    const admin = new Router({ sensitive: true });
    admin.use(requireRoles('admin'));
    admin.get('/users', ok);
    admin.delete('/users/:id', requireScopes('users:write'), ok);
    v1.use('/admin', admin.routes());
    app.use(v1.routes()).use(v1.allowedMethods());

    app.use(authenticate(idp.authenticateOptions()));
    const late = new Router({ prefix: '/late' });
    late.all('/hook', ok);
    late.get('/', ok);
    app.use(late.routes());
    return app;
  }

  const expected = [
    { method: 'GET', path: '/health', protected: false, scopes: [], roles: [] },
    { method: 'GET', path: '/me', protected: true, scopes: ['profile'], roles: [] },
    { method: 'GET', path: '/v1/status', protected: false, scopes: [], roles: [] },
    { method: 'GET', path: '/v1/orders', protected: true, scopes: ['orders:read'], roles: [] },
    { method: 'POST', path: '/v1/orders', protected: true, scopes: ['orders:write'], roles: [] },
    { method: 'GET', path: '/v1/reports/daily', protected: true, scopes: ['reports:read'], roles: [] },
    { method: 'GET', path: '/v1/invoices', protected: true, scopes: [], roles: [] },
    { method: 'GET', path: '/v1/admin/users', protected: true, scopes: [], roles: ['admin'] },
    { method: 'DELETE', path: '/v1/admin/users/:id', protected: true, scopes: ['users:write'], roles: ['admin'] },
    { method: 'ALL', path: '/late/hook', protected: true, scopes: [], roles: [] },
    { method: 'GET', path: '/late', protected: true, scopes: [], roles: [] },
  ];

  it('lists every route and method with its full path, scopes and protected flag', () => {
    expect(summary(describeRoutes(buildApp()))).toEqual(expected);
  });

  it('gives the guards in the order they run, outer first', () => {
    const route = describeRoutes(buildApp()).find((r) => r.method === 'DELETE');
    expect(route?.policies.map((p) => p.kind)).toEqual(['authenticate', 'roles', 'scopes']);
    expect(route?.policies[0]).toMatchObject({ kind: 'authenticate', issuers: [idp.issuer], audiences: [idp.audience] });
    expect(route).toMatchObject({ replayProtected: false, rateLimit: [] });
  });

  it('agrees with what the app really does for a request without a token', async () => {
    const app = buildApp();
    const server = app.callback();
    for (const route of describeRoutes(app)) {
      const method = route.method === 'ALL' ? 'patch' : route.method.toLowerCase() as 'get' | 'post' | 'delete';
      const response = await request(server)[method](route.path.replace(/:\w+/g, 'x'));
      expect({ route: `${route.method} ${route.path}`, status: response.status }).toEqual({ route: `${route.method} ${route.path}`, status: route.protected ? 401 : 200 });
    }
  });

  it('gives the same result after requests were routed through the app', async () => {
    const app = buildApp();
    const server = app.callback();
    const token = await idp.mint({ scope: 'orders:read reports:read users:write', roles: ['admin'] });
    for (const path of ['/health', '/v1/orders', '/v1/reports/daily', '/v1/admin/users']) {
      await request(server).get(path).set('Authorization', `Bearer ${token}`);
    }
    expect(summary(describeRoutes(app))).toEqual(expected);
  });

  it('describes a router given directly, prefix included', () => {
    const router = new Router({ prefix: '/api', sensitive: true });
    router.use(authenticate(idp.authenticateOptions()));
    router.get('/orders', requireScopes(['orders:read', 'orders:list'], { match: 'any' }), ok);
    router.put('/orders/:id', ok);
    expect(summary(describeRoutes(router))).toEqual([
      { method: 'GET', path: '/api/orders', protected: true, scopes: ['orders:read', 'orders:list'], roles: [] },
      { method: 'PUT', path: '/api/orders/:id', protected: true, scopes: [], roles: [] },
    ]);
  });

  it('counts a handler-less route guard only for its method and path', async () => {
    const router = new Router();
    router.post('/api/{*rest}', authenticate(idp.authenticateOptions()));
    router.post('/api/orders', ok);
    router.get('/api/orders', ok);
    router.all('/api/all', ok);
    router.post('/other', ok);
    expect(summary(describeRoutes(router)).map((r) => `${r.method} ${r.path} ${r.protected}`)).toEqual([
      'POST /api/orders true', 'GET /api/orders false', 'ALL /api/all false', 'POST /other false',
    ]);
    const server = new Koa().use(router.routes()).callback();
    expect((await request(server).post('/api/orders')).status).toBe(401);
    expect((await request(server).get('/api/orders')).status).toBe(200);
    expect((await request(server).get('/api/all')).status).toBe(200);
  });

  it('does not credit router.use() guards in an exclusive router, which never runs them for a route', async () => {
    const app = new Koa();
    const router = new Router({ exclusive: true });
    router.use(authenticate(idp.authenticateOptions()));
    router.get('/orders', ok);
    app.use(router.routes());
    expect(summary(describeRoutes(app))).toEqual([{ method: 'GET', path: '/orders', protected: false, scopes: [], roles: [] }]);
    expect((await request(app.callback()).get('/orders')).status).toBe(200);
  });

  it('reports public paths of protect as open', () => {
    const app = new Koa();
    const router = new Router();
    router.get('/health', ok).get('/orders', ok);
    app.use(router.routes());
    protect(app, { ...idp.authenticateOptions(), public: ['/health'] });
    expect(summary(describeRoutes(app)).map((r) => `${r.path} ${r.protected}`)).toEqual(['/health false', '/orders true']);
  });

  it('throws a setup error for something that is neither an app nor a router', () => {
    expect(() => describeRoutes({})).toThrow(TollgateSetupError);
  });
});
