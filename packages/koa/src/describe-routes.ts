import {
  describeRoute, EVERY_PATH_PATTERN, guardsInFront, isPassThrough, joinPaths, parsePattern, readPolicy, TollgateSetupError,
  setHandlerSlots, type HandlerSlot, type OwnGuards, type PolicyDescriptor, type RouteDescription, type RouteEntry, type RoutePattern,
} from '@tollgate/core';
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
  opts: { pathAsRegExp?: boolean | undefined; end?: boolean | undefined; sensitive?: boolean | undefined; strict?: boolean | undefined };
}

interface KoaRouter {
  stack: readonly RouterLayer[];
  /** `exclusive` routers run only the last matching layer, so no `router.use()` guard runs for a route. */
  exclusive?: boolean | undefined;
  allowedMethods?: (() => unknown) | undefined;
}

/** How `router.use(mw)` without a path ends its pattern, before and after a prefix is applied. */
const ANY_BELOW = [String.raw`(?:\/|$)`, String.raw`(?:\\\/|$)`];
/** What `router.use(mw)` becomes under a prefix with parameters: the prefix and anything below. */
const REST_BELOW = '{/*rest}';

function isRouter(value: unknown): value is KoaRouter {
  return typeof value === 'object' && value !== null && Array.isArray((value as { stack?: unknown }).stack);
}

/** The router behind `router.routes()` / `router.middleware()`: the dispatch function's `.router`. */
function routerOf(middleware: unknown): KoaRouter | undefined {
  const router = typeof middleware === 'function' ? (middleware as { router?: unknown }).router : undefined;
  return isRouter(router) ? router : undefined;
}

/** The methods to report: HEAD is dropped where the router added it for GET; every method is `ALL`. */
function methodsOf(layer: RouterLayer): string[] {
  const methods = [...new Set(layer.methods)];
  if (METHODS.every((m) => methods.includes(m))) return ['ALL'];
  return methods.includes('GET') ? methods.filter((m) => m !== 'HEAD') : methods;
}

/** The layer's path as a pattern, and whether it also runs for everything below it (`router.use()`). */
function layerPattern(layer: RouterLayer): { pattern: RoutePattern; prefix: boolean } {
  const prefix = layer.methods.length === 0 ? layer.opts.end !== true : layer.opts.end === false;
  const settings = { dialect: 'path-to-regexp' as const, caseSensitive: layer.opts.sensitive === true, strict: layer.opts.strict === true };
  if (layer.opts.pathAsRegExp === true || typeof layer.path !== 'string') {
    const source = typeof layer.path === 'string' ? layer.path : layer.path.source;
    const tail = ANY_BELOW.find((t) => source.endsWith(t));
    if (tail === undefined) return { pattern: parsePattern(new RegExp(source), settings), prefix };
    const head = source.slice(0, -tail.length);
    // `^/api(?:\/|$)`: a plain regular expression, so case-sensitive whatever the router's setting.
    if (head === '') return { pattern: EVERY_PATH_PATTERN, prefix: true };
    return { pattern: parsePattern(head, { ...settings, caseSensitive: true }), prefix: true };
  }
  if (layer.path.endsWith(REST_BELOW)) return { pattern: parsePattern(layer.path.slice(0, -REST_BELOW.length) || '/', settings), prefix: true };
  return { pattern: parsePattern(layer.path, settings), prefix };
}

/** A param callback that `router.param()` put into a layer's stack. */
function isParamMiddleware(fn: unknown): boolean {
  return typeof fn === 'function' && typeof (fn as { param?: unknown }).param === 'string';
}

/** The layer's own guards (before its first function that is neither a guard nor a param callback), and the guards after it. */
function splitStack(stack: readonly unknown[]): { own: OwnGuards; late: PolicyDescriptor[]; hasHandler: boolean } {
  const leading: PolicyDescriptor[] = [];
  let paramsFirst = false;
  let i = 0;
  for (; i < stack.length; i++) {
    const fn = stack[i];
    const policy = readPolicy(fn);
    if (policy !== undefined) leading.push(policy);
    else if (isParamMiddleware(fn)) paramsFirst ||= !leading.some((p) => p.kind === 'authenticate');
    else break;
  }
  const late = stack.slice(i).map((fn) => readPolicy(fn)).filter((p): p is PolicyDescriptor => p !== undefined);
  return { own: { policies: leading, paramsFirst }, late, hasHandler: i < stack.length };
}

