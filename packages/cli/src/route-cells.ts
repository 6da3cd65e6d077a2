import type { RateLimitPolicy, RouteDescription } from '@tollgate/core';

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

/** A route's cells; `-` stands for "none". */
export function routeCells(route: RouteDescription): RouteCells {
  return {
    method: route.method,
    path: route.path,
    auth: route.protected ? 'token' : 'OPEN',
    scopes: route.scopes.join(' ') || '-',
    roles: route.roles.join(' ') || '-',
    replay: route.replayProtected ? 'yes' : '-',
    rateLimit: route.rateLimit.map(rateLimitText).join(', ') || '-',
  };
}
