import { describeRoute, joinPaths, readPolicy, TollgateSetupError, type PolicyDescriptor, type RouteDescription } from '@tollgate/core';
import type { Application, Router } from 'express';
import { METHODS } from 'node:http';
import { isExpress4App, routerOf } from './router-stack.js';

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

/** A guard from a `use()`, or from a route with no handler, that covers later routes its layer matches. */
interface ScopedGuard {
  policy: PolicyDescriptor;
  layer: Layer;
  /** The full mount path of the stack the guard sits in. */
  base: string;
  /** Lower-case method of a handler-less route guard; undefined when it runs for every method. */
  method?: string | undefined;
}

const ALL_METHODS = METHODS.map((m) => m.toLowerCase());
const EXPRESS4_END = '\\/?(?=\\/|$)';
const EXPRESS4_PARAM = /\(\?:\\\/\(((?:[^()\\]|\\.)*)\)\)(\?)?|\(\.\*\)/g;

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

/** True when the layer runs for every path (`use(mw)`, Express 4's `'*'`). */
function coversAll(layer: Layer): boolean {
  return layer.slash === true || layer.regexp?.fast_slash === true || layer.regexp?.fast_star === true;
}

/** Asks the layer's own matcher, as Express would for a request to `path` (a route pattern here). */
function layerMatches(layer: Layer, path: string): boolean {
  if (coversAll(layer)) return true;
  try {
    if (layer.match !== undefined && layer.rawPath !== undefined) return layer.match(path) !== false;
    // Express 4's Layer#match stores request state on the layer: test a copy of its regexp instead.
    const re = layer.regexp;
    return re !== undefined && new RegExp(re.source, re.flags.replace(/[gy]/g, '')).test(path);
  } catch {
    return false;
  }
}

function guardsFor(guards: readonly ScopedGuard[], path: string | RegExp, full: string, method: string): PolicyDescriptor[] {
  return guards.filter((g) => {
    if (g.method !== undefined && g.method !== method) return false;
    // A RegExp route cannot be matched against a pattern: only guards that cover every path count.
    if (typeof path !== 'string') return coversAll(g.layer);
    return layerMatches(g.layer, g.base === '/' ? full : full.slice(g.base.length) || '/');
  }).map((g) => g.policy);
}

function stackOf(target: unknown): readonly Layer[] | undefined {
  const router = routerOf(target);
  if (router !== undefined) return router.stack as Layer[];
  // Express 4 creates its router once a route or middleware is added: until then there are no routes.
  return isExpress4App(target) ? [] : undefined;
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

function describeRouteLayer(layer: Layer, route: ExpressRoute, base: string, guards: ScopedGuard[], out: RouteDescription[]): void {
  const later: ScopedGuard[] = [];
  for (const [key, layers] of layersByMethod(route)) {
    const own = layers.map((l) => readPolicy(l.handle)).filter((p): p is PolicyDescriptor => p !== undefined);
    if (own.length === layers.length) {
      // Only guards, no handler: `app.all('/api/*', authenticate(...))` guards the routes after it.
      for (const policy of own) later.push({ policy, layer, base, method: key === '_all' ? undefined : key });
      continue;
    }
    for (const path of flatten(route.path)) {
      const full = render(base, path);
      out.push(describeRoute(key === '_all' ? 'all' : key, full, [...guardsFor(guards, path, full, key), ...own], layers[layers.length - 1]?.handle));
    }
  }
  guards.push(...later);
}

function walk(stack: readonly Layer[], base: string, inherited: readonly ScopedGuard[], out: RouteDescription[]): void {
  const guards = [...inherited];
  for (const layer of stack) {
    const policy = readPolicy(layer.handle);
    const nested = layer.route === undefined && policy === undefined ? stackOf(layer.handle) : undefined;
    if (layer.route !== undefined) describeRouteLayer(layer, layer.route, base, guards, out);
    else if (policy !== undefined) guards.push({ policy, layer, base });
    else if (nested !== undefined) for (const mount of mountPaths(layer)) walk(nested, render(base, mount), guards, out);
  }
}

/**
 * Lists every route of an Express 4 or 5 app (or Router) with the Tollgate guards in front of it:
 * one entry per path and method, in registration order, with the full mounted path. Guards come
 * from `use()` before the route (scoped by their mount path), from nested routers, and from the
 * route's own middleware. A route with no `authenticate` in front has `protected: false`.
 * Routes of mounted sub-apps (`app.use(subApp)`) are not reachable from the parent and are not listed.
 *
 * @example
 * for (const r of describeRoutes(app)) if (!r.protected) console.warn(`${r.method} ${r.path} is public`);
 */
export function describeRoutes(app: Application | Router): RouteDescription[] {
  const stack = stackOf(app);
  if (stack === undefined) throw new TollgateSetupError('ERR_TOLLGATE_INVALID_OPTION', 'describeRoutes expects an Express app or Router');
  const out: RouteDescription[] = [];
  walk(stack, '/', [], out);
  return out;
}
