import { createProtector, type ProtectOptions } from '@tollgate/core';
import type { Router } from 'express';
import { authenticateHandler } from './authenticate.js';

type Layered = { stack: unknown[] };

function routerOf(app: unknown): Layered {
  const candidate = app as { _router?: Layered; router?: Layered; stack?: unknown[]; lazyrouter?: () => void };
  candidate.lazyrouter?.(); // Express 4 creates its router on first use
  const router = candidate._router ?? (Array.isArray(candidate.stack) ? (candidate as Layered) : candidate.router);
  if (router === undefined || !Array.isArray(router.stack)) throw new TypeError('protect: expected an Express app or Router');
  return router;
}

/**
 * Default deny: every route of `app` — including ones registered later — demands a valid token,
 * except the `public` paths. The guard goes in front of everything already in the app (after
 * Express 4's own query and init layers), so route order cannot open a hole.
 *
 * @example
 * protect(app, { issuer, audience, jwksUri, public: ['/health', '/docs/*'] });
 */
export function protect<A extends object>(app: A, options: ProtectOptions): A {
  const protector = createProtector(options);
  const { authenticator } = protector;
  const guard = authenticateHandler(authenticator, protector.policy, protector.skips);
  const router = routerOf(app);
  (app as unknown as Router).use(guard);
  const layer = router.stack.pop();
  // Express 4's built-in query and expressInit layers stay first; the guard comes right after.
  let at = 0;
  while (at < router.stack.length && ['query', 'expressInit'].includes((router.stack[at] as { name?: string }).name ?? '')) at++;
  router.stack.splice(at, 0, layer);
  return app;
}
