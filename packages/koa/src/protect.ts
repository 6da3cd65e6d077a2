import { createProtector, TollgateSetupError, type ProtectOptions } from '@tollgate/core';
import type Koa from 'koa';
import { authenticateMiddleware } from './authenticate.js';

/**
 * Default deny: every route of `app` — including ones added later — demands a valid token,
 * except the `public` paths. The guard goes first in `app.middleware`, so middleware order
 * cannot open a hole.
 *
 * @example
 * protect(app, { issuer, audience, jwksUri, public: ['/health', '/docs/*'] });
 */
export function protect<A extends Koa>(app: A, options: ProtectOptions): A {
  if (!Array.isArray((app as { middleware?: unknown }).middleware)) {
    throw new TollgateSetupError('ERR_TOLLGATE_INVALID_OPTION', 'protect expects a Koa app');
  }
  const protector = createProtector(options);
  const { authenticator } = protector;
  app.middleware.unshift(authenticateMiddleware(authenticator, protector.policy, protector.skips));
  return app;
}
