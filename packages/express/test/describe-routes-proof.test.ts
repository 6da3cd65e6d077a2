/**
 * The classes of false "protected" found in review, on Express 4 and 5. Each case states what
 * the report says and shows with a real request that it is true: where a request without a
 * token reaches the handler, the route is never reported protected.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import express from 'express';
import express4 from 'express4';
import request from 'supertest';
import { createTestIssuer, type TestIssuer } from '@tollgate/testing';
import { authenticate, describeRoutes, errorHandler, protect, requireScopes, type RouteDescription } from '@tollgate/express';
import type { NextFunction, Request, RequestHandler, Response } from 'express';

let idp: TestIssuer;
beforeAll(async () => { idp = await createTestIssuer(); });
afterAll(async () => { await idp.close(); });

const handler = (): RequestHandler => function handler(_req: Request, res: Response) { res.json({ reached: true }); };
const auth = () => authenticate(idp.authenticateOptions());

function entry(routes: readonly RouteDescription[], method: string, path: string): RouteDescription {
  const found = routes.find((r) => r.method === method && r.path === path);
  if (found === undefined) throw new Error(`no ${method} ${path} in ${JSON.stringify(routes.map((r) => `${r.method} ${r.path}`))}`);
  return found;
}

const concernKinds = (route: RouteDescription) => (route.concerns ?? []).map((c) => c.kind);

describe.each([
  ['Express 4', express4 as unknown as typeof express, '/files/*', '/files/*'],
  ['Express 5', express, '/files/*path', '/files/*rest'],
] as const)('%s', (_name, framework, wildcardRoute, wildcardGuard) => {
  it('does not count a guard whose pattern only matches the route pattern as text (:name against a wildcard)', async () => {
    const app = framework();
    app.all('/files/:name', auth());
    app.get(wildcardRoute, handler());
    const route = entry(describeRoutes(app), 'GET', wildcardRoute);
    expect(route.protected).toBe(false);
    expect(route.concerns).toEqual([{ kind: 'guard-not-proven', subjects: ['authenticate on /files/:name'] }]);
    expect((await request(app).get('/files/a/b')).status).toBe(200);
  });

  it('counts a wildcard guard for the routes below it, and a parameter guard for a parameter route', async () => {
    const app = framework();
    app.all(wildcardGuard, auth());
    app.all('/users/:id', auth());
    app.get('/files/a/b', handler());
    app.get('/users/:userId', handler());
    const routes = describeRoutes(app);
    expect(routes.map((r) => [r.path, r.protected])).toEqual([['/files/a/b', true], ['/users/:userId', true]]);
    expect((await request(app).get('/files/a/b')).status).toBe(401);
    expect((await request(app).get('/users/7')).status).toBe(401);
  });

  it('does not count a case-sensitive guard for a case-insensitive route', async () => {
    const app = framework();
    const guards = framework.Router({ caseSensitive: true });
    guards.use('/admin', auth());
    app.use(guards);
    app.get('/admin/users', handler());
    expect(entry(describeRoutes(app), 'GET', '/admin/users').protected).toBe(false);
    expect((await request(app).get('/ADMIN/users')).status).toBe(200);
    expect((await request(app).get('/admin/users')).status).toBe(401);
  });

  it('does not count a strict whole-path guard for a route that also serves the trailing slash', async () => {
    const app = framework();
    const guards = framework.Router({ strict: true });
    guards.get('/reports', auth());
    app.use(guards);
    app.get('/reports', handler());
    expect(entry(describeRoutes(app), 'GET', '/reports').protected).toBe(false);
    expect((await request(app).get('/reports/')).status).toBe(200);
  });

  it('does not count a prefix guard for a RegExp route, whose URLs it cannot compare', () => {
    const app = framework();
    app.use('/legacy', auth());
    app.get(/^\/legacy\/\d+$/, handler());
    expect(describeRoutes(app).map((r) => r.protected)).toEqual([false]);
  });

  it('counts only guards before the first handler of a route; a guard after it is a concern', async () => {
    const app = framework();
    app.get('/admin/users', handler(), auth());
    app.route('/x').all(handler()).get(auth());
    app.use(auth());
    app.get('/orders', handler(), requireScopes('orders:read'));
    const routes = describeRoutes(app);
    expect(entry(routes, 'GET', '/admin/users')).toMatchObject({ protected: false, concerns: [{ kind: 'guard-after-handler', subjects: ['authenticate'] }] });
    expect(entry(routes, 'GET', '/x')).toMatchObject({ protected: false, concerns: [{ kind: 'guard-after-handler', subjects: ['authenticate'] }] });
    expect(entry(routes, 'GET', '/orders')).toMatchObject({ protected: true, scopes: [], concerns: [{ kind: 'guard-after-handler', subjects: ['scopes'] }] });
    expect((await request(app).get('/admin/users')).status).toBe(200);
    expect((await request(app).get('/x')).status).toBe(200);
  });

  it('reports a param callback that answers before authenticate (an id oracle)', async () => {
    const app = framework();
    app.param('id', (_req: Request, res: Response, next: NextFunction, id: string) => {
      if (id === '1') next();
      else res.sendStatus(404);
    });
    app.get('/users/:id', auth(), handler());
    const route = entry(describeRoutes(app), 'GET', '/users/:id');
    expect(route.protected).toBe(true);
    expect(concernKinds(route)).toEqual(['param-before-authenticate']);
    expect((await request(app).get('/users/2')).status).toBe(404);
    expect((await request(app).get('/users/1')).status).toBe(401);
  });

  it('reports a param callback of the mount path that runs before the guards of the mounted router', async () => {
    const app = framework();
    const tenant = framework.Router();
    tenant.use(auth());
    tenant.get('/invoices', handler());
    app.param('tenantId', (_req: Request, res: Response, next: NextFunction, id: string) => {
      if (id === 't1') next();
      else res.sendStatus(404);
    });
    app.use('/tenants/:tenantId', tenant);
    const route = entry(describeRoutes(app), 'GET', '/tenants/:tenantId/invoices');
    expect(route).toMatchObject({ protected: true, concerns: [{ kind: 'param-before-authenticate', subjects: [] }] });
    expect((await request(app).get('/tenants/t2/invoices')).status).toBe(404);
    expect((await request(app).get('/tenants/t1/invoices')).status).toBe(401);
  });

  it('does not report a param callback that runs after an app-level authenticate', () => {
    const app = framework();
    app.param('id', (_req: Request, _res: Response, next: NextFunction) => next());
    app.use(auth());
    app.get('/users/:id', handler());
    expect(entry(describeRoutes(app), 'GET', '/users/:id').concerns).toBeUndefined();
  });

  it('reports middleware that runs before authenticate and may answer first', async () => {
    const app = framework();
    app.use(function shortcut(req: Request, res: Response, next: NextFunction) {
      if (req.query.debug !== undefined) res.json({ debug: true });
      else next();
    });
    app.use(errorHandler());
    app.use(auth());
    app.get('/orders', handler());
    const route = entry(describeRoutes(app), 'GET', '/orders');
    expect(route.concerns).toEqual([{ kind: 'middleware-before-authenticate', subjects: ['shortcut'] }]);
    expect((await request(app).get('/orders?debug')).status).toBe(200);
  });

  it('does not count guards that an error handler after them may undo', async () => {
    const app = framework();
    app.use('/a', auth());
    app.use('/a', function forgive(_err: unknown, _req: Request, _res: Response, next: NextFunction) { next(); });
    app.get('/a/x', handler());
    // eslint-disable-next-line @typescript-eslint/no-unused-vars
    app.get('/b', auth(), function forgiveHere(_err: unknown, _req: Request, _res: Response, next: NextFunction) { next(); }, handler());
    app.use('/c', auth());
    app.use(errorHandler());
    app.get('/c/x', handler());
    const routes = describeRoutes(app);
    expect(entry(routes, 'GET', '/a/x')).toMatchObject({ protected: false, concerns: [{ kind: 'error-handler-after-guards', subjects: ['forgive'] }] });
    expect(entry(routes, 'GET', '/b')).toMatchObject({ protected: false, concerns: [{ kind: 'error-handler-after-guards', subjects: ['forgiveHere'] }] });
    expect(entry(routes, 'GET', '/c/x')).toMatchObject({ protected: true });
    expect((await request(app).get('/a/x')).status).toBe(200);
    expect((await request(app).get('/b')).status).toBe(200);
    expect((await request(app).get('/c/x')).status).toBe(401);
  });

  it('lists a mounted sub-app as an opaque entry, guarded only by guards over its whole mount path', async () => {
    const app = framework();
    const open = framework();
    open.get('/users', handler());
    const closed = framework();
    closed.get('/users', handler());
    app.use('/open', open);
    app.use('/closed', auth());
    app.use('/closed', closed);
    const routes = describeRoutes(app).map(({ method, path, opaque, protected: isProtected }) => ({ method, path, opaque, protected: isProtected }));
    expect(routes).toEqual([
      { method: '*', path: '/open', opaque: true, protected: false },
      { method: '*', path: '/closed', opaque: true, protected: true },
    ]);
    expect((await request(app).get('/open/users')).status).toBe(200);
    expect((await request(app).get('/closed/users')).status).toBe(401);
  });

  it('reports a mounted sub-app open when protect() leaves a path below its mount public', async () => {
    const app = framework();
    const admin = framework();
    admin.get('/status', handler());
    app.use('/admin', admin);
    app.use('/ops', framework());
    protect(app, { ...idp.authenticateOptions(), public: ['/admin/status'] });
    expect(describeRoutes(app).map((r) => [r.path, r.opaque, r.protected])).toEqual([['/admin', true, false], ['/ops', true, true]]);
    expect((await request(app).get('/admin/status')).status).toBe(200);
  });

  it('reports a route open when a public path of protect() is one of its URLs', async () => {
    const app = framework();
    app.get('/users/:id', handler());
    app.get('/orders/:id', handler());
    app.get('/docs/:page', handler());
    protect(app, { ...idp.authenticateOptions(), public: ['/users/me', '/docs/*'] });
    const routes = describeRoutes(app);
    expect(entry(routes, 'GET', '/users/:id')).toMatchObject({ protected: false, concerns: [{ kind: 'public-path-served', subjects: ['/users/me'] }] });
    expect(entry(routes, 'GET', '/orders/:id')).toMatchObject({ protected: true });
    expect(entry(routes, 'GET', '/docs/:page')).toMatchObject({ protected: false });
    expect((await request(app).get('/users/me')).status).toBe(200);
    expect((await request(app).get('/users/2')).status).toBe(401);
  });
});
