import { appendHeaders, attachPolicy, createRateLimiter, isTollgateError, type RateLimitDecision, type RateLimitInfo, type RateLimitOptions } from '@tollgate/core';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import './augment.js';
import { toTollgateRequest } from './request.js';
import { requestSlot } from './request-slot.js';

const setRateLimit = requestSlot<RateLimitInfo>('rateLimit');

/**
 * 429 `rate_limited` once a token (or its subject or client, see `key`) exceeds `limit`
 * requests per `windowMs`, with `Retry-After` and the draft-8 `RateLimit` / `RateLimit-Policy`
 * headers (byte for byte as express-rate-limit writes them), on allowed responses too. Runs after
 * `authenticate`; without it, 401. A failing store answers 503 `temporarily_unavailable` unless
 * `passOnStoreError`.
 *
 * Core's limiter counts, as under Koa. `store` is any express-rate-limit `Store` (its
 * `MemoryStore`, `rate-limit-redis`, …), used unchanged; each limiter needs its own store
 * instance. The request's standing is set on `req.rateLimit`, as express-rate-limit sets it.
 * Options are validated here, at setup.
 *
 * @example
 * app.get('/orders', authenticate(opts), rateLimitPerToken({ limit: (auth) => (auth.claims.plan === 'pro' ? 1000 : 100), windowMs: 60_000 }), handler);
 */
export function rateLimitPerToken(options: RateLimitOptions): RequestHandler {
  const limiter = createRateLimiter(options);
  function allow(req: Request, res: Response, next: NextFunction, decision: RateLimitDecision): void {
    appendHeaders(res, decision.headers);
    if (decision.info !== undefined) setRateLimit(req, decision.info);
    next();
  }
  function refuse(res: Response, next: NextFunction, error: unknown): void {
    // A 429's headers go on the response as well as on the error, for error handlers that do not copy err.headers.
    if (isTollgateError(error) && error.code === 'rate_limited') appendHeaders(res, error.headers);
    next(error);
  }
  function tollgateRateLimitPerToken(req: Request, res: Response, next: NextFunction): void {
    let decision: RateLimitDecision | Promise<RateLimitDecision>;
    try {
      // Core reports a refusal (429) or a failing store (503) to the audit sink, as under Koa.
      decision = limiter.attempt(req.auth, toTollgateRequest(req));
    } catch (error) {
      refuse(res, next, error);
      return;
    }
    // The memory store answers synchronously: no promise, no extra tick.
    if (decision instanceof Promise) decision.then((d) => allow(req, res, next, d), (error: unknown) => refuse(res, next, error));
    else allow(req, res, next, decision);
  }
  return attachPolicy(tollgateRateLimitPerToken, limiter.policy);
}
