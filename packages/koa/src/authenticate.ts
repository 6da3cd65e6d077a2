import { attachPolicy, createAuthenticator, isPreflight, type AuthContext, type AuthenticateOptions, type Authenticator, type PolicyDescriptor, type TollgateRequest } from '@tollgate/core';
import type { Context, Middleware, Next } from 'koa';
import './augment.js';
import { toTollgateRequest } from './request.js';

/** What `authenticateMiddleware` does besides authenticating: public paths and preflights (both for `protect`). */
export interface MiddlewareOptions {
  /** Requests that pass untouched (`protect`'s public paths). Default none. */
  passes?: (req: TollgateRequest) => boolean;
  /** Runs for a CORS preflight before Tollgate answers it (`protect`'s `cors`). */
  cors?: Middleware | undefined;
}

/** 204 for a CORS preflight, unless a `cors` middleware answered it: it carries no token, so it never goes on to a handler. */
function answerPreflight(ctx: Context, cors: Middleware | undefined): Promise<unknown> {
  const end = async (): Promise<void> => {
    ctx.status = 204;
  };
  return cors === undefined ? end() : Promise.resolve(cors(ctx, end));
}

/** The Koa side of an authenticator, shared by `authenticate` and `protect`. */
export function authenticateMiddleware(authenticator: Authenticator, policy: PolicyDescriptor, handling: MiddlewareOptions = {}): Middleware {
  const { passes, cors } = handling;
  function accept(ctx: Context, next: Next, auth: AuthContext): Promise<unknown> {
    ctx.state.auth = auth;
    const headers = authenticator.responseHeaders();
    if (headers !== undefined) ctx.set(headers);
    return next();
  }
  // Not `async`: a cache hit goes straight on to `next` (koa-compose turns a throw into a rejection).
  function tollgateAuthenticate(ctx: Context, next: Next): Promise<unknown> {
    const request = toTollgateRequest(ctx);
    if (passes?.(request) === true) return next();
    if (isPreflight(request)) return answerPreflight(ctx, cors);
    const result = authenticator.attempt(request);
    return result instanceof Promise ? result.then((auth) => accept(ctx, next, auth)) : accept(ctx, next, result);
  }
  return attachPolicy(tollgateAuthenticate, policy);
}

/**
 * Extracts and verifies the access token (RFC 6750, on `jose`) and sets `ctx.state.auth`.
 * Failures are thrown as a `TollgateError` carrying `status`, `headers` and `expose`, which
 * Koa's own error handler honours. A CORS preflight is answered 204 and never passed on: put CORS
 * middleware (`@koa/cors`) before it. Options are validated here, at setup.
 *
 * @example
 * app.use(authenticate({ issuer: 'https://id.example.com/', audience: 'orders-api', jwksUri: 'https://id.example.com/jwks' }));
 */
export function authenticate(options: AuthenticateOptions): Middleware {
  const authenticator = createAuthenticator(options);
  return authenticateMiddleware(authenticator, authenticator.policy);
}
