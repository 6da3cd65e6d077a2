import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import express from 'express';
import express4 from 'express4';
import request from 'supertest';
import { createTestIssuer, type TestIssuer } from '@tollgate/testing';
import { authenticate, describeRoutes, requireRoles, requireScopes, type RouteDescription } from '@tollgate/express';
import type { Request, RequestHandler, Response } from 'express';

let idp: TestIssuer;
beforeAll(async () => { idp = await createTestIssuer(); });
afterAll(async () => { await idp.close(); });

const ok: RequestHandler = function ok(_req: Request, res: Response) { res.json({ ok: true }); };

/** The fields a security reviewer reads, in registration order. */
function summary(routes: readonly RouteDescription[]) {
  return routes.map(({ method, path, protected: isProtected, scopes, roles }) => ({ method, path, protected: isProtected, scopes, roles }));
}

describe.each([
  ['Express 4', express4, '/api/*'],
  ['Express 5', express, '/api/*splat'],
] as const)('describeRoutes on %s', (_name, framework, wildcard) => {
  /** The app of the brief: open health, route-level and app-level guards, nested and param mounts. */
  function buildApp() {
    const app = framework();
    app.get('/health', ok);

    const orders = framework.Router();
    orders.get('/orders', authenticate(idp.authenticateOptions()), requireScopes('orders:read'), ok);
    orders.get('/status', ok);
    app.use('/v1', orders);

    app.use(authenticate(idp.authenticateOptions()));

    const admin = framework.Router();
    admin.use(requireRoles('admin'));
    admin.get('/users', ok);
    admin.delete('/users/:id', requireScopes('users:write'), ok);
    const v1 = framework.Router();
    v1.use('/admin', admin);
    app.use('/v1', v1);

    const tenant = framework.Router();
    tenant.get('/invoices', requireScopes('invoices:read'), ok);
    app.use('/tenants/:tenantId', tenant);

    app.route('/profile').get(ok).post(requireScopes('profile:write'), ok);
    app.all('/webhooks', ok);
    return app;
  }

  const expected = [
    { method: 'GET', path: '/health', protected: false, scopes: [], roles: [] },
    { method: 'GET', path: '/v1/orders', protected: true, scopes: ['orders:read'], roles: [] },
    { method: 'GET', path: '/v1/status', protected: false, scopes: [], roles: [] },
    { method: 'GET', path: '/v1/admin/users', protected: true, scopes: [], roles: ['admin'] },
    { method: 'DELETE', path: '/v1/admin/users/:id', protected: true, scopes: ['users:write'], roles: ['admin'] },
    { method: 'GET', path: '/tenants/:tenantId/invoices', protected: true, scopes: ['invoices:read'], roles: [] },
    { method: 'GET', path: '/profile', protected: true, scopes: [], roles: [] },
    { method: 'POST', path: '/profile', protected: true, scopes: ['profile:write'], roles: [] },
    { method: 'ALL', path: '/webhooks', protected: true, scopes: [], roles: [] },
  ];

  it('lists every route with its full mounted path and the guards in front of it', () => {
    expect(summary(describeRoutes(buildApp()))).toEqual(expected);
  });

  it('gives the guards in the order they run, outer mounts first', () => {
    const users = describeRoutes(buildApp()).find((r) => r.method === 'DELETE');
    expect(users?.policies.map((p) => p.kind)).toEqual(['authenticate', 'roles', 'scopes']);
    expect(users?.policies[0]).toMatchObject({ kind: 'authenticate', issuers: [idp.issuer], audiences: [idp.audience] });
    expect(users).toMatchObject({ replayProtected: false, rateLimit: [] });
  });

  it('gives the same result after requests were routed through the app', async () => {
    const app = buildApp();
    const before = describeRoutes(app);
    const token = await idp.mint({ scope: 'orders:read invoices:read users:write', roles: ['admin'] });
    for (const [method, path] of [['get', '/health'], ['get', '/v1/orders'], ['get', '/v1/status'], ['get', '/v1/admin/users'],
      ['delete', '/v1/admin/users/42'], ['get', '/tenants/t-1/invoices'], ['get', '/profile'], ['put', '/webhooks']] as const) {
      const response = await request(app)[method](path).set('Authorization', `Bearer ${token}`);
      expect(response.status).toBe(200);
    }
    expect(describeRoutes(app)).toEqual(before);
    expect(summary(describeRoutes(app))).toEqual(expected);
  });

  it('describes a Router on its own, with paths relative to it', () => {
    const router = framework.Router();
    router.use(requireRoles('ops'));
    router.get('/jobs', ok);
    expect(summary(describeRoutes(router))).toEqual([{ method: 'GET', path: '/jobs', protected: false, scopes: [], roles: ['ops'] }]);
  });

  it('applies use(path, guard) only under that path, on segment boundaries', () => {
    const app = framework();
    app.use('/internal', authenticate(idp.authenticateOptions()));
    app.get('/internal/metrics', ok);
    app.get('/internal', ok);
    app.get('/internals', ok);
    app.get('/public', ok);
    expect(summary(describeRoutes(app)).map((r) => [r.path, r.protected])).toEqual([
      ['/internal/metrics', true], ['/internal', true], ['/internals', false], ['/public', false],
    ]);
  });

  it('does not apply a guard to routes registered before it', () => {
    const app = framework();
    app.get('/early', ok);
    app.use(requireScopes('late'));
    app.get('/late', ok);
    expect(describeRoutes(app).map((r) => r.scopes)).toEqual([[], ['late']]);
  });

  it('gives one entry per path of an array path and per mount path of an array mount', () => {
    const app = framework();
    const router = framework.Router();
    router.get('/x', ok);
    app.get(['/a', '/b'], authenticate(idp.authenticateOptions()), ok);
    app.use(['/m1', '/m2'], router);
    expect(describeRoutes(app).map((r) => [r.path, r.protected])).toEqual([['/a', true], ['/b', true], ['/m1/x', false], ['/m2/x', false]]);
  });

  it('renders a RegExp path by its source', () => {
    const app = framework();
    app.get(/^\/legacy\/\d+$/, ok);
    expect(describeRoutes(app).map((r) => r.path)).toEqual(['^\\/legacy\\/\\d+$']);
  });

  it('treats a handler-less route as a guard for the matching routes after it', () => {
    const app = framework();
    app.all(wildcard, authenticate(idp.authenticateOptions()));
    app.get('/api/orders', ok);
    app.get('/other', ok);
    expect(summary(describeRoutes(app)).map((r) => [r.method, r.path, r.protected])).toEqual([['GET', '/api/orders', true], ['GET', '/other', false]]);
  });

  it('lists no route for an empty app', () => {
    expect(describeRoutes(framework())).toEqual([]);
  });
});

describe('describeRoutes input', () => {
  it('throws a TypeError with a code for something that is not an app or a Router', () => {
    expect(() => describeRoutes({} as never)).toThrow(expect.objectContaining({ name: 'TollgateSetupError', code: 'ERR_TOLLGATE_INVALID_OPTION' }) as never);
    expect(() => describeRoutes({} as never)).toThrow(TypeError);
  });
});