function describeRouter(router: KoaRouter, inherited: readonly RouteEntry[], out: RouteDescription[]): void {
  const entries = [...inherited];
  for (const layer of router.stack) {
    const { pattern, prefix } = layerPattern(layer);
    const path = typeof layer.path === 'string' && layer.opts.pathAsRegExp !== true ? joinPaths('/', layer.path) : String(layer.path instanceof RegExp ? layer.path.source : layer.path);
    const { own, late, hasHandler } = splitStack(layer.stack);
    if (!hasHandler) {
      // Only guards (`router.use(authenticate(…))`, `router.all('/api/{*rest}', guard)`): they guard later layers.
      // An `exclusive` router runs only the last matching layer, so they guard nothing else.
      if (router.exclusive === true) continue;
      const methods = layer.methods.length === 0 ? [undefined] : methodsOf(layer).map((m) => (m === 'ALL' ? undefined : m.toLowerCase()));
      for (const method of methods) for (const policy of own.policies) entries.push({ type: 'guard', policy, scope: pattern, path, prefix, method, paramsFirst: own.paramsFirst });
      continue;
    }
    if (layer.methods.length === 0) {
      // `router.use(mw)` with a middleware that is not a guard: it may answer for everything below its path.
      entries.push({ type: 'middleware', name: nameOf(layer.stack.find((fn) => readPolicy(fn) === undefined && !isParamMiddleware(fn))), scope: pattern });
      continue;
    }
    for (const method of methodsOf(layer)) {
      const front = guardsInFront(exclusiveView(router, entries, inherited), pattern, method === 'ALL' ? '_all' : method.toLowerCase(), own);
      if (late.length > 0) front.concerns.unshift({ kind: 'guard-after-handler', subjects: [...new Set(late.map((p) => p.kind))] });
      const described = describeRoute(method, path, front.policies, { handler: layer.stack[layer.stack.length - 1], pattern, concerns: front.concerns });
      setHandlerSlots(described, layer.stack.flatMap((fn, key): HandlerSlot[] => {
        if (readPolicy(fn) !== undefined) return [];
        return [{ holder: layer.stack, key, role: isParamMiddleware(fn) ? 'pass-through' : 'handler' }];
      }));
      out.push(described);
    }
  }
}

/** In an `exclusive` router no other layer of the router runs before a route: only what came before the router counts. */
function exclusiveView(router: KoaRouter, entries: readonly RouteEntry[], inherited: readonly RouteEntry[]): readonly RouteEntry[] {
  return router.exclusive === true ? inherited : entries;
}

function nameOf(fn: unknown): string {
  return typeof fn === 'function' && fn.name !== '' ? fn.name : '<anonymous>';
}

/** `router.allowedMethods()` of a router in the app: it answers only OPTIONS, 405 and 501 for that router's own paths. */
function isAllowedMethodsOf(fn: unknown, routers: readonly KoaRouter[]): boolean {
  if (typeof fn !== 'function') return false;
  const source = Function.prototype.toString.call(fn);
  return routers.some((r) => typeof r.allowedMethods === 'function' && Function.prototype.toString.call(r.allowedMethods()) === source);
}

/**
 * Lists every route of a Koa 2 or 3 app (the @koa/router routers it mounts with
 * `app.use(router.routes())`), or of one router: one entry per path and method, in registration
 * order, with the full path (router prefix and nested mount paths included). Guards come from
 * `app.use()` before the router, from `router.use()` before the route, and from the route's own
 * middleware up to its first function that is not a guard. A guard counts only when its pattern
 * provably passes every URL the route serves (a `router.use()` without a path is a
 * case-sensitive regular expression under a prefix, whatever the router's `sensitive`); a route
 * with no such `authenticate` has `protected: false`, and `concerns` lists what cannot be vouched
 * for. An app middleware that is neither a guard nor a router (koa-mount, a sub-app, anything that
 * may answer) is one entry `{ method: '*', path: '/', opaque: true, name }`: its paths cannot be read.
 *
 * @example
 * for (const r of describeRoutes(app)) if (!r.protected) console.warn(`${r.method} ${r.path} is public`);
 */
export function describeRoutes(appOrRouter: object): RouteDescription[] {
  const out: RouteDescription[] = [];
  if (isRouter(appOrRouter)) {
    describeRouter(appOrRouter as KoaRouter, [], out);
    return out;
  }
  const middleware = (appOrRouter as { middleware?: unknown }).middleware;
  if (!Array.isArray(middleware)) throw new TollgateSetupError('ERR_TOLLGATE_INVALID_OPTION', 'describeRoutes expects a Koa app or an @koa/router Router');
  const routers = (middleware as unknown[]).map(routerOf).filter((r): r is KoaRouter => r !== undefined);
  const entries: RouteEntry[] = [];
  (middleware as unknown[]).forEach((fn, index) => {
    const policy = readPolicy(fn);
    const router = policy === undefined ? routerOf(fn) : undefined;
    if (policy !== undefined) entries.push({ type: 'guard', policy, scope: EVERY_PATH_PATTERN, path: '/', prefix: true, paramsFirst: false });
    else if (router !== undefined) describeRouter(router, entries, out);
    else if (!isPassThrough(fn) && !isAllowedMethodsOf(fn, routers)) {
      const front = guardsInFront(entries, EVERY_PATH_PATTERN, '*', { policies: [], paramsFirst: false });
      const route = describeRoute('*', '/', front.policies, { handler: fn, pattern: EVERY_PATH_PATTERN, concerns: front.concerns, opaque: true });
      route.name = nameOf(fn);
      setHandlerSlots(route, [{ holder: middleware, key: index, role: 'observer' }]);
      out.push(route);
      entries.push({ type: 'middleware', name: nameOf(fn), scope: EVERY_PATH_PATTERN });
    }
  });
  return out;
}
