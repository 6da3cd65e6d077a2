import type { PolicyDescriptor, RouteDescription } from '@tollgate/core';
import { finding, routeKey, type Finding } from './finding.js';

/**
 * A route entry as an adapter hands it over. Its `handler`, when present (enumerable or not),
 * is the identity of the function that answers the route, so one handler chain listed under
 * two paths can be recognised. `RouteDescription` carries `handler` itself; the name stays
 * for code that imports it.
 */
export type RouteWithHandler = RouteDescription;

function canonical(policy: PolicyDescriptor): string {
  return JSON.stringify(policy, (_key, value: unknown) => value !== null && typeof value === 'object' && !Array.isArray(value)
    ? Object.fromEntries(Object.entries(value).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
    : value);
}

/** What the guards of a route demand, independent of their order (order has its own rule). */
export function guardSignature(route: RouteDescription): string {
  return route.policies.map(canonical).sort().join('\n');
}

function conflicts(groups: Map<unknown, RouteDescription[]>, describe: (first: RouteDescription, other: RouteDescription) => string): Finding[] {
  const out: Finding[] = [];
  for (const group of groups.values()) {
    const [first, ...rest] = group;
    if (first === undefined) continue;
    const base = guardSignature(first);
    for (const other of rest) {
      if (guardSignature(other) === base) continue;
      out.push(finding('inconsistent-duplicate-route', other, describe(first, other)));
    }
  }
  return out;
}

function groupBy(routes: readonly RouteDescription[], key: (route: RouteDescription) => unknown): Map<unknown, RouteDescription[]> {
  const groups = new Map<unknown, RouteDescription[]>();
  for (const route of routes) {
    const k = key(route);
    if (k === undefined) continue;
    const group = groups.get(k);
    if (group === undefined) groups.set(k, [route]);
    else group.push(route);
  }
  return groups;
}

/**
 * A route reachable through two listings with different guards (high): the same method and
 * path listed twice, or the same handler (when the adapter reports `handler`) listed under
 * two paths, each compared with its first listing.
 */
export function checkDuplicateRoutes(routes: readonly RouteDescription[]): Finding[] {
  const samePath = conflicts(groupBy(routes, (r) => routeKey(r.method, r.path)),
    (_first, other) => `${routeKey(other.method, other.path)} is listed twice with different guards; the first listing that matches a request answers it.`);
  const handlerIds = new Map<unknown, number>();
  const handlerKey = (r: RouteDescription): string | undefined => {
    if (typeof r.handler !== 'function') return undefined;
    if (!handlerIds.has(r.handler)) handlerIds.set(r.handler, handlerIds.size);
    // Per method: one handler may well serve GET and POST with different guards.
    return `${handlerIds.get(r.handler)} ${r.method}`;
  };
  const flagged = new Set(samePath.map((f) => routeKey(f.method, f.path)));
  const sameHandler = conflicts(groupBy(routes, handlerKey),
    (first, other) => `The handler of ${routeKey(first.method, first.path)} is also reachable as ${routeKey(other.method, other.path)}, with different guards.`)
    .filter((f) => !flagged.has(routeKey(f.method, f.path)));
  return [...samePath, ...sameHandler];
}
