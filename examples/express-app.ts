import express, { type Express } from 'express';
import { authenticate, errorHandler, preventReplay, rateLimitPerToken, requireAuthLevel, requireRoles, requireScopes, type AuthenticateOptions } from '@tollgate/express';
import { authOptionsFromEnv, createOrderBook, MFA } from './config.js';

/** The orders API, protected by Tollgate: a public health route, read and write scopes, an admin route. */
export function createApp(auth: AuthenticateOptions = authOptionsFromEnv()): Express {
  const orders = createOrderBook();
  const app = express();

  app.get('/health', (_req, res) => {
    res.json({ status: 'ok' });
  });

  const v1 = express.Router();
  v1.use(authenticate(auth));
  v1.use(rateLimitPerToken({ limit: (token) => (token.claims.plan === 'pro' ? 1000 : 100), windowMs: 60_000 }));
  // Bodies are parsed only once the token is verified: nothing answers a request without one first.
  v1.use(express.json());
  v1.get('/orders', requireScopes('orders:read'), (_req, res) => {
    res.json(orders.list());
  });
  v1.get('/orders/:id', requireScopes('orders:read'), (req, res) => {
    const order = orders.get(String(req.params.id));
    if (order === undefined) res.status(404).json({ error: 'not_found' });
    else res.json(order);
  });
  v1.post('/orders', requireScopes('orders:write'), (req, res) => {
    const item = typeof req.body?.item === 'string' ? req.body.item : 'unnamed';
    res.status(201).json(orders.add(item, req.auth?.subject ?? 'unknown'));
  });
  // Step-up (RFC 9470): a refund needs a multi-factor login from the last five minutes.
  v1.post('/orders/:id/refund', requireScopes('orders:write'), requireAuthLevel({ acr: MFA, maxAge: 300 }), (req, res) => {
    res.json({ refunded: String(req.params.id) });
  });
  v1.delete('/orders/:id', requireScopes('orders:write'), requireRoles('admin'), preventReplay(), (req, res) => {
    res.status(orders.remove(String(req.params.id)) ? 204 : 404).end();
  });
  v1.get('/admin/stats', requireRoles('admin'), (_req, res) => {
    res.json({ orders: orders.list().length });
  });
  app.use('/v1', v1);

  app.use(errorHandler());
  return app;
}

export const app = createApp();
export default app;
