import type { TollgateRequest } from '@tollgate/core';
import type { Request } from 'express';

/**
 * Core's view of an Express request. Query, body and cookies are read lazily, so a route
 * that never looks at them does not pay Express 5's lazy query parsing.
 */
// One view per request, however many Tollgate middlewares ask for it.
const views = new WeakMap<object, TollgateRequest>();

export function toTollgateRequest(req: Request): TollgateRequest {
  const cached = views.get(req);
  if (cached !== undefined) return cached;
  const view: TollgateRequest = {
    method: req.method,
    url: req.originalUrl ?? req.url,
    headers: req.headers,
    get query() {
      return req.query as unknown;
    },
    get body() {
      return req.body as unknown;
    },
    get cookies() {
      return (req as { cookies?: unknown }).cookies;
    },
    // The public origin as the app's `trust proxy` setting establishes it (DPoP `htu` checks).
    get origin() {
      const host = publicHost(req);
      return host === undefined ? undefined : `${req.protocol}://${host}`;
    },
  };
  views.set(req, view);
  return view;
}

/**
 * Host and port as Express 5's `req.host` gives them: `X-Forwarded-Host` only when the app
 * trusts the proxy it came through, else the `Host` header. Express 4 has no such getter (its
 * `req.host` drops the port), so the same rule is applied here.
 */
function publicHost(req: Request): string | undefined {
  const trust = req.app?.get('trust proxy fn') as ((address: string | undefined, hop: number) => boolean) | undefined;
  const forwarded = req.get('x-forwarded-host');
  if (forwarded !== undefined && trust !== undefined && trust(req.socket.remoteAddress, 0)) {
    return forwarded.split(',', 1)[0]!.trim();
  }
  return req.get('host');
}
