import type { PolicyDescriptor, RouteConcern } from './policy.js';
import { patternCovers, patternsMayOverlap, type RoutePattern } from './route-pattern.js';

/**
 * Something registered before a route that runs for it when its pattern matches: what the
 * adapters collect while they walk a router's stack, in the order it runs.
 */
export type RouteEntry =
  /**
   * A guard from a middleware (`prefix`: it runs for its path and everything below) or from a
   * route with no handler (a whole-path match, on `method` when given). `paramsFirst`: a param
   * callback runs before it.
   */
  | { type: 'guard'; policy: PolicyDescriptor; scope: RoutePattern; path: string; prefix: boolean; method?: string | undefined; paramsFirst: boolean }
  /** A middleware that is not a Tollgate guard, registered on `scope` and below: it may answer first. */
  | { type: 'middleware'; name: string; scope: RoutePattern }
  /** An error handler (Express): it may swallow a guard's error and let the request go on. */
  | { type: 'recovery'; name: string; scope: RoutePattern };

/** The route's own guards: those before its first function that is not a guard. */
export interface OwnGuards {
  policies: readonly PolicyDescriptor[];
  /** A param callback runs before them. */
  paramsFirst: boolean;
  /** Error handlers among the route's own functions before its handler: every guard before them is undone (and not in `policies`). */
  recoveredBy?: readonly string[];
}

/**
 * The guards that provably run before a route (`pattern`, lower-case `method` or `_all`), in
 * order, and what could not be vouched for: a guard whose pattern does not provably pass every
 * URL of the route (it is left out), a middleware that may answer before `authenticate`, a
 * param callback that runs before it, an error handler after guards (it may swallow their error
 * and let the request on, so the guards before it are left out).
 */
export function guardsInFront(entries: readonly RouteEntry[], pattern: RoutePattern, method: string, own: OwnGuards): { policies: PolicyDescriptor[]; concerns: RouteConcern[] } {
  const notProven: string[] = [];
  const middleware: string[] = [];
  const recovered: string[] = [];
  let policies: PolicyDescriptor[] = [];
  let auth: { paramsFirst: boolean } | undefined;
  const undo = (names: readonly string[], always = false) => {
    if ((policies.length === 0 && !always) || names.length === 0) return;
    recovered.push(...names);
    policies = [];
    auth = undefined;
  };
  for (const entry of entries) {
    if (entry.type === 'recovery') {
      if (patternsMayOverlap(entry.scope, pattern)) undo([entry.name]);
      continue;
    }
    if (entry.type === 'middleware') {
      if (auth === undefined && patternsMayOverlap(entry.scope, pattern)) middleware.push(entry.name);
      continue;
    }
    if (entry.method !== undefined && entry.method !== method) continue;
    if (patternCovers(entry.scope, pattern, entry.prefix)) {
      policies.push(entry.policy);
      if (entry.policy.kind === 'authenticate' && auth === undefined) auth = entry;
    } else if (patternsMayOverlap(entry.scope, pattern)) notProven.push(`${entry.policy.kind} on ${entry.path}`);
  }
  // The route's own error handlers already dropped the route's guards before them.
  undo(own.recoveredBy ?? [], true);
  policies.push(...own.policies);
  if (auth === undefined && own.policies.some((p) => p.kind === 'authenticate')) auth = own;
  const concerns: RouteConcern[] = [];
  if (recovered.length > 0) concerns.push({ kind: 'error-handler-after-guards', subjects: [...new Set(recovered)] });
  if (notProven.length > 0) concerns.push({ kind: 'guard-not-proven', subjects: notProven });
  if (auth !== undefined && middleware.length > 0) concerns.push({ kind: 'middleware-before-authenticate', subjects: [...new Set(middleware)] });
  if (auth?.paramsFirst === true) concerns.push({ kind: 'param-before-authenticate', subjects: [] });
  return { policies, concerns };
}
