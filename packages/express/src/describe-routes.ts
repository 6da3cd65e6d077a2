import {
  describeRoute, EVERY_PATH_PATTERN, guardsInFront, isPassThrough, joinPaths, joinPatterns, parsePattern, readPolicy, TollgateSetupError,
  setHandlerSlots, type HandlerSlot, type PolicyDescriptor, type RouteDescription, type RouteEntry, type RoutePattern,
} from '@tollgate/core';
import type { Application, Router } from 'express';
import { METHODS } from 'node:http';
import { isExpress4App, isExpress4Router, routerOf } from './router-stack.js';

/** A path as Express keeps it: a string, a RegExp, or (nested) arrays of them. */
type RawPath = string | RegExp | readonly RawPath[];

interface ExpressRoute {
  path: RawPath;
  /** Lower-case method names, `_all` for `.all()`, in first-registration order. */
  methods: Record<string, boolean | undefined>;
  stack: readonly { method?: string | undefined; handle: unknown }[];
}

/** The parts of a Layer read here, in Express 4 (`express/lib/router/layer.js`) and `router` 2 (Express 5). */
interface Layer {
  handle: unknown;
  route?: ExpressRoute | undefined;
  /** router 2: the path as given to `use()` / `route()`, and a matcher that stores no request state. */
  rawPath?: RawPath;
  slash?: boolean;
  match?: (path: string) => unknown;
  /** Express 4: only the compiled path survives. */
  regexp?: RegExp & { fast_slash?: boolean; fast_star?: boolean };
  keys?: readonly { name: string | number }[];
}

/** How the router a layer sits in matches paths. */
interface StackContext {
  /** The full mount path of the stack, as rendered and as a pattern. */
  base: string;
  basePattern: RoutePattern;
  isExpress4: boolean;
  caseSensitive: boolean;
  strict: boolean;
  /** Parameter names with `app.param` / `router.param` callbacks in this router, and the callbacks. */
  params: ReadonlySet<string>;
  paramCallbacks: Readonly<Record<string, unknown[]>>;
  /** Param callbacks of outer routers that run when this stack's mount matched: before any guard inside it. */
  outer: { paramsFirst: boolean; slots: readonly HandlerSlot[] };
}

const ALL_METHODS = METHODS.map((m) => m.toLowerCase());
const EXPRESS4_END = '\\/?(?=\\/|$)';
const EXPRESS4_PARAM = /\(\?:\\\/\(((?:[^()\\]|\\.)*)\)\)(\?)?|\(\.\*\)/g;
/** Express 4's own first layers: they set up the request and never answer it. */
const EXPRESS4_BUILTINS = new Set(['query', 'expressInit']);

function flatten(path: RawPath): (string | RegExp)[] {
  return Array.isArray(path) ? path.flatMap((p: RawPath) => flatten(p)) : [path as string | RegExp];
}

const unescapeRegExp = (text: string): string => text.replace(/\\(.)/g, '$1');

/** One alternative of path-to-regexp 0.1's output back to its path: `\/t(?:\/([^/]+?))` is `/t/:id`. */
function express4Path(body: string, keys: { name: string | number }[]): string {
  let path = '';
  let last = 0;
  for (const m of body.matchAll(EXPRESS4_PARAM)) {
    path += unescapeRegExp(body.slice(last, m.index));
    last = m.index + m[0].length;
    const name = String(keys.shift()?.name ?? '');
    const pattern = m[1] === undefined || m[1] === '[^/]+?' || m[1] === '[^\\/]+?' ? '' : `(${m[1]})`;
    path += m[0] === '(.*)' ? '*' : `/:${name}${pattern}${m[2] ?? ''}`;
  }
  return path + unescapeRegExp(body.slice(last)) || '/';
}

