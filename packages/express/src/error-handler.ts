import { markPassThrough, problemBody } from '@tollgate/core';
import type { ErrorRequestHandler } from 'express';

/**
 * An optional error handler that renders Tollgate errors as `application/problem+json`
 * (RFC 9457) with their status and headers; any other error goes on to the next handler.
 */
export function errorHandler(): ErrorRequestHandler {
  // Marked: it renders Tollgate errors or passes them on, and never lets a request resume.
  return markPassThrough(function tollgateErrorHandler(err, _req, res, next) {
    const body = problemBody(err);
    if (body === undefined || res.headersSent) {
      next(err);
      return;
    }
    res.status(body.status).set((err as { headers: Record<string, string> }).headers).type('application/problem+json').send(JSON.stringify(body));
  } as ErrorRequestHandler);
}
