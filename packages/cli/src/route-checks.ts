import { authenticatesPath, type PolicyDescriptor, type RouteConcern, type RouteDescription } from '@tollgate/core';
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

function concernOf(route: RouteDescription, kind: RouteConcern['kind']): RouteConcern | undefined {
  return route.concerns?.find((c) => c.kind === kind);
}

/** Why a route is open, from what stands in front of it. */
function whyOpen(route: RouteDescription): string {
  if (route.policies.some((p) => p.kind === 'authenticate' && !authenticatesPath(p, route.path))) return 'protect() leaves this path public: anyone can call it.';
  const served = concernOf(route, 'public-path-served');
  if (served !== undefined) return `protect() leaves ${served.subjects.join(', ')} public, and this route serves that URL: anyone can call it there.`;
  const recovered = concernOf(route, 'error-handler-after-guards');
  if (recovered !== undefined) return `The error handler(s) ${recovered.subjects.join(', ')} after its guards may swallow their 401 and let the request on: no authenticate is proven in front of it.`;
  const notProven = concernOf(route, 'guard-not-proven')?.subjects.filter((s) => s.startsWith('authenticate ')) ?? [];
  if (notProven.length > 0) return `No authenticate provably guards every URL of this route (${notProven.join('; ')} does not): anyone can call it where it does not.`;
  if (concernOf(route, 'guard-after-handler')?.subjects.includes('authenticate') === true) return 'Its authenticate runs after its handler, which answers first: anyone can call it.';
  return 'No authenticate guards this route: anyone can call it.';
}

function unprotected(route: RouteDescription, isAllowedPublic: PublicPathMatcher): Finding {
  if (isAllowedPublic(route.path)) return finding('unprotected-route', route, 'Public route, approved by --allow-public.', 'info');
  const guards = route.policies.filter((p) => p.kind !== 'authenticate');
  const why = whyOpen(route);
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

function opaque(route: RouteDescription): Finding {
  const what = route.name === undefined ? 'A mounted sub-app' : `The middleware ${route.name}, which is neither a Tollgate guard nor a router,`;
  const guard = route.protected ? 'An authenticate runs in front of it, but what it serves and demands cannot be read.' : 'No authenticate runs in front of it: it may answer anyone.';
  return finding('opaque-mount', route, `${what} at ${route.path} hides its routes from the report. ${guard}`, route.protected ? 'medium' : 'high');
}

/** Findings for what the report could not vouch for on a route (the route's own `concerns`). */
function concernFindings(route: RouteDescription): Finding[] {
  const out: Finding[] = [];
  for (const concern of route.concerns ?? []) {
    const subjects = concern.subjects.join(', ');
    switch (concern.kind) {
      case 'guard-after-handler':
        out.push(finding('guard-after-handler', route, `The ${subjects} guard(s) come after the route's handler, which can answer first: they are not counted.`));
        break;
      case 'param-before-authenticate':
        out.push(finding('param-before-authenticate', route, 'A param callback runs before authenticate: it can answer (e.g. 404 for an unknown id) to a request without a token.'));
        break;
      case 'guard-not-proven':
        if (route.protected) out.push(finding('guard-not-proven', route, `Not counted, their patterns do not provably pass every URL of this route: ${subjects}.`));
        break;
      case 'middleware-before-authenticate':
        out.push(finding('middleware-before-authenticate', route, `${subjects} run(s) before authenticate and may answer a request without a token.`));
        break;
      case 'error-handler-after-guards':
        out.push(finding('error-handler-after-guards', route, `${subjects} may swallow the errors of the guards before it and call next(): those guards are not counted.`));
        break;
      case 'public-path-served':
        break; // part of the unprotected-route finding
    }
  }
  return out;
}

/**
 * The checks of one route on its own: an opaque mount (high, medium behind authenticate),
 * unprotected (high, or info when approved public), what the route's concerns name,
 * a guard before `authenticate` (high), a write without replay protection or rate limit
 * (medium each; not reported on unprotected routes, where both need a token to work), and
 * a wildcard or admin-grade scope on a read route (low).
 */
export function checkRoute(route: RouteDescription, isAllowedPublic: PublicPathMatcher): Finding[] {
  if (route.opaque === true) return [opaque(route)];
  if (!route.protected) return [unprotected(route, isAllowedPublic), ...concernFindings(route)];
  const out: Finding[] = concernFindings(route);
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
