import { attachPolicy, createClaimsGuard, createRoleGuard, createScopeGuard, type ClaimsCheck, type Guard, type MatchOptions } from '@tollgate/core';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import './augment.js';
import { toTollgateRequest } from './request.js';

function middleware(guard: Guard, run: (req: Request, res: Response, next: NextFunction) => void): RequestHandler {
  return attachPolicy(run, guard.policy);
}

function checkWith(guard: Guard) {
  return (req: Request, next: NextFunction): void => {
    guard.check(req.auth, toTollgateRequest(req)).then(() => next(), next);
  };
}

/**
 * 403 `insufficient_scope` unless the token grants `scopes` (exact matching; `match: 'all'`
 * by default). Without an `authenticate` before it, it answers 401.
 */
export function requireScopes(scopes: string | readonly string[], options?: MatchOptions): RequestHandler {
  const guard = createScopeGuard(scopes, options);
  const check = checkWith(guard);
  return middleware(guard, function tollgateRequireScopes(req, _res, next) {
    check(req, next);
  });
}

/** 403 unless the token grants `roles` (exact matching; `match: 'all'` by default). */
export function requireRoles(roles: string | readonly string[], options?: MatchOptions): RequestHandler {
  const guard = createRoleGuard(roles, options);
  const check = checkWith(guard);
  return middleware(guard, function tollgateRequireRoles(req, _res, next) {
    check(req, next);
  });
}

/** 403 unless the claims pass `check`: an object of expected values or a predicate. */
export function requireClaims(check: ClaimsCheck, description?: string): RequestHandler {
  const guard = createClaimsGuard(check, description);
  const run = checkWith(guard);
  return middleware(guard, function tollgateRequireClaims(req, _res, next) {
    run(req, next);
  });
}
