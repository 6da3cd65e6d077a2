import { describeRoute, joinPaths, readPolicy, TollgateSetupError, type PolicyDescriptor, type RouteDescription } from '@tollgate/core';
import { METHODS } from 'node:http';

/**
 * The parts of an @koa/router Layer read here (`dist/index.mjs`, class Layer). Paths already carry
 * the router's prefix and, for nested routers, the mount path: `parent.use('/v1', child.routes())`
 * copies the child's layers into the parent's stack, prefixed.
 */
interface RouterLayer {
  path: string | RegExp;
  /** Upper-case; empty for `router.use()` middleware; HEAD is added for GET. */
  methods: readonly string[];
  stack: readonly unknown[];
  opts: { pathAsRegExp?: boolean | undefined };
  match(path: string): boolean;
}

interface KoaRouter {
  stack: readonly RouterLayer[];
  /** `exclusive` routers run only the last matching layer, so no `router.use()` guard runs for a route. */
  exclusive?: boolean | undefined;
}

/** A guard that covers later layers of the same router which its layer matches. */
interface ScopedGuard {
  policy: PolicyDescriptor;
  layer: RouterLayer;
}

/** What `router.use(mw)` without a path compiles to before any prefix: it matches every path. */
const EVERY_PATH = String.raw`(?:\/|$)`;

function isRouter(value: unknown): value is KoaRouter {
  return typeof value === 'object' && value !== null && Array.isArray((value as { stack?: unknown }).stack);
}

/** The router behind `router.routes()` / `router.middleware()`: the dispatch function's `.router`. */
function routerOf(middleware: unknown): KoaRouter | undefined {
  const router = typeof middleware === 'function' ? (middleware as { router?: unknown }).router : undefined;
  return isRouter(router) ? router : undefined;
}

function policiesOf(stack: readonly unknown[]): (PolicyDescriptor | undefined)[] {
  return stack.map((fn) => readPolicy(fn));
}

/** The methods to report: HEAD is dropped where the router added it for GET; every method is `ALL`. */
function methodsOf(layer: RouterLayer): string[] {
  const methods = [...new Set(layer.methods)];
  if (METHODS.every((m) => methods.includes(m))) return ['ALL'];
  return methods.includes('GET') ? methods.filter((m) => m !== 'HEAD') : methods;
}

function covers(guard: RouterLayer, route: RouterLayer, method: string): boolean {
  // A guard on some methods covers an `ALL` route only if it is on every method too.
  if (guard.methods.length > 0 && !methodsOf(guard).some((m) => m === method || m === 'ALL')) return false;
  // A RegExp route cannot be matched against a pattern: only a guard on every path counts.
  if (typeof route.path !== 'string') return guard.opts.pathAsRegExp === true && guard.path === EVERY_PATH;
  try {
    return guard.match(route.path);
  } catch {
    return false;
  }
}

function describeRouter(router: KoaRouter, inherited: readonly PolicyDescriptor[], out: RouteDescription[]): void {
  const guards: ScopedGuard[] = [];
  for (const layer of router.stack) {
    const own = policiesOf(layer.stack);
    const policies = own.filter((p): p is PolicyDescriptor => p !== undefined);
    // Only guards, no handler (`router.use(authenticate(…))`, `router.all('/api/{*rest}', guard)`): they guard later layers.
    if (own.length > 0 && policies.length === own.length) {
      if (router.exclusive !== true) guards.push(...policies.map((policy) => ({ policy, layer })));
      continue;
    }
    if (layer.methods.length === 0) continue;
    const path = typeof layer.path === 'string' ? joinPaths('/', layer.path) : layer.path.source;
    for (const method of methodsOf(layer)) {
      const scoped = guards.filter((g) => covers(g.layer, layer, method)).map((g) => g.policy);
      out.push(describeRoute(method, path, [...inherited, ...scoped, ...policies], layer.stack[layer.stack.length - 1]));
    }
  }
}

/**
 * Lists every route of a Koa 2 or 3 app (the @koa/router routers it mounts with
 * `app.use(router.routes())`), or of one router: one entry per path and method, in registration
 * order, with the full path (router prefix and nested mount paths included). Guards come from
 * `app.use()` before the router, from `router.use()` before the route (scoped by its path), and
 * from the route's own middleware. A route with no `authenticate` in front has `protected: false`.
 * Routes behind other routing middleware (koa-mount, sub-apps) are not reachable and not listed.
 *
 * @example
 * for (const r of describeRoutes(app)) if (!r.protected) console.warn(`${r.method} ${r.path} is public`);
 */
export function describeRoutes(appOrRouter: object): RouteDescription[] {
  const out: RouteDescription[] = [];
  if (isRouter(appOrRouter)) {
    describeRouter(appOrRouter, [], out);
    return out;
  }
  const middleware = (appOrRouter as { middleware?: unknown }).middleware;
  if (!Array.isArray(middleware)) throw new TollgateSetupError('ERR_TOLLGATE_INVALID_OPTION', 'describeRoutes expects a Koa app or an @koa/router Router');
  const inherited: PolicyDescriptor[] = [];
  for (const fn of middleware as unknown[]) {
    const policy = readPolicy(fn);
    const router = policy === undefined ? routerOf(fn) : undefined;
    if (policy !== undefined) inherited.push(policy);
    else if (router !== undefined) describeRouter(router, inherited, out);
  }
  return out;
}
