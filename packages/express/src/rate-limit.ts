import { attachPolicy, createRateLimiter, isTollgateError, notAuthenticated, reportRejection, type AuthContext, type RateLimitInfo, type RateLimitOptions } from '@tollgate/core';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { rateLimit } from 'express-rate-limit';
import './augment.js';
import { toTollgateRequest } from './request.js';

// Set by express-rate-limit once it has counted the request, before the handler runs.
type LimitedRequest = Request & { rateLimit: RateLimitInfo };

// `authenticate` ran: the middleware below refuses requests without `req.auth` before these are asked.
const authOf = (req: Request): AuthContext => req.auth as AuthContext;

/** The `RateLimit` headers core writes for both adapters (the same bytes as express-rate-limit's draft-8). */
function appendHeaders(res: Response, headers: Record<string, string>): void {
  for (const name in headers) res.append(name, headers[name]!);
}

/**
 * 429 `rate_limited` once a token (or its subject or client, see `key`) exceeds `limit`
 * requests per `windowMs`, with `Retry-After` and the draft-8 `RateLimit` / `RateLimit-Policy`
 * headers (on allowed responses too). Runs after `authenticate`; without it, 401. A failing
 * store answers 503 `temporarily_unavailable` unless `passOnStoreError`.
 *
 * Built on express-rate-limit, so any of its stores works (e.g. `rate-limit-redis`); each
 * limiter needs its own store instance. Options are validated here, at setup.
 *
 * @example
 * app.get('/orders', authenticate(opts), rateLimitPerToken({ limit: (auth) => (auth.claims.plan === 'pro' ? 1000 : 100), windowMs: 60_000 }), handler);
 */
export function rateLimitPerToken(options: RateLimitOptions): RequestHandler {
  const limiter = createRateLimiter(options);
  const limit = rateLimit({
    windowMs: limiter.options.windowMs,
    limit: (req: Request) => limiter.limitFor(authOf(req)),
    keyGenerator: (req: Request) => limiter.keyFor(authOf(req)),
    // express-rate-limit counts; core writes the draft-8 headers, as it does under Koa.
    standardHeaders: false,
    legacyHeaders: false,
    store: limiter.store,
    passOnStoreError: limiter.options.passOnStoreError,
    handler: (req: Request, res: Response, next: NextFunction) => {
      const error = limiter.rejection((req as LimitedRequest).rateLimit);
      // On the response as well as on the error, for error handlers that do not copy err.headers.
      appendHeaders(res, error.headers);
      next(error); // reported below, with every other refusal
    },
    logger: limiter.logger,
    // The key comes from the token, not the IP, and core checks store reuse and zero limits itself.
    validate: {
      ip: false, trustProxy: false, xForwardedForHeader: false, forwardedHeader: false, keyGeneratorIpFallback: false,
      creationStack: false, unsharedStore: false, limit: false,
    },
  });
  function tollgateRateLimitPerToken(req: Request, res: Response, next: NextFunction): void {
    if (req.auth === undefined) {
      next(notAuthenticated());
      return;
    }
    const before = (req as Partial<LimitedRequest>).rateLimit;
    // express-rate-limit catches its own failures and hands them to next.
    void limit(req, res, (error?: unknown) => {
      const info = (req as Partial<LimitedRequest>).rateLimit;
      // Counted here (not let through on a store error under passOnStoreError): say where it stands.
      if (error === undefined && info !== undefined && info !== before) appendHeaders(res, limiter.headers(info));
      // A refusal (429) or a failing store (503): reported to the audit sink, as under Koa.
      next(isTollgateError(error) ? reportRejection(authOf(req), toTollgateRequest(req), error) : error);
    });
  }
  return attachPolicy(tollgateRateLimitPerToken, limiter.policy);
}
