import type { TollgateRequest } from '@tollgate/core';
import type { Request } from 'express';

/**
 * Core's view of an Express request. Query, body and cookies are read lazily, so a route
 * that never looks at them does not pay Express 5's lazy query parsing.
 */
export function toTollgateRequest(req: Request): TollgateRequest {
  return {
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
    // `req.protocol` and `req.host` follow the app's `trust proxy` setting.
    get origin() {
      const host = req.get('host');
      return host === undefined ? undefined : `${req.protocol}://${(req as { host?: string }).host ?? host}`;
    },
  };
}
