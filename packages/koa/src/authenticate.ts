import { attachPolicy, createAuthenticator, type AuthContext, type AuthenticateOptions, type Authenticator, type PolicyDescriptor, type TollgateRequest } from '@tollgate/core';
import type { Context, Middleware, Next } from 'koa';
import './augment.js';
import { toTollgateRequest } from './request.js';

/** The Koa side of an authenticator, shared by `authenticate` and `protect`. */
export function authenticateMiddleware(authenticator: Authenticator, policy: PolicyDescriptor, passes: (req: TollgateRequest) => boolean): Middleware {
  function accept(ctx: Context, next: Next, auth: AuthContext): Promise<unknown> {
    ctx.state.auth = auth;
    const headers = authenticator.responseHeaders();
    if (headers !== undefined) ctx.set(headers);
    return next();
  }
  // Not `async`: a cache hit goes straight on to `next` (koa-compose turns a throw into a rejection).
  function tollgateAuthenticate(ctx: Context, next: Next): Promise<unknown> {
    const request = toTollgateRequest(ctx);
    if (passes(request)) return next();
    const result = authenticator.attempt(request);
    return result instanceof Promise ? result.then((auth) => accept(ctx, next, auth)) : accept(ctx, next, result);
  }
  return attachPolicy(tollgateAuthenticate, policy);
}

/**
 * Extracts and verifies the access token (RFC 6750, on `jose`) and sets `ctx.state.auth`.
 * Failures are thrown as a `TollgateError` carrying `status`, `headers` and `expose`, which
 * Koa's own error handler honours. CORS preflights pass untouched. Options are validated here, at setup.
 *
 * @example
 * app.use(authenticate({ issuer: 'https://id.example.com/', audience: 'orders-api', jwksUri: 'https://id.example.com/jwks' }));
 */
export function authenticate(options: AuthenticateOptions): Middleware {
  const authenticator = createAuthenticator(options);
  return authenticateMiddleware(authenticator, authenticator.policy, authenticator.skips);
}
