import { authenticatesPath, type PolicyDescriptor, type RouteDescription } from '@tollgate/core';
import type { PublicPathMatcher } from './allow-public.js';
import { finding, type Finding } from './finding.js';

/** Methods that change state, and `ALL`, which answers them too. */
const WRITE_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE', 'ALL']);
/** Methods that only read. */
const READ_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);
const WILDCARD_SCOPES = new Set(['*', 'all', 'admin']);
/** Words that make a scope admin-grade when they are one of its `:`, `.` or `/` separated parts. */
const ADMIN_WORDS = new Set(['admin', 'root', 'superuser', 'sudo']);

/** True for a wildcard scope (`*`, `all`, `admin`, `orders:*`) or an admin-grade one (`orders:admin`). */
export function isBroadScope(scope: string): boolean {
  const s = scope.toLowerCase();
  if (WILDCARD_SCOPES.has(s) || s.endsWith(':*')) return true;
  return s.split(/[:./]/).some((part) => ADMIN_WORDS.has(part) || part === '*');
}

/** True for POST, PUT, PATCH, DELETE and ALL. */
export function isWriteMethod(method: string): boolean {
  return WRITE_METHODS.has(method.toUpperCase());
}

function guardKinds(policies: readonly PolicyDescriptor[]): string {
  return [...new Set(policies.map((p) => p.kind))].join(', ');
}

function unprotected(route: RouteDescription, isAllowedPublic: PublicPathMatcher): Finding {
  if (isAllowedPublic(route.path)) return finding('unprotected-route', route, 'Public route, approved by --allow-public.', 'info');
  const guards = route.policies.filter((p) => p.kind !== 'authenticate');
  const byProtect = route.policies.some((p) => p.kind === 'authenticate' && p.publicPaths !== undefined);
  const why = byProtect ? 'protect() leaves this path public: anyone can call it.' : 'No authenticate guards this route: anyone can call it.';
  const extra = guards.length === 0 ? '' : ` Its ${guardKinds(guards)} guard(s) run without a verified token, so they answer 401 to everyone: add authenticate before them.`;
  return finding('unprotected-route', route, `${why}${extra}`);
}

/** True for an `authenticate` that verifies tokens on this path (a default-deny one may leave it public). */
function authenticates(policy: PolicyDescriptor, path: string): boolean {
  return policy.kind === 'authenticate' && authenticatesPath(policy, path);
}

function misordered(route: RouteDescription): Finding | undefined {
  const first = route.policies.findIndex((p) => authenticates(p, route.path));
  if (first <= 0) return undefined;
  const early = route.policies.slice(0, first);
  return finding('guard-before-authenticate', route,
    `The ${guardKinds(early)} guard(s) run before authenticate: the route fails closed, but the stack is misordered.`);
}

/**
 * The checks of one route on its own: unprotected (high, or info when approved public),
 * a guard before `authenticate` (high), a write without replay protection or rate limit
 * (medium each; not reported on unprotected routes, where both need a token to work), and
 * a wildcard or admin-grade scope on a read route (low).
 */
export function checkRoute(route: RouteDescription, isAllowedPublic: PublicPathMatcher): Finding[] {
  if (!route.protected) return [unprotected(route, isAllowedPublic)];
  const out: Finding[] = [];
  const order = misordered(route);
  if (order !== undefined) out.push(order);
  if (isWriteMethod(route.method)) {
    if (!route.replayProtected) {
      out.push(finding('write-without-replay-protection', route, `${route.method} changes state but no preventReplay guards it: a captured token can repeat the write.`));
    }
    if (route.rateLimit.length === 0) {
      out.push(finding('write-without-rate-limit', route, `${route.method} changes state but no rateLimitPerToken guards it.`));
    }
  }
  const broad = READ_METHODS.has(route.method) ? route.scopes.filter(isBroadScope) : [];
  if (broad.length > 0) {
    out.push(finding('broad-scope-on-read', route, `A read route demands the broad scope(s) ${broad.join(', ')}: readers need more privilege than the read calls for.`));
  }
  return out;
}
