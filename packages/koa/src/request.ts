import type { TollgateRequest } from '@tollgate/core';
import type { Context } from 'koa';

/**
 * Core's view of a Koa request. Query and body are read lazily, so a route that never looks at
 * them does not pay for parsing. Cookies are left to core, which reads the `Cookie` header.
 */
// One view per request, however many Tollgate middlewares ask for it.
const views = new WeakMap<object, TollgateRequest>();

export function toTollgateRequest(ctx: Context): TollgateRequest {
  const cached = views.get(ctx);
  if (cached !== undefined) return cached;
  const view: TollgateRequest = {
    method: ctx.method,
    url: ctx.originalUrl,
    headers: ctx.headers,
    get query() {
      return ctx.query as unknown;
    },
    // Set by a body parser (@koa/bodyparser, koa-body), when one ran before.
    get body() {
      return (ctx.request as { body?: unknown }).body;
    },
    // `ctx.protocol` and `ctx.host` follow the app's `proxy` setting.
    get origin() {
      const host = ctx.host;
      return host === '' ? undefined : `${ctx.protocol}://${host}`;
    },
  };
  views.set(ctx, view);
  return view;
}
