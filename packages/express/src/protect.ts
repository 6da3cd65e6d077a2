import { createProtector, TollgateSetupError, type ProtectOptions } from '@tollgate/core';
import type { RequestHandler, Router } from 'express';
import { authenticateHandler } from './authenticate.js';
import { isExpress4App, routerOf, type LayerStack } from './router-stack.js';

/** `protect`'s options in Express: core's, plus the CORS middleware that answers preflights. */
export interface ExpressProtectOptions extends ProtectOptions {
  /**
   * CORS middleware (e.g. `cors(corsOptions)` from the `cors` package), run for every CORS
   * preflight outside the public paths. `protect` goes in front of every other middleware,
   * your CORS middleware included, and never passes a preflight on to a handler; without this
   * option it answers preflights 204 with no CORS headers, so a browser refuses them.
   */
  cors?: RequestHandler;
}

/** The router whose stack the guard is spliced into; Express 4's is created first, so there is one. */
function guardedRouterOf(app: unknown): LayerStack {
  if (isExpress4App(app)) app.lazyrouter(); // Express 4 creates its router on first use
  const router = routerOf(app);
  if (router === undefined) throw new TollgateSetupError('ERR_TOLLGATE_INVALID_OPTION', 'protect: expected an Express app or Router');
  return router;
}

/**
 * Default deny: every route of `app` — including ones registered later — demands a valid token,
 * except the `public` paths. The guard goes in front of everything already in the app (after
 * Express 4's own query and init layers), so route order cannot open a hole. A CORS preflight
 * is answered by the `cors` middleware given (else 204) and never reaches a route.
 *
 * @example
 * protect(app, { issuer, audience, jwksUri, public: ['/health', '/docs/*'] });
 */
export function protect<A extends object>(app: A, options: ExpressProtectOptions): A {
  const { cors, ...rest } = options ?? {};
  if (cors !== undefined && typeof cors !== 'function') throw new TollgateSetupError('ERR_TOLLGATE_INVALID_OPTION', 'protect: cors must be a middleware such as cors(corsOptions)');
  const protector = createProtector(rest);
  const { authenticator } = protector;
  const guard = authenticateHandler(authenticator, protector.policy, { passes: protector.isPublic, cors });
  const router = guardedRouterOf(app);
  (app as unknown as Router).use(guard);
  const layer = router.stack.pop();
  // Express 4's built-in query and expressInit layers stay first; the guard comes right after.
  let at = 0;
  while (at < router.stack.length && ['query', 'expressInit'].includes((router.stack[at] as { name?: string }).name ?? '')) at++;
  router.stack.splice(at, 0, layer);
  return app;
}
