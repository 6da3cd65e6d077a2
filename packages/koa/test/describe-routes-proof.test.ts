/**
 * The classes of false "protected" found in review, on Koa 2 and 3 with @koa/router. Each case
 * states what the report says and shows with a real request that it is true.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import Koa3 from 'koa';
import Koa2 from 'koa2';
import Router from '@koa/router';
import mount from 'koa-mount';
import type { Context, Next } from 'koa';
import request from 'supertest';
import { createTestIssuer, type TestIssuer } from '@tollgate/testing';
import { authenticate, describeRoutes, errorHandler, protect, requireScopes, type RouteDescription } from '@tollgate/koa';

let idp: TestIssuer;
beforeAll(async () => { idp = await createTestIssuer(); });
afterAll(async () => { await idp.close(); });

const handler = () => function handler(ctx: Context) { ctx.body = { reached: true }; };
const auth = () => authenticate(idp.authenticateOptions());

function entry(routes: readonly RouteDescription[], method: string, path: string): RouteDescription {
  const found = routes.find((r) => r.method === method && r.path === path);
  if (found === undefined) throw new Error(`no ${method} ${path} in ${JSON.stringify(routes.map((r) => `${r.method} ${r.path}`))}`);
  return found;
}

describe.each([
  ['Koa 2', Koa2 as unknown as typeof Koa3],
  ['Koa 3', Koa3],
] as const)('%s', (_name, Koa) => {
  function serve(...routers: Router[]): Koa3 {
    const app = new Koa();
    app.silent = true;
    for (const router of routers) app.use(router.routes());
    return app;
  }

  it('does not count a guard whose pattern only matches the route pattern as text (:name against a wildcard)', async () => {
    const router = new Router();
    router.all('/files/:name', auth());
    router.get('/files/*path', handler());
    const app = serve(router);
    const route = entry(describeRoutes(app), 'GET', '/files/*path');
    expect(route).toMatchObject({ protected: false, concerns: [{ kind: 'guard-not-proven', subjects: ['authenticate on /files/:name'] }] });
    expect((await request(app.callback()).get('/files/a/b')).status).toBe(200);
  });

  it('does not count router.use() under a prefix for case-insensitive routes: the guard is a case-sensitive RegExp', async () => {
    const loose = new Router({ prefix: '/api' });
    loose.use(auth());
    loose.get('/items', handler());
    const strictCase = new Router({ prefix: '/v2', sensitive: true });
    strictCase.use(auth());
    strictCase.get('/items', handler());
    const app = serve(loose, strictCase);
    const routes = describeRoutes(app);
    expect(entry(routes, 'GET', '/api/items').protected).toBe(false);
    expect(entry(routes, 'GET', '/v2/items').protected).toBe(true);
    const server = app.callback();
    expect((await request(server).get('/API/items')).status).toBe(200);
    expect((await request(server).get('/api/items')).status).toBe(401);
    expect((await request(server).get('/V2/items')).status).toBe(404);
    expect((await request(server).get('/v2/items')).status).toBe(401);
  });

  it('counts a router.use() guard without a prefix, and an app-level one, for every route', async () => {
    const router = new Router();
    router.use(auth());
    router.get('/items', handler());
    const app = serve(router);
    expect(describeRoutes(app).map((r) => r.protected)).toEqual([true]);
    expect((await request(app.callback()).get('/ITEMS')).status).toBe(401);
  });

  it('counts only guards before the first handler of a route; a guard after it is a concern', async () => {
    const router = new Router();
    router.get('/admin/users', handler(), auth());
    router.use(auth());
    router.get('/orders', handler(), requireScopes('orders:read'));
    const app = serve(router);
    const routes = describeRoutes(app);
    expect(entry(routes, 'GET', '/admin/users')).toMatchObject({ protected: false, concerns: [{ kind: 'guard-after-handler', subjects: ['authenticate'] }] });
    expect(entry(routes, 'GET', '/orders')).toMatchObject({ protected: true, scopes: [], concerns: [{ kind: 'guard-after-handler', subjects: ['scopes'] }] });
    expect((await request(app.callback()).get('/admin/users')).status).toBe(200);
  });

  it('reports a router.param callback that answers before the route\'s authenticate (an id oracle)', async () => {
    const router = new Router();
    router.param('id', (id: string, ctx: Context, next: Next) => {
      if (id === '1') return next();
      ctx.status = 404;
      return undefined;
    });
    router.get('/users/:id', auth(), handler());
    const app = serve(router);
    const route = entry(describeRoutes(app), 'GET', '/users/:id');
    expect(route).toMatchObject({ protected: true, concerns: [{ kind: 'param-before-authenticate', subjects: [] }] });
    expect((await request(app.callback()).get('/users/2')).status).toBe(404);
    expect((await request(app.callback()).get('/users/1')).status).toBe(401);
  });

  it('lists koa-mount and other app middleware as opaque entries, and as concerns on the routes after them', async () => {
    const admin = new Koa();
    admin.use(handler());
    const router = new Router();
    router.get('/orders', auth(), handler());
    const app = new Koa();
    app.silent = true;
    app.use(errorHandler());
    app.use(mount('/admin', admin));
    app.use(router.routes()).use(router.allowedMethods());
    app.use(auth());
    app.use(mount('/ops', admin));
    const routes = describeRoutes(app);
    expect(routes.map(({ method, path, opaque, protected: isProtected }) => ({ method, path, opaque, protected: isProtected }))).toEqual([
      { method: '*', path: '/', opaque: true, protected: false },
      { method: 'GET', path: '/orders', opaque: undefined, protected: true },
      { method: '*', path: '/', opaque: true, protected: true },
    ]);
    expect(routes[1]?.concerns).toEqual([{ kind: 'middleware-before-authenticate', subjects: ['<anonymous>'] }]);
    expect((await request(app.callback()).get('/admin/anything')).status).toBe(200);
    expect((await request(app.callback()).get('/ops/anything')).status).toBe(401);
  });

  it('reports an opaque middleware open when protect() leaves any path public', async () => {
    const admin = new Koa();
    admin.use(handler());
    const app = new Koa();
    app.use(mount('/admin', admin));
    protect(app, { ...idp.authenticateOptions(), public: ['/admin/status'] });
    expect(describeRoutes(app).map(({ method, path, opaque, protected: isProtected }) => ({ method, path, opaque, protected: isProtected })))
      .toEqual([{ method: '*', path: '/', opaque: true, protected: false }]);
    expect((await request(app.callback()).get('/admin/status')).status).toBe(200);
  });

  it('reports a route open when a public path of protect() is one of its URLs', async () => {
    const router = new Router();
    router.get('/users/:id', handler());
    router.get('/orders/:id', handler());
    const app = serve(router);
    protect(app, { ...idp.authenticateOptions(), public: ['/users/me'] });
    const routes = describeRoutes(app);
    expect(entry(routes, 'GET', '/users/:id')).toMatchObject({ protected: false, concerns: [{ kind: 'public-path-served', subjects: ['/users/me'] }] });
    expect(entry(routes, 'GET', '/orders/:id').protected).toBe(true);
    expect((await request(app.callback()).get('/users/me')).status).toBe(200);
    expect((await request(app.callback()).get('/users/2')).status).toBe(401);
  });
});
