import { authenticatesPath, type RateLimitPolicy, type RouteDescription } from '@tollgate/core';

/** The columns every tabular format shows for a route, as plain text. */
export interface RouteCells {
  method: string;
  path: string;
  /** `token` when authenticate guards the route, `OPEN` when not. */
  auth: string;
  scopes: string;
  roles: string;
  replay: string;
  rateLimit: string;
}

/** The column titles, in order, matching {@link RouteCells}. */
export const ROUTE_COLUMNS: readonly { key: keyof RouteCells; title: string }[] = Object.freeze([
  { key: 'method', title: 'Method' },
  { key: 'path', title: 'Path' },
  { key: 'auth', title: 'Auth' },
  { key: 'scopes', title: 'Scopes' },
  { key: 'roles', title: 'Roles' },
  { key: 'replay', title: 'Replay' },
  { key: 'rateLimit', title: 'Rate limit' },
]);

function windowText(ms: number): string {
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000}h`;
  if (ms % 60_000 === 0) return `${ms / 60_000}m`;
  if (ms % 1000 === 0) return `${ms / 1000}s`;
  return `${ms}ms`;
}

/** `100/1m per token`, `dynamic/15m per subject`. */
export function rateLimitText(limit: RateLimitPolicy): string {
  return `${limit.limit}/${windowText(limit.windowMs)} per ${limit.key}`;
}

/** `token`, `token + api key (RedisApiKeyStore)` or `api key (…)` for a keys-only route; `OPEN` when nothing authenticates it. */
export function authText(route: RouteDescription): string {
  if (!route.protected) return 'OPEN';
  const guard = route.policies.find((p) => p.kind === 'authenticate' && authenticatesPath(p, route.path));
  if (guard?.kind !== 'authenticate' || guard.apiKeys === undefined) return 'token';
  return `${guard.issuers.length > 0 ? 'token + ' : ''}api key (${guard.apiKeys.store})`;
}

/** A route's cells; `-` stands for "none". */
export function routeCells(route: RouteDescription): RouteCells {
  return {
    method: route.method,
    path: route.path,
    auth: authText(route),
    scopes: route.scopes.join(' ') || '-',
    roles: route.roles.join(' ') || '-',
    replay: route.replayProtected ? 'yes' : '-',
    rateLimit: route.rateLimit.map(rateLimitText).join(', ') || '-',
  };
}