/** Express 4 keeps only the compiled mount path: rebuild `/tenants/:tenantId` from it. */
function express4MountPaths(layer: Layer): (string | RegExp)[] {
  const re = layer.regexp;
  if (re === undefined) return [];
  if (re.fast_slash === true) return ['/'];
  const source = re.source;
  if (!source.startsWith('^') || !source.endsWith(EXPRESS4_END)) return [re];
  const keys = [...(layer.keys ?? [])];
  return source.slice(1, -EXPRESS4_END.length).split(`${EXPRESS4_END}|^`).map((body) => express4Path(body, keys));
}

function mountPaths(layer: Layer): (string | RegExp)[] {
  return layer.rawPath === undefined ? express4MountPaths(layer) : flatten(layer.rawPath);
}

function render(base: string, path: string | RegExp): string {
  if (typeof path === 'string') return joinPaths(base, path);
  return base === '/' ? path.source : `${base}${path.source}`;
}

function hasParamWithCallback(pattern: RoutePattern, params: ReadonlySet<string>): boolean {
  return pattern.segments.some((s) => s.kind === 'param' && params.has(s.name));
}

/** A path of this stack on its own, without the mount path. */
function ownPattern(ctx: StackContext, path: string | RegExp): RoutePattern {
  return parsePattern(path, { dialect: ctx.isExpress4 ? 'express4' : 'path-to-regexp' });
}

/** A path of this stack as a full pattern: `use()` layers never match strictly. */
function fullPattern(ctx: StackContext, path: string | RegExp, isRoute: boolean): RoutePattern {
  const own = parsePattern(path, { dialect: ctx.isExpress4 ? 'express4' : 'path-to-regexp', caseSensitive: ctx.caseSensitive, strict: isRoute && ctx.strict });
  return joinPatterns(ctx.basePattern, own);
}

function stackOf(target: unknown): readonly Layer[] | undefined {
  const router = routerOf(target);
  if (router !== undefined) return router.stack as Layer[];
  // Express 4 creates its router once a route or middleware is added: until then there are no routes.
  return isExpress4App(target) ? [] : undefined;
}

function contextOf(target: unknown, base: string, basePattern: RoutePattern, isExpress4: boolean, outer: StackContext['outer'] = { paramsFirst: false, slots: [] }): StackContext {
  const router = (routerOf(target) ?? {}) as { caseSensitive?: unknown; strict?: unknown; params?: unknown };
  const callbacks = typeof router.params === 'object' && router.params !== null
    ? Object.fromEntries(Object.entries(router.params as Record<string, unknown>).filter((e): e is [string, unknown[]] => Array.isArray(e[1]) && e[1].length > 0))
    : {};
  return { base, basePattern, isExpress4, caseSensitive: router.caseSensitive === true, strict: router.strict === true, params: new Set(Object.keys(callbacks)), paramCallbacks: callbacks, outer };
}

type RouteLayers = readonly ExpressRoute['stack'][number][];

/** Each method's layers; Express 4's `app.all` registers every method with the same handlers: one `all` then. */
function layersByMethod(route: ExpressRoute): [string, RouteLayers][] {
  const entries = Object.keys(route.methods).filter((m) => route.methods[m] === true)
    .map((m): [string, RouteLayers] => [m, route.stack.filter((l) => l.method === undefined || l.method === m)]);
  const [first] = entries;
  const isEveryMethod = first !== undefined && ALL_METHODS.every((m) => route.methods[m] === true)
    && entries.every(([, layers]) => layers.length === first[1].length && layers.every((l, i) => l.handle === first[1][i]?.handle));
  return isEveryMethod ? [['_all', first[1]]] : entries;
}

/** The part of a route's stack that runs first and is all Tollgate guards, and the guards after it. */
function splitAtHandler(handles: readonly unknown[]): { leading: PolicyDescriptor[]; late: PolicyDescriptor[]; hasHandler: boolean; recoveredBy: string[] } {
  const leading: PolicyDescriptor[] = [];
  const recoveredBy: string[] = [];
  let i = 0;
  for (; i < handles.length; i++) {
    const handle = handles[i];
    const policy = readPolicy(handle);
    if (policy !== undefined) leading.push(policy);
    // An error handler is skipped on the way in, but may swallow a guard's error and call next().
    else if (isErrorHandler(handle)) {
      recoveredBy.push(nameOf(handle));
      leading.length = 0;
    }
    else break;
  }
  const late = handles.slice(i).map((h) => readPolicy(h)).filter((p): p is PolicyDescriptor => p !== undefined);
  return { leading, late, hasHandler: i < handles.length, recoveredBy };
}

