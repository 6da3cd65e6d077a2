import type { AuthContext } from '../context.js';
import { challengeScheme } from '../errors/challenge.js';
import { TollgateError } from '../errors/errors.js';
import { assertKnownOptions, nonNegative, setupError, stringList } from '../errors/setup-error.js';
import type { AuthLevelPolicy } from '../policy/policy.js';
import { defineGuard, notAuthenticated, reportRejection, type Guard } from './guard.js';

/** Options of `requireAuthLevel` (RFC 9470). At least one of `acr` and `maxAge`. */
export interface AuthLevelOptions {
  /** Accepted authentication context classes: the token's `acr` must be one of them (exact match). */
  acr?: string | readonly string[];
  /** The user must have authenticated at most this many seconds ago (`auth_time`, required). */
  maxAge?: number;
  /** The clock, in ms since the epoch. Default `Date.now`. */
  now?: () => number;
}

/** Seconds an `auth_time` may lie ahead of the clock (the issuer's clock may run slightly ahead). */
const FUTURE_LEEWAY = 5;

/**
 * A guard for RFC 9470 step-up: 401 `insufficient_user_authentication` when the token's `acr`
 * is not listed, or its `auth_time` is missing or older than `maxAge` seconds. The challenge
 * tells the client what to ask the authorization server for: `acr_values` and/or `max_age`.
 */
export function createAuthLevelGuard(options: AuthLevelOptions): Guard<AuthLevelPolicy> {
  if (typeof options !== 'object' || options === null) setupError('ERR_TOLLGATE_INVALID_OPTION', 'requireAuthLevel: options are required');
  assertKnownOptions(options, ['acr', 'maxAge', 'now'], 'requireAuthLevel');
  if (options.acr === undefined && options.maxAge === undefined) setupError('ERR_TOLLGATE_INVALID_OPTION', 'requireAuthLevel: set acr, maxAge or both');
  // acr_values is space-separated (OIDC Core §3.1.2.1): a value holding a space could not be asked for.
  const acr = options.acr === undefined ? Object.freeze([]) : stringList(options.acr, 'requireAuthLevel: acr');
  const maxAge = options.maxAge === undefined ? undefined : nonNegative(options.maxAge, 'requireAuthLevel: maxAge', 0);
  if (maxAge !== undefined && !Number.isInteger(maxAge)) setupError('ERR_TOLLGATE_INVALID_OPTION', 'requireAuthLevel: maxAge must be a whole number of seconds');
  if (options.now !== undefined && typeof options.now !== 'function') setupError('ERR_TOLLGATE_INVALID_OPTION', 'requireAuthLevel: now must be a function');
  const now = options.now ?? Date.now;
  const challengeParams = Object.freeze({
    ...(acr.length === 0 ? {} : { acr_values: acr.join(' ') }),
    ...(maxAge === undefined ? {} : { max_age: String(maxAge) }),
  });
  const policy: AuthLevelPolicy = { kind: 'auth-level', acr, ...(maxAge === undefined ? {} : { maxAge }) };

  function refusal(auth: AuthContext): { reason: 'insufficient_acr' | 'authentication_too_old'; description: string } | undefined {
    const { acr: given, auth_time: authTime } = auth.claims as { acr?: unknown; auth_time?: unknown };
    if (acr.length > 0 && (typeof given !== 'string' || !acr.includes(given))) {
      return { reason: 'insufficient_acr', description: 'A stronger authentication is required' };
    }
    if (maxAge !== undefined) {
      const age = typeof authTime === 'number' && Number.isFinite(authTime) ? now() / 1000 - authTime : undefined;
      if (age === undefined || age > maxAge || age < -FUTURE_LEEWAY) return { reason: 'authentication_too_old', description: 'A more recent authentication is required' };
    }
    return undefined;
  }

  return defineGuard(policy, (auth, req) => {
    if (auth === undefined) throw notAuthenticated();
    const refused = refusal(auth);
    if (refused === undefined) return;
    const error = new TollgateError('insufficient_user_authentication', refused.description, {
      reason: refused.reason, challenge: { scheme: challengeScheme(auth) }, challengeParams,
    });
    throw reportRejection(auth, req, error);
  });
}
