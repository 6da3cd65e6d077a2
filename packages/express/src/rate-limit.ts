import { attachPolicy, createRateLimiter, notAuthenticated, reportRejection, type AuthContext, type RateLimitInfo, type RateLimitOptions } from '@tollgate/core';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { rateLimit } from 'express-rate-limit';
import './augment.js';
import { toTollgateRequest } from './request.js';

// Set by express-rate-limit before it asks for the policy name and before the handler runs.
type LimitedRequest = Request & { rateLimit: RateLimitInfo };

// `authenticate` ran: the middleware below refuses requests without `req.auth` before these are asked.
const authOf = (req: Request): AuthContext => req.auth as AuthContext;

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
    identifier: (req: Request) => limiter.policyName((req as LimitedRequest).rateLimit.limit),
    standardHeaders: 'draft-8',
    legacyHeaders: false,
    store: limiter.store,
    passOnStoreError: limiter.options.passOnStoreError,
    handler: (req: Request, _res: Response, next: NextFunction) => next(reportRejection(authOf(req), toTollgateRequest(req), limiter.rejection((req as LimitedRequest).rateLimit))),
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
    // express-rate-limit catches its own failures and hands them to next.
    void limit(req, res, next);
  }
  return attachPolicy(tollgateRateLimitPerToken, limiter.policy);
}
