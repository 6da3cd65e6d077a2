import { appendHeaders, attachPolicy, createRateLimiter, type RateLimitDecision, type RateLimitInfo, type RateLimitOptions } from '@tollgate/core';
import type { Context, Middleware, Next } from 'koa';
import './augment.js';
import { toTollgateRequest } from './request.js';

/**
 * 429 `rate_limited` once a token (or its subject or client, see `key`) exceeds `limit`
 * requests per `windowMs`, with `Retry-After` and the draft-8 `RateLimit` / `RateLimit-Policy`
 * headers, byte for byte as express-rate-limit writes them (the Express adapter runs the same
 * core limiter), on allowed responses too. Runs after `authenticate`; without it, 401. A failing store answers 503
 * `temporarily_unavailable` unless `passOnStoreError`.
 *
 * `store` is any express-rate-limit `Store` (e.g. `rate-limit-redis`), used unchanged; each
 * limiter needs its own store instance. The request's standing is set on `ctx.state.rateLimit`,
 * as express-rate-limit sets `req.rateLimit`. Options are validated here, at setup.
 *
 * @example
 * router.get('/orders', authenticate(opts), rateLimitPerToken({ limit: 100, windowMs: 60_000, key: 'subject' }), handler);
 */
export function rateLimitPerToken(options: RateLimitOptions): Middleware {
  const limiter = createRateLimiter(options);
  function allow(ctx: Context, next: Next, decision: RateLimitDecision): Promise<unknown> {
    appendHeaders(ctx.res, decision.headers);
    if (decision.info !== undefined) (ctx.state as { rateLimit?: RateLimitInfo }).rateLimit = decision.info;
    return next();
  }
  // Not `async`: with the memory store the count is synchronous, and so is this step.
  function tollgateRateLimitPerToken(ctx: Context, next: Next): Promise<unknown> {
    const decision = limiter.attempt(ctx.state.auth, toTollgateRequest(ctx));
    return decision instanceof Promise ? decision.then((d) => allow(ctx, next, d)) : allow(ctx, next, decision);
  }
  return attachPolicy(tollgateRateLimitPerToken, limiter.policy);
}
