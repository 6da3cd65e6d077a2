import { attachPolicy, createAuthenticator, type AuthenticateOptions, type Authenticator, type PolicyDescriptor, type TollgateRequest } from '@tollgate/core';
import type { Context, Middleware, Next } from 'koa';
import './augment.js';
import { toTollgateRequest } from './request.js';

/** The Koa side of an authenticator, shared by `authenticate` and `protect`. */
export function authenticateMiddleware(authenticator: Authenticator, policy: PolicyDescriptor, passes: (req: TollgateRequest) => boolean): Middleware {
  async function tollgateAuthenticate(ctx: Context, next: Next): Promise<void> {
    const request = toTollgateRequest(ctx);
    if (passes(request)) {
      await next();
      return;
    }
    ctx.state.auth = await authenticator.authenticate(request);
    const headers = authenticator.responseHeaders();
    if (headers !== undefined) ctx.set(headers);
    await next();
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
