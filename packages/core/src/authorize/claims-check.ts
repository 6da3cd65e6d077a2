import type { JWTPayload } from 'jose';
import { parseClaimPath, readClaim } from './claims.js';
import type { AuthContext } from '../context.js';
import { defineGuard, forbidden, notAuthenticated, type Guard } from './guard.js';
import type { ClaimsPolicy } from '../policy/policy.js';
import { isThenable } from '../promised.js';
import type { TollgateError } from '../errors/errors.js';
import { setupError } from '../errors/setup-error.js';

type Primitive = string | number | boolean;

/**
 * What `requireClaims` checks: an object of expected values, or a predicate.
 *
 * In an object, each key is a claim name or a dotted path into nested objects (never a claim
 * whose own name holds the dots: check such a claim with a predicate). A primitive must equal the claim, or
 * be one of its elements when the claim is an array; an array of primitives lists the values
 * the claim may take.
 */
export type ClaimsCheck =
  | Readonly<Record<string, Primitive | readonly Primitive[]>>
  | ((claims: Readonly<JWTPayload>, auth: AuthContext) => boolean | Promise<boolean>);

function isPrimitive(value: unknown): value is Primitive {
  return typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean';
}

function matches(actual: unknown, expected: Primitive | readonly Primitive[]): boolean {
  if (Array.isArray(expected)) return isPrimitive(actual) && expected.includes(actual);
  if (Array.isArray(actual)) return actual.includes(expected);
  return actual === expected;
}

/**
 * A guard that answers 403 unless the claims pass `check`. A predicate that throws, returns
 * anything but `true`, or a claim of the wrong type, denies.
 */
export function createClaimsGuard(check: ClaimsCheck, description?: string): Guard<ClaimsPolicy> {
  if (description !== undefined && typeof description !== 'string') setupError('ERR_TOLLGATE_INVALID_OPTION', 'requireClaims: description must be a string');
  let test: (claims: Readonly<JWTPayload>, auth: AuthContext) => boolean | Promise<boolean>;
  let names: string[] = [];
  if (typeof check === 'function') {
    test = check;
  } else if (check !== null && typeof check === 'object' && !Array.isArray(check)) {
    const entries = Object.entries(check);
    if (entries.length === 0) setupError('ERR_TOLLGATE_EMPTY_LIST', 'requireClaims: the object of expected claims is empty');
    for (const [name, expected] of entries) {
      const ok = isPrimitive(expected) || (Array.isArray(expected) && expected.length > 0 && expected.every(isPrimitive));
      if (!ok) setupError('ERR_TOLLGATE_INVALID_OPTION', `requireClaims: the expected value of "${name}" must be a string, number, boolean or a non-empty array of them`);
    }
    names = entries.map(([name]) => name);
    const paths = entries.map(([name, expected]) => [parseClaimPath(name, `requireClaims: "${name}"`), expected] as const);
    test = (claims) => paths.every(([path, expected]) => matches(readClaim(claims, path), expected));
  } else {
    return setupError('ERR_TOLLGATE_INVALID_OPTION', 'requireClaims: check must be an object of expected values or a function');
  }
  const label = description ?? (names.length > 0 ? `claims ${names.join(', ')}` : 'a claims predicate');
  return defineGuard({ kind: 'claims', description: label, claims: names } as const, (auth, req) => {
    if (auth === undefined) throw notAuthenticated();
    const refuse = (): TollgateError => forbidden(auth, req, 'claim_check_failed', 'The access token does not satisfy the claims this route requires', names);
    let passed: boolean | Promise<boolean>;
    try {
      passed = test(auth.claims, auth);
    } catch {
      throw refuse(); // a predicate that throws denies: never fail open
    }
    if (!isThenable(passed)) {
      if (passed !== true) throw refuse();
      return undefined;
    }
    return Promise.resolve(passed).then((value) => {
      if (value !== true) throw refuse();
    }, () => {
      throw refuse();
    });
  });
}
