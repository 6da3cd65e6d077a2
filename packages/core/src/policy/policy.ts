import { parsePattern, patternMayServe, type RoutePattern } from './route-pattern.js';

/** What an `authenticate` middleware enforces. */
export interface AuthenticatePolicy {
  kind: 'authenticate';
  issuers: readonly string[];
  audiences: readonly string[];
  algorithms: readonly string[];
  tokenLocations: readonly string[];
  typ?: string | undefined;
  dpop: 'off' | 'allowed' | 'required';
  revocation: boolean;
  /** The RFC 7662 endpoint opaque tokens are introspected at, when one is configured. */
  introspection?: string;
  /** RFC 8705 certificate-bound tokens: checked when bound (`allowed`), or demanded (`required`), when configured. */
  mtls?: 'allowed' | 'required';
  /** Present when the route also accepts API keys Tollgate issued: their prefix, header and store. */
  apiKeys?: { prefix: string; header: string; store: string } | undefined;
  /** Set by default-deny (`protect`): the paths it leaves public. */
  publicPaths?: readonly string[];
}

/** What a `requireScopes` middleware enforces. */
export interface ScopesPolicy {
  kind: 'scopes';
  scopes: readonly string[];
  match: 'all' | 'any';
}

/** What a `requireRoles` middleware enforces. */
export interface RolesPolicy {
  kind: 'roles';
  roles: readonly string[];
  match: 'all' | 'any';
}

/** What a `requireClaims` middleware enforces. */
export interface ClaimsPolicy {
  kind: 'claims';
  description: string;
  /** The claim names checked, when the check is an object of expected values. */
  claims: readonly string[];
}

/** What a `requireAuthLevel` middleware enforces (RFC 9470 step-up). */
export interface AuthLevelPolicy {
  kind: 'auth-level';
  /** Accepted `acr` values; empty when any will do. */
  acr: readonly string[];
  /** Seconds since `auth_time` at most, when limited. */
  maxAge?: number;
}

/** What a `preventReplay` middleware enforces. */
export interface ReplayPolicy {
  kind: 'replay';
  store: string;
}

/** What a `rateLimitPerToken` middleware enforces. */
export interface RateLimitPolicy {
  kind: 'rate-limit';
  /** A fixed limit, or `'dynamic'` when it is a function of the token. */
  limit: number | 'dynamic';
  windowMs: number;
  key: string;
  passOnStoreError: boolean;
}

/** The machine-readable description a Tollgate middleware carries. */
export type PolicyDescriptor = AuthenticatePolicy | ScopesPolicy | RolesPolicy | ClaimsPolicy | AuthLevelPolicy | ReplayPolicy | RateLimitPolicy;

/** Registered globally so that two copies of core still recognise each other's middlewares. */
export const POLICY = Symbol.for('tollgate.policy');

/** Freezes a value and everything it holds. */
export function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}

/** Attaches a frozen descriptor to a middleware and returns the middleware. */
export function attachPolicy<F extends object>(middleware: F, descriptor: PolicyDescriptor): F {
  Object.defineProperty(middleware, POLICY, { value: deepFreeze(descriptor), enumerable: false });
  return middleware;
}

/** Marks Tollgate's own middleware that never answers a request on its own (error renderers). */
const PASS_THROUGH = Symbol.for('tollgate.pass-through');

/** Marks `middleware` as one that never answers on its own, so the route report need not list it. */
export function markPassThrough<F extends object>(middleware: F): F {
  Object.defineProperty(middleware, PASS_THROUGH, { value: true, enumerable: false });
  return middleware;
}

/** True for a middleware marked with {@link markPassThrough}. */
export function isPassThrough(middleware: unknown): boolean {
  return (typeof middleware === 'function' || (typeof middleware === 'object' && middleware !== null)) && (middleware as { [PASS_THROUGH]?: unknown })[PASS_THROUGH] === true;
}

/** The descriptor a middleware carries, if it is a Tollgate middleware. */
export function readPolicy(middleware: unknown): PolicyDescriptor | undefined {
  if (typeof middleware !== 'function' && (typeof middleware !== 'object' || middleware === null)) return undefined;
  return (middleware as { [POLICY]?: PolicyDescriptor })[POLICY];
}

/** One route and method, with the guards in front of it. What `describeRoutes` returns. */
export interface RouteDescription {
  /** Upper-case method, or `ALL`. */
  method: string;
  /** The full mounted path. */
  path: string;
  /** True when an `authenticate` runs before the handler. */
  protected: boolean;
  scopes: readonly string[];
  roles: readonly string[];
  replayProtected: boolean;
  /** The rate limits in front of the route, outermost first. */
  rateLimit: readonly RateLimitPolicy[];
  /** The guards in the order they run. */
  policies: readonly PolicyDescriptor[];
  /**
   * The function that answers the route, when the adapter knows it (non-enumerable, so JSON
   * reports leave it out): one handler listed under two paths is one route reachable twice.
   */
  readonly handler?: unknown;
  /**
   * A mounted sub-app or mount middleware whose routes cannot be read: the entry stands for
   * every route under `path` (`method` is `*`). Absent on ordinary routes.
   */
  opaque?: true;
  /** The function name of an opaque entry, when its path cannot be read either. */
  name?: string;
  /** What the report could not vouch for on this route. Absent when there is nothing. */
  concerns?: readonly RouteConcern[];
  /** The parsed path (non-enumerable): what the probe builds its request from. */
  readonly pattern?: RoutePattern;
}

