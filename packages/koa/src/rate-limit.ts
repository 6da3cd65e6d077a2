import { attachPolicy, createRateLimiter, type RateLimitInfo, type RateLimitOptions } from '@tollgate/core';
import type { Context, Middleware, Next } from 'koa';
import './augment.js';
import { toTollgateRequest } from './request.js';

/**
 * 429 `rate_limited` once a token (or its subject or client, see `key`) exceeds `limit`
 * requests per `windowMs`, with `Retry-After` and the draft-8 `RateLimit` / `RateLimit-Policy`
 * headers, byte for byte as the Express adapter (express-rate-limit) writes them, on allowed
 * responses too. Runs after `authenticate`; without it, 401. A failing store answers 503
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
  async function tollgateRateLimitPerToken(ctx: Context, next: Next): Promise<void> {
    const decision = await limiter.check(ctx.state.auth, toTollgateRequest(ctx));
    for (const [name, value] of Object.entries(decision.headers)) ctx.append(name, value);
    if (decision.info !== undefined) (ctx.state as { rateLimit?: RateLimitInfo }).rateLimit = decision.info;
    await next();
  }
  return attachPolicy(tollgateRateLimitPerToken, limiter.policy);
}
