import { defineGuard, forbidden, notAuthenticated, type Guard } from './guard.js';
import type { RolesPolicy } from '../policy/policy.js';
import { missingValues, type MatchOptions } from './scopes.js';
import { assertKnownOptions, matchOption, stringList } from '../errors/setup-error.js';

/** A guard that answers 403 unless the token's roles satisfy `roles` (exact matching). */
export function createRoleGuard(roles: string | readonly string[], options: MatchOptions = {}): Guard<RolesPolicy> {
  assertKnownOptions(options, ['match'], 'requireRoles');
  const required = stringList(roles, 'requireRoles: roles', { allowSpaces: true });
  const match = matchOption(options.match, 'requireRoles');
  return defineGuard({ kind: 'roles', roles: required, match } as const, (auth, req) => {
    if (auth === undefined) throw notAuthenticated();
    const missing = missingValues(required, auth.roles, match);
    if (missing.length > 0) throw forbidden(auth, req, 'insufficient_role', 'The access token lacks a required role', match === 'all' ? missing : required);
  });
}