/**
 * Something in front of a route that the route report cannot vouch for:
 * - `guard-after-handler`: a Tollgate guard placed after a function that can answer first; it does not count.
 * - `guard-not-proven`: a guard whose pattern does not provably pass every URL of the route; it does not count.
 * - `public-path-served`: `protect()` leaves a public path open that this route's pattern serves.
 * - `param-before-authenticate`: a param callback runs before any `authenticate` (it can answer, e.g. 404, first).
 * - `middleware-before-authenticate`: a middleware that is not a Tollgate guard runs before `authenticate` and may answer first.
 * - `error-handler-after-guards`: an error handler (Express) after guards may swallow their error and let the request on; the guards before it do not count.
 */
export interface RouteConcern {
  kind: 'guard-after-handler' | 'guard-not-proven' | 'public-path-served' | 'param-before-authenticate' | 'middleware-before-authenticate' | 'error-handler-after-guards';
  /** What it concerns: guard kinds, function names, the public path or the guard's pattern. */
  subjects: readonly string[];
}

/** What an adapter knows about a route beyond its guards. */
export interface RouteFacts {
  /** The function that answers the route. */
  handler?: unknown;
  /** The parsed full path; without it the path is read as a path-to-regexp 8 pattern. */
  pattern?: RoutePattern;
  concerns?: readonly RouteConcern[];
  opaque?: boolean;
}

/**
 * Whether `path` is one of `publicPaths`: exact (`/health`), or under a prefix ending in `/*`
 * (`/docs/*` covers `/docs` and `/docs/x`, not `/docsx`). Exact and case-sensitive on purpose:
 * a spelling the list does not name is not public.
 */
export function isPublicPath(path: string, publicPaths: readonly string[]): boolean {
  for (const pattern of publicPaths) {
    if (pattern.endsWith('/*')) {
      const prefix = pattern.slice(0, -1);
      if (path.startsWith(prefix) || path === prefix.slice(0, -1)) return true;
    } else if (path === pattern) return true;
  }
  return false;
}

/**
 * Whether an `authenticate` verifies tokens on `path`: a default-deny one (`protect()`) leaves
 * its public paths open, so it does not protect them.
 */
export function authenticatesPath(policy: AuthenticatePolicy, path: string): boolean {
  return policy.publicPaths === undefined || !isPublicPath(path, policy.publicPaths);
}

/** The public paths of a default-deny `authenticate` that a route with this pattern may serve. */
export function publicPathsServed(policy: AuthenticatePolicy, pattern: RoutePattern): string[] {
  return (policy.publicPaths ?? []).filter((p) => patternMayServe(pattern, p));
}

/**
 * Builds a route's entry from the guards in front of it, in the order they run. A default-deny
 * `authenticate` counts only if none of its public paths can reach the route's pattern: a
 * public `/users/me` opens `/users/:id` for that URL.
 */
export function describeRoute(method: string, path: string, policies: readonly PolicyDescriptor[], facts: RouteFacts = {}): RouteDescription {
  const pattern = facts.pattern ?? parsePattern(path, { dialect: 'path-to-regexp' });
  // An opaque entry serves its path and anything below it.
  const served = facts.opaque === true ? { ...pattern, segments: [...pattern.segments, { kind: 'rest' as const, mayBeEmpty: true }] } : pattern;
  const concerns = [...(facts.concerns ?? [])];
  const scopes: string[] = [];
  const roles: string[] = [];
  const rateLimit: RateLimitPolicy[] = [];
  let isProtected = false;
  let replayProtected = false;
  for (const p of policies) {
    switch (p.kind) {
      case 'authenticate': {
        const open = publicPathsServed(p, served);
        if (open.length === 0) isProtected = true;
        else concerns.push({ kind: 'public-path-served', subjects: open });
        break;
      }
      case 'scopes': for (const s of p.scopes) if (!scopes.includes(s)) scopes.push(s); break;
      case 'roles': for (const r of p.roles) if (!roles.includes(r)) roles.push(r); break;
      case 'replay': replayProtected = true; break;
      case 'rate-limit': rateLimit.push(p); break;
      case 'claims': case 'auth-level': break;
    }
  }
  const route: RouteDescription = { method: method.toUpperCase(), path, protected: isProtected, scopes, roles, replayProtected, rateLimit, policies: [...policies] };
  if (facts.opaque === true) route.opaque = true;
  if (concerns.length > 0) route.concerns = concerns;
  if (facts.handler !== undefined) Object.defineProperty(route, 'handler', { value: facts.handler, enumerable: false });
  Object.defineProperty(route, 'pattern', { value: pattern, enumerable: false });
  return route;
}

/** Joins a mount prefix and a route path: `joinPaths('/v1', '/orders')` is `/v1/orders`. */
export function joinPaths(prefix: string, path: string): string {
  const joined = `${prefix.replace(/\/+$/, '')}/${path.replace(/^\/+/, '')}`;
  return joined.length > 1 ? joined.replace(/\/+$/, '') || '/' : '/';
}
