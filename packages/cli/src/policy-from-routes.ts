import type { RouteDescription } from '@tollgate/core';
import { routeKey } from './finding.js';
import type { ApprovedPolicy, ApprovedRoute } from './policy-file.js';

/** Where a written policy points editors for its schema (the file the CLI package ships). */
export const POLICY_SCHEMA_REF = './node_modules/@tollgate/cli/tollgate.policy.schema.json';

function approve(route: RouteDescription): ApprovedRoute {
  const isPublic = !route.protected;
  return {
    method: route.method,
    path: route.path,
    scopes: isPublic ? [] : [...route.scopes],
    roles: isPublic ? [] : [...route.roles],
    replay: !isPublic && route.replayProtected,
    rateLimit: !isPublic && route.rateLimit.length > 0,
    public: isPublic,
  };
}

/** The weakest of two listings of one route, so that neither is reported weaker than approved. */
function weakest(a: ApprovedRoute, b: ApprovedRoute): ApprovedRoute {
  if (a.public || b.public) return { ...a, scopes: [], roles: [], replay: false, rateLimit: false, public: true };
  return {
    ...a,
    scopes: a.scopes.filter((s) => b.scopes.includes(s)),
    roles: a.roles.filter((r) => b.roles.includes(r)),
    replay: a.replay && b.replay,
    rateLimit: a.rateLimit && b.rateLimit,
  };
}

/**
 * Today's routes as a starting policy (`--write-policy`): one entry per method and path, in
 * route order, every default written out so the reviewer sees what each route is approved for.
 * Opaque entries (mounted sub-apps) are left out: nothing behind them can be approved unread.
 */
export function policyFromRoutes(routes: readonly RouteDescription[]): ApprovedPolicy {
  const byKey = new Map<string, ApprovedRoute>();
  for (const route of routes) {
    if (route.opaque === true) continue; // what it serves cannot be read, so it cannot be approved
    const key = routeKey(route.method, route.path);
    const entry = approve(route);
    const seen = byKey.get(key);
    byKey.set(key, seen === undefined ? entry : weakest(seen, entry));
  }
  return { $schema: POLICY_SCHEMA_REF, routes: [...byKey.values()] };
}
