import Koa from 'koa';
import Router from '@koa/router';
import { authenticate, errorHandler, preventReplay, rateLimitPerToken, requireAuthLevel, requireRoles, requireScopes, type AuthenticateOptions } from '@tollgate/koa';
import { authOptionsFromEnv, createOrderBook, MFA } from './config.js';

/** The same orders API as the Express example, on Koa and @koa/router. */
export function createApp(auth: AuthenticateOptions = authOptionsFromEnv()): Koa {
  const orders = createOrderBook();
  const app = new Koa();
  app.use(errorHandler());

  const root = new Router();
  root.get('/health', (ctx) => {
    ctx.body = { status: 'ok' };
  });

  // sensitive: under a prefix, @koa/router matches v1.use() guards case-sensitively and routes
  // case-insensitively, so without it GET /V1/orders would reach the handler without a token.
  const v1 = new Router({ prefix: '/v1', sensitive: true });
  v1.use(authenticate(auth));
  v1.use(rateLimitPerToken({ limit: (token) => (token.claims.plan === 'pro' ? 1000 : 100), windowMs: 60_000 }));
  v1.get('/orders', requireScopes('orders:read'), (ctx) => {
    ctx.body = orders.list();
  });
  v1.get('/orders/:id', requireScopes('orders:read'), (ctx) => {
    const order = orders.get(ctx.params.id ?? '');
    if (order === undefined) {
      ctx.status = 404;
      ctx.body = { error: 'not_found' };
    } else ctx.body = order;
  });
  v1.post('/orders', requireScopes('orders:write'), (ctx) => {
    ctx.status = 201;
    ctx.body = orders.add('unnamed', ctx.state.auth?.subject ?? 'unknown');
  });
  // Step-up (RFC 9470): a refund needs a multi-factor login from the last five minutes.
  v1.post('/orders/:id/refund', requireScopes('orders:write'), requireAuthLevel({ acr: MFA, maxAge: 300 }), (ctx) => {
    ctx.body = { refunded: ctx.params.id };
  });
  v1.delete('/orders/:id', requireScopes('orders:write'), requireRoles('admin'), preventReplay(), (ctx) => {
    ctx.status = orders.remove(ctx.params.id ?? '') ? 204 : 404;
  });
  v1.get('/admin/stats', requireRoles('admin'), (ctx) => {
    ctx.body = { orders: orders.list().length };
  });

  app.use(root.routes()).use(root.allowedMethods());
  app.use(v1.routes()).use(v1.allowedMethods());
  return app;
}

export const app = createApp();
export default app;
