import { markPassThrough, problemBody, type TollgateError } from '@tollgate/core';
import type { Context, Middleware, Next } from 'koa';

/**
 * An optional middleware, used first, that renders Tollgate errors thrown downstream as
 * `application/problem+json` (RFC 9457) with their status and headers; any other error is
 * rethrown to the app's own handler.
 */
export function errorHandler(): Middleware {
  return markPassThrough(async function tollgateErrorHandler(ctx: Context, next: Next): Promise<void> {
    try {
      await next();
    } catch (error) {
      const body = problemBody(error);
      if (body === undefined || ctx.headerSent) throw error;
      ctx.status = body.status;
      ctx.set((error as TollgateError).headers);
      // The type first: Koa keeps a type already set when the body is a string.
      ctx.type = 'application/problem+json';
      ctx.body = JSON.stringify(body);
    }
  });
}
