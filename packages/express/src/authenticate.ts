import { attachPolicy, createAuthenticator, isPreflight, type AuthContext, type AuthenticateOptions, type Authenticator, type PolicyDescriptor, type TollgateRequest } from '@tollgate/core';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import './augment.js';
import { toTollgateRequest } from './request.js';
import { requestSlot } from './request-slot.js';

const setAuth = requestSlot<AuthContext>('auth');

/** What `authenticateHandler` does besides authenticating: public paths and preflights (both for `protect`). */
export interface HandlerOptions {
  /** Requests that pass untouched (`protect`'s public paths). Default none. */
  passes?: (req: TollgateRequest) => boolean;
  /** Runs for a CORS preflight before Tollgate answers it (`protect`'s `cors`). */
  cors?: RequestHandler | undefined;
}

/**
 * Answers a CORS preflight with 204 and never passes it on: it carries no token, so no handler
 * may run for it. A `cors` middleware runs first and usually answers it itself.
 */
function answerPreflight(req: Request, res: Response, next: NextFunction, cors: RequestHandler | undefined): void {
  const end = (error?: unknown): void => {
    if (error !== undefined && error !== null && error !== 'route' && error !== 'router') next(error);
    else if (!res.headersSent) res.status(204).end();
  };
  if (cors === undefined) end();
  else void cors(req, res, end);
}

/** The Express side of an authenticator, shared by `authenticate` and `protect`. */
export function authenticateHandler(authenticator: Authenticator, policy: PolicyDescriptor, handling: HandlerOptions = {}): RequestHandler {
  const { passes, cors } = handling;
  function accept(req: Request, res: Response, next: NextFunction, auth: AuthContext): void {
    setAuth(req, auth);
    const headers = authenticator.responseHeaders();
    if (headers !== undefined) res.set(headers);
    next();
  }
  function tollgateAuthenticate(req: Request, res: Response, next: NextFunction): void {
    const request = toTollgateRequest(req);
    if (passes?.(request) === true) {
      next();
      return;
    }
    if (isPreflight(request)) {
      answerPreflight(req, res, next, cors);
      return;
    }
    let result: AuthContext | Promise<AuthContext>;
    try {
      result = authenticator.attempt(request);
    } catch (error) {
      next(error);
      return;
    }
    // A cache hit answers synchronously: no promise, no extra tick.
    if (result instanceof Promise) result.then((auth) => accept(req, res, next, auth), next);
    else accept(req, res, next, result);
  }
  return attachPolicy(tollgateAuthenticate, policy);
}

/**
 * Extracts and verifies the access token (RFC 6750, on `jose`) and sets `req.auth` (an accessor
 * on Express's request prototype, read and written as usual, not an own property of `req`).
 * Failures go to `next(err)` as a `TollgateError` carrying `status` and `headers`, which
 * Express's own final handler honours. A CORS preflight is answered 204 and never passed on: put
 * CORS middleware (`cors()`) before it. Options are validated here, at setup.
 *
 * @example
 * app.use(authenticate({ issuer: 'https://id.example.com/', audience: 'orders-api', jwksUri: 'https://id.example.com/jwks' }));
 */
export function authenticate(options: AuthenticateOptions): RequestHandler {
  const authenticator = createAuthenticator(options);
  return authenticateHandler(authenticator, authenticator.policy);
}
