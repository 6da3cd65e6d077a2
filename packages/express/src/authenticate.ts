import { attachPolicy, createAuthenticator, type AuthenticateOptions } from '@tollgate/core';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import './augment.js';
import { toTollgateRequest } from './request.js';

/**
 * Extracts and verifies the access token (RFC 6750, on `jose`) and sets `req.auth`.
 * Failures go to `next(err)` as a `TollgateError` carrying `status` and `headers`, which
 * Express's own final handler honours. Options are validated here, at setup.
 *
 * @example
 * app.use(authenticate({ issuer: 'https://id.example.com/', audience: 'orders-api', jwksUri: 'https://id.example.com/jwks' }));
 */
export function authenticate(options: AuthenticateOptions): RequestHandler {
  const authenticator = createAuthenticator(options);
  function tollgateAuthenticate(req: Request, _res: Response, next: NextFunction): void {
    const request = toTollgateRequest(req);
    if (authenticator.skips(request)) {
      next();
      return;
    }
    authenticator.authenticate(request).then((auth) => {
      req.auth = auth;
      next();
    }, next);
  }
  return attachPolicy(tollgateAuthenticate, authenticator.policy);
}