/** A function Express calls only with an error (four parameters), unless Tollgate marks it as one that never resumes. */
function isErrorHandler(handle: unknown): boolean {
  return typeof handle === 'function' && handle.length === 4 && !isPassThrough(handle);
}

function nameOf(handle: unknown): string {
  return typeof handle === 'function' && handle.name !== '' ? handle.name : '<anonymous>';
}

function describeRouteLayer(route: ExpressRoute, ctx: StackContext, entries: RouteEntry[], out: RouteDescription[]): void {
  const later: RouteEntry[] = [];
  for (const [key, layers] of layersByMethod(route)) {
    const method = key === '_all' ? undefined : key;
    const { leading, late, hasHandler, recoveredBy } = splitAtHandler(layers.map((l) => l.handle));
    for (const path of flatten(route.path)) {
      const full = render(ctx.base, path);
      const pattern = fullPattern(ctx, path, true);
      const paramsFirst = ctx.outer.paramsFirst || hasParamWithCallback(ownPattern(ctx, path), ctx.params);
      if (!hasHandler) {
        // Only guards, no handler: `app.all('/api/*', authenticate(...))` guards the routes after it.
        if (recoveredBy.length > 0) continue; // an error handler among them may undo them
        for (const policy of leading) later.push({ type: 'guard', policy, scope: pattern, path: full, prefix: false, method, paramsFirst });
        continue;
      }
      const front = guardsInFront(entries, pattern, key, { policies: leading, paramsFirst, recoveredBy });
      if (late.length > 0) front.concerns.unshift({ kind: 'guard-after-handler', subjects: [...new Set(late.map((p) => p.kind))] });
      const described = describeRoute(key === '_all' ? 'all' : key, full, front.policies, { handler: layers[layers.length - 1]?.handle, pattern, concerns: front.concerns });
      // `all` stands for one layer per method (Express's `app.all`): every one of them is the route's.
      setHandlerSlots(described, [...routeSlots(key === '_all' ? route.stack : layers), ...paramSlots(ownPattern(ctx, path), ctx), ...ctx.outer.slots]);
      out.push(described);
    }
  }
  entries.push(...later);
}

/** The route's own functions that are not guards: what the probe swaps for recorders. */
function routeSlots(layers: RouteLayers): HandlerSlot[] {
  return layers.filter((l) => readPolicy(l.handle) === undefined)
    .map((l) => ({ holder: l, key: 'handle', role: typeof l.handle === 'function' && l.handle.length === 4 ? 'error-pass-through' : 'handler' }));
}

/** The param callbacks of the route's router for the parameters of its path. */
function paramSlots(pattern: RoutePattern, ctx: StackContext): HandlerSlot[] {
  const names = new Set(pattern.segments.flatMap((s) => (s.kind === 'param' ? [s.name] : [])));
  return [...names].flatMap((name) => (ctx.paramCallbacks[name] ?? []).map((_fn, key): HandlerSlot => ({ holder: ctx.paramCallbacks[name]!, key, role: 'pass-through' })));
}

/** `app.use('/admin', adminApp)`: Express wraps the sub-app in a function it names `mounted_app`. */
function isMountedApp(handle: unknown): boolean {
  return typeof handle === 'function' && handle.name === 'mounted_app';
}

