import type { RouteDescription } from '@tollgate/core';
import { finding, routeKey, type Finding } from './finding.js';
import type { ApprovedPolicy, ApprovedRoute } from './policy-file.js';

/** What `route` lacks compared with what was approved; empty when it is as strong or stronger. */
export function weaknesses(approved: ApprovedRoute, route: RouteDescription): string[] {
  const out: string[] = [];
  if (!approved.public && !route.protected) out.push('it is now public (approved with authentication)');
  const scopes = approved.scopes.filter((s) => !route.scopes.includes(s));
  if (scopes.length > 0) out.push(`it no longer demands the scope(s) ${scopes.join(', ')}`);
  const roles = approved.roles.filter((r) => !route.roles.includes(r));
  if (roles.length > 0) out.push(`it no longer demands the role(s) ${roles.join(', ')}`);
  if (approved.replay && !route.replayProtected) out.push('it lost its replay protection');
  if (approved.rateLimit && route.rateLimit.length === 0) out.push('it lost its rate limit');
  return out;
}

/**
 * Drift between today's routes and the approved policy, both ways: a route weaker than
 * approved (high), a route the policy does not list (medium), an approved route that is no
 * longer there (low). A route stronger than approved is no finding. Routes match by method and path.
 */
export function checkPolicyDrift(routes: readonly RouteDescription[], policy: ApprovedPolicy): Finding[] {
  const approved = new Map(policy.routes.map((r) => [routeKey(r.method, r.path), r]));
  const present = new Set<string>();
  const out: Finding[] = [];
  for (const route of routes) {
    const key = routeKey(route.method, route.path);
    present.add(key);
    const entry = approved.get(key);
    if (entry === undefined) {
      out.push(finding('policy-unknown-route', route, `${key} is not in the approved policy.`));
      continue;
    }
    const lost = weaknesses(entry, route);
    if (lost.length > 0) out.push(finding('policy-weaker-route', route, `Weaker than approved: ${lost.join('; ')}.`));
  }
  for (const entry of policy.routes) {
    const key = routeKey(entry.method, entry.path);
    if (!present.has(key)) out.push(finding('policy-missing-route', entry, `${key} is approved but no longer present.`));
  }
  return out;
}
