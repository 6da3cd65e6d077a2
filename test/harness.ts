/**
 * One scenario table, four frameworks: every cross-package test builds its app through this
 * harness, so the same request meets Express 4, Express 5, Koa 2 and Koa 3 unchanged.
 */
import type { RequestListener } from 'node:http';
import express4 from 'express4';
import express5 from 'express';
import Koa2 from 'koa2';
import Koa3 from 'koa';
import Router, { type RouterMiddleware } from '@koa/router';
import * as tollgateExpress from '@tollgate/express';
import * as tollgateKoa from '@tollgate/koa';

/** The adapter surface both packages share. */
export type Adapter = Pick<typeof tollgateExpress, 'authenticate' | 'requireScopes' | 'requireRoles' | 'requireClaims' | 'requireAuthLevel' | 'preventReplay' | 'rateLimitPerToken'>;

export interface RouteSpec {
  method: 'get' | 'post' | 'delete' | 'options';
  path: string;
  /** The Tollgate middlewares in front of the handler, made with the adapter given. */
  guards: (tollgate: Adapter) => unknown[];
}

export interface Framework {
  name: string;
  adapter: Adapter;
  /** An app whose handlers answer `{ ok: true, sub, scopes }`; a request handler for supertest. */
  app(routes: RouteSpec[], options?: { trustProxy?: boolean }): RequestListener;
}

function expressFramework(name: string, express: typeof express5): Framework {
  return {
    name,
    adapter: tollgateExpress as unknown as Adapter,
    app(routes, options = {}) {
      const app = express();
      if (options.trustProxy === true) app.set('trust proxy', true);
      app.use(express.urlencoded({ extended: false }));
      for (const route of routes) {
        const guards = route.guards(tollgateExpress as unknown as Adapter) as express5.RequestHandler[];
        app[route.method](route.path, ...guards, (req: express5.Request, res: express5.Response) => {
          res.json({ ok: true, sub: req.auth?.subject, scopes: req.auth?.scopes });
        });
      }
      return app as unknown as RequestListener;
    },
  };
}

function koaFramework(name: string, Koa: typeof Koa3): Framework {
  return {
    name,
    adapter: tollgateKoa as unknown as Adapter,
    app(routes, options = {}) {
      const app = new Koa();
      app.proxy = options.trustProxy === true;
      const router = new Router();
      for (const route of routes) {
        const guards = route.guards(tollgateKoa as unknown as Adapter) as RouterMiddleware[];
        router[route.method](route.path, ...guards, (ctx) => {
          ctx.body = { ok: true, sub: ctx.state.auth?.subject, scopes: ctx.state.auth?.scopes };
        });
      }
      app.use(router.routes());
      return app.callback() as unknown as RequestListener;
    },
  };
}

export const frameworks: Framework[] = [
  expressFramework('Express 4', express4 as unknown as typeof express5),
  expressFramework('Express 5', express5),
  koaFramework('Koa 2', Koa2 as unknown as typeof Koa3),
  koaFramework('Koa 3', Koa3),
];

/** The frameworks as `describe.each` rows. */
export const eachFramework = frameworks.map((f) => [f.name, f] as const);
