/** The part of a Router (Express 4's, or `router` 2 in Express 5) that holds its layers. */
export interface LayerStack {
  stack: unknown[];
}

/** What an app or Router may carry, read without trusting any of it. */
interface RouterHost {
  stack?: unknown;
  lazyrouter?: unknown;
  _router?: unknown;
  router?: unknown;
  set?: unknown;
  handle?: unknown;
}

function isHost(target: unknown): target is RouterHost {
  return typeof target === 'function' || (typeof target === 'object' && target !== null);
}

/** True for an Express 4 app: it creates its router on first use, through `lazyrouter()`. */
export function isExpress4App(target: unknown): target is RouterHost & { lazyrouter: () => void } {
  return isHost(target) && typeof target.lazyrouter === 'function';
}

/** True for an Express 4 Router (it processes params through its own `process_params`). */
export function isExpress4Router(target: unknown): boolean {
  return isHost(target) && typeof (target as { process_params?: unknown }).process_params === 'function';
}

/**
 * The router whose `stack` holds the layers of an Express 4 or 5 app, or a Router itself.
 * Undefined for anything else, and for an Express 4 app before its router exists: the caller
 * decides whether to create it (`lazyrouter()`) or to read no routes.
 */
export function routerOf(target: unknown): LayerStack | undefined {
  if (!isHost(target)) return undefined;
  if (Array.isArray(target.stack)) return target as LayerStack;
  // Express 4 keeps its router in `_router` (its `app.router` getter throws); Express 5 in `app.router`.
  if (isExpress4App(target)) return routerOf(target._router);
  if (typeof target.set === 'function' && typeof target.handle === 'function') return routerOf(target.router);
  return undefined;
}
