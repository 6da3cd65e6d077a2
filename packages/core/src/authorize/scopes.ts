import { defineGuard, forbidden, notAuthenticated, type Guard } from './guard.js';
import type { ScopesPolicy } from '../policy/policy.js';
import { assertKnownOptions, matchOption, stringList } from '../errors/setup-error.js';

/** Options of `requireScopes` and `requireRoles`. */
export interface MatchOptions {
  /** `all` (default): every listed value is needed; `any`: one is enough. */
  match?: 'all' | 'any';
}

const NOTHING_MISSING: readonly string[] = Object.freeze([]);

/** Returns the values of `required` that `granted` lacks, under exact string matching. */
export function missingValues(required: readonly string[], granted: readonly string[], match: 'all' | 'any'): readonly string[] {
  let missing: string[] | undefined;
  for (const value of required) if (!granted.includes(value)) (missing ??= []).push(value);
  return missing === undefined || (match === 'any' && missing.length < required.length) ? NOTHING_MISSING : missing;
}

/**
 * A guard that answers 403 `insufficient_scope` unless the token's scopes satisfy `scopes`.
 * Matching is exact: `orders:read` never satisfies `orders:read:all`, and `orders` never `orders:read`.
 */
export function createScopeGuard(scopes: string | readonly string[], options: MatchOptions = {}): Guard<ScopesPolicy> {
  assertKnownOptions(options, ['match'], 'requireScopes');
  const required = stringList(scopes, 'requireScopes: scopes');
  const match = matchOption(options.match, 'requireScopes');
  const what = match === 'all' ? 'all of' : 'one of';
  return defineGuard({ kind: 'scopes', scopes: required, match } as const, (auth, req) => {
    if (auth === undefined) throw notAuthenticated();
    const missing = missingValues(required, auth.scopes, match);
    if (missing.length > 0) throw forbidden(auth, req, 'insufficient_scope', `The access token needs ${what} these scopes: ${required.join(' ')}`, match === 'all' ? missing : required);
  });
}
