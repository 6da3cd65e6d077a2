/** One handler mounted under two paths with different guards, found in real Express and Koa apps. */
import { describe, expect, it } from '@jest/globals';
import express from 'express';
import Koa from 'koa';
import Router from '@koa/router';
import * as tollgateExpress from '@tollgate/express';
import * as tollgateKoa from '@tollgate/koa';
import { auditRoutes } from '@tollgate/cli';

const auth = { issuer: 'http://127.0.0.1:9', audience: 'api', jwksUri: 'http://127.0.0.1:9/jwks.json' };
const twice = (findings: ReturnType<typeof auditRoutes>) => findings.filter((f) => f.id === 'inconsistent-duplicate-route').map((f) => f.path);

describe('a route reachable through two paths with different guards', () => {
  it('is found in an Express app', () => {
    const { authenticate, describeRoutes, requireScopes } = tollgateExpress;
    const listOrders: express.RequestHandler = (_req, res) => { res.json([]); };
    const app = express();
    app.get('/v1/orders', authenticate(auth), requireScopes('orders:read'), listOrders);
    app.get('/legacy/orders', listOrders);
    app.get('/v1/other', authenticate(auth), (_req, res) => { res.end(); });
    expect(twice(auditRoutes(describeRoutes(app)))).toContain('/legacy/orders');
    expect(JSON.stringify(describeRoutes(app))).not.toContain('handler');
  });

  it('is found in a Koa app', () => {
    const { authenticate, describeRoutes, requireScopes } = tollgateKoa;
    const listOrders = (ctx: Koa.Context) => { ctx.body = []; };
    const router = new Router();
    router.get('/v1/orders', authenticate(auth), requireScopes('orders:read'), listOrders);
    router.get('/legacy/orders', listOrders);
    const app = new Koa().use(router.routes());
    expect(twice(auditRoutes(describeRoutes(app)))).toContain('/legacy/orders');
  });
});
