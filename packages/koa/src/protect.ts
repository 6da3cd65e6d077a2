import { createProtector, TollgateSetupError, type ProtectOptions } from '@tollgate/core';
import type Koa from 'koa';
import type { Middleware } from 'koa';
import { authenticateMiddleware } from './authenticate.js';

/** `protect`'s options in Koa: core's, plus the CORS middleware that answers preflights. */
export interface KoaProtectOptions extends ProtectOptions {
  /**
   * CORS middleware (e.g. `cors(corsOptions)` from `@koa/cors`), run for every CORS preflight
   * outside the public paths. `protect` goes first in `app.middleware`, before your CORS
   * middleware, and never passes a preflight on; without this option it answers preflights 204
   * with no CORS headers, so a browser refuses them.
   */
  cors?: Middleware;
}

/**
 * Default deny: every route of `app` — including ones added later — demands a valid token,
 * except the `public` paths. The guard goes first in `app.middleware`, so middleware order
 * cannot open a hole. A CORS preflight is answered by the `cors` middleware given (else 204) and
 * never goes on.
 *
 * @example
 * protect(app, { issuer, audience, jwksUri, public: ['/health', '/docs/*'] });
 */
export function protect<A extends Koa>(app: A, options: KoaProtectOptions): A {
  if (!Array.isArray((app as { middleware?: unknown }).middleware)) {
    throw new TollgateSetupError('ERR_TOLLGATE_INVALID_OPTION', 'protect expects a Koa app');
  }
  const { cors, ...rest } = options ?? {};
  if (cors !== undefined && typeof cors !== 'function') throw new TollgateSetupError('ERR_TOLLGATE_INVALID_OPTION', 'protect: cors must be a middleware such as cors(corsOptions)');
  const protector = createProtector(rest);
  const { authenticator } = protector;
  app.middleware.unshift(authenticateMiddleware(authenticator, protector.policy, { passes: protector.isPublic, cors }));
  return app;
}