/** The entry of a sub-app whose routes cannot be read: guarded only by `use()` guards over its whole mount path. */
function describeOpaque(layer: Layer, full: string, pattern: RoutePattern, entries: readonly RouteEntry[], out: RouteDescription[]): void {
  // A route-level guard matches whole paths, never everything under the mount.
  const prefixEntries = entries.filter((e) => e.type !== 'guard' || e.prefix);
  const front = guardsInFront(prefixEntries, pattern, '*', { policies: [], paramsFirst: false });
  const described = describeRoute('*', full, front.policies, { handler: layer.handle, pattern, concerns: front.concerns, opaque: true });
  setHandlerSlots(described, [{ holder: layer, key: 'handle', role: 'handler' }]);
  out.push(described);
}

/** A middleware that is neither a guard nor a router: what it does cannot be read, so it may answer. */
function isOpaqueMiddleware(layer: Layer, ctx: StackContext): boolean {
  const handle = layer.handle;
  if (typeof handle !== 'function' || handle.length === 4) return false;
  return !(ctx.isExpress4 && ctx.base === '/' && EXPRESS4_BUILTINS.has(handle.name));
}

function walk(stack: readonly Layer[], ctx: StackContext, inherited: readonly RouteEntry[], out: RouteDescription[]): void {
  const entries = [...inherited];
  for (const layer of stack) {
    if (layer.route !== undefined) {
      describeRouteLayer(layer.route, ctx, entries, out);
      continue;
    }
    const policy = readPolicy(layer.handle);
    const nested = policy === undefined ? stackOf(layer.handle) : undefined;
    for (const mount of mountPaths(layer)) {
      const scope = fullPattern(ctx, mount, false);
      const full = render(ctx.base, mount);
      if (policy !== undefined) {
        const paramsFirst = ctx.outer.paramsFirst || hasParamWithCallback(ownPattern(ctx, mount), ctx.params);
        entries.push({ type: 'guard', policy, scope, path: full, prefix: true, paramsFirst });
      } else if (nested !== undefined) {
        const own = ownPattern(ctx, mount);
        const outer = { paramsFirst: ctx.outer.paramsFirst || hasParamWithCallback(own, ctx.params), slots: [...ctx.outer.slots, ...paramSlots(own, ctx)] };
        walk(nested, contextOf(layer.handle, full, scope, ctx.isExpress4, outer), entries, out);
      } else if (isMountedApp(layer.handle)) {
        describeOpaque(layer, full, scope, entries, out);
        entries.push({ type: 'middleware', name: 'mounted_app', scope });
      } else if (isErrorHandler(layer.handle)) {
        entries.push({ type: 'recovery', name: nameOf(layer.handle), scope });
      } else if (isOpaqueMiddleware(layer, ctx)) {
        entries.push({ type: 'middleware', name: nameOf(layer.handle), scope });
      }
    }
  }
}

/**
 * Lists every route of an Express 4 or 5 app (or Router) with the Tollgate guards in front of it:
 * one entry per path and method, in registration order, with the full mounted path. Guards come
 * from `use()` before the route, from nested routers, and from the route's own middleware up to
 * its first function that is not a guard. A guard counts only when its pattern provably passes
 * every URL the route serves (compared segment by segment, with the routers' case and strict
 * settings); a route with no such `authenticate` has `protected: false`. What cannot be vouched
 * for is listed in `concerns`. A mounted sub-app (`app.use('/admin', adminApp)`), whose routes
 * cannot be read from the parent, is one entry `{ method: '*', path: '/admin', opaque: true }`.
 *
 * @example
 * for (const r of describeRoutes(app)) if (!r.protected) console.warn(`${r.method} ${r.path} is public`);
 */
export function describeRoutes(app: Application | Router): RouteDescription[] {
  const stack = stackOf(app);
  if (stack === undefined) throw new TollgateSetupError('ERR_TOLLGATE_INVALID_OPTION', 'describeRoutes expects an Express app or Router');
  const out: RouteDescription[] = [];
  walk(stack, contextOf(app, '/', EVERY_PATH_PATTERN, isExpress4App(app) || isExpress4Router(app)), [], out);
  return out;
}
