import { attachPolicy, createAuthLevelGuard, createClaimsGuard, createReplayGuard, createRoleGuard, createScopeGuard, type AuthLevelOptions, type ClaimsCheck, type Guard, type MatchOptions, type ReplayOptions } from '@tollgate/core';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import './augment.js';
import { toTollgateRequest } from './request.js';

/** Wraps a core guard in an Express middleware named `name` (names show up in stack traces and reports). */
function middleware(guard: Guard, name: string): RequestHandler {
  const named: Record<string, RequestHandler> = {
    [name](req: Request, _res: Response, next: NextFunction): void {
      let pending: Promise<void> | void;
      try {
        pending = guard.run(req.auth, toTollgateRequest(req));
      } catch (error) {
        next(error);
        return;
      }
      if (pending === undefined) next();
      else pending.then(() => next(), next);
    },
  };
  return attachPolicy(named[name]!, guard.policy);
}

/**
 * 403 `insufficient_scope` unless the token grants `scopes` (exact matching; `match: 'all'`
 * by default). Without an `authenticate` before it, it answers 401.
 */
export function requireScopes(scopes: string | readonly string[], options?: MatchOptions): RequestHandler {
  return middleware(createScopeGuard(scopes, options), 'tollgateRequireScopes');
}

/** 403 unless the token grants `roles` (exact matching; `match: 'all'` by default). */
export function requireRoles(roles: string | readonly string[], options?: MatchOptions): RequestHandler {
  return middleware(createRoleGuard(roles, options), 'tollgateRequireRoles');
}

/** 403 unless the claims pass `check`: an object of expected values or a predicate. */
export function requireClaims(check: ClaimsCheck, description?: string): RequestHandler {
  return middleware(createClaimsGuard(check, description), 'tollgateRequireClaims');
}

/**
 * RFC 9470 step-up: 401 `insufficient_user_authentication`, with `acr_values` / `max_age` in the
 * challenge, unless the token's `acr` is listed (exact match) and its `auth_time` is at most
 * `maxAge` seconds old (a missing `auth_time` fails under `maxAge`).
 */
export function requireAuthLevel(options: AuthLevelOptions): RequestHandler {
  return middleware(createAuthLevelGuard(options), 'tollgateRequireAuthLevel');
}

/**
 * 401 `invalid_token` when the token's `jti` was already used while the token is still valid;
 * a token without `jti` is refused. Share a `RedisNonceStore` when the app runs on several instances.
 */
export function preventReplay(options?: ReplayOptions): RequestHandler {
  return middleware(createReplayGuard(options), 'tollgatePreventReplay');
}
