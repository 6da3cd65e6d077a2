import type { RouteDescription } from './policy.js';

/**
 * Where one of a route's own functions sits (`holder[key]`), so that the probe can swap it:
 * `handler` for a function that may answer (replaced by a recorder), `pass-through` for a param
 * callback (replaced by one that only calls `next`), `error-pass-through` for an error handler
 * in a route (replaced by one that forwards the error), `observer` for a middleware whose paths
 * cannot be read (replaced by one that records and calls `next`, so later routes stay reachable).
 */
export interface HandlerSlot {
  holder: object;
  key: string | number;
  role: 'handler' | 'pass-through' | 'error-pass-through' | 'observer';
}

const SLOTS = new WeakMap<RouteDescription, readonly HandlerSlot[]>();

/** Records where `route`'s own functions sit; adapters call it while describing routes. */
export function setHandlerSlots(route: RouteDescription, slots: readonly HandlerSlot[]): void {
  SLOTS.set(route, slots);
}

/** Where `route`'s own functions sit; empty for a route built elsewhere. */
export function handlerSlots(route: RouteDescription): readonly HandlerSlot[] {
  return SLOTS.get(route) ?? [];
}

/** The framework's stand-ins for a route's functions. */
export interface StandIns {
  /** A function that answers at once and calls `record` (never the app's handler). */
  recorder(record: () => void): unknown;
  /** A function that calls `record`, then `next`. */
  observer(record: () => void): unknown;
  passThrough(original: unknown): unknown;
  errorPassThrough(original: unknown): unknown;
}

/** What a probe needs from an instrumented app. */
export interface ProbeTarget {
  /** The route report, read before anything was swapped. */
  routes: RouteDescription[];
  /** A Node request listener serving the instrumented app. */
  listener: (req: never, res: never) => void;
  /** The indexes (into `routes`) of the recorders reached since the last call. */
  takeReached(): number[];
}

/**
 * Swaps every route's own functions for stand-ins (the app's handlers never run again in this
 * process) and returns what was reached since the last call. A function shared by several
 * entries (one handler under two paths, an `all` handler under GET) records all of them.
 */
export function swapHandlers(routes: readonly RouteDescription[], standIns: StandIns): () => number[] {
  const owners = new Map<object, Map<string | number, { slot: HandlerSlot; indexes: number[] }>>();
  routes.forEach((route, index) => {
    for (const slot of handlerSlots(route)) {
      let byKey = owners.get(slot.holder);
      if (byKey === undefined) owners.set(slot.holder, byKey = new Map());
      const seen = byKey.get(slot.key);
      if (seen === undefined) byKey.set(slot.key, { slot, indexes: [index] });
      else if (!seen.indexes.includes(index)) seen.indexes.push(index);
    }
  });
  const reached = new Set<number>();
  // One stand-in per set of entries: the layers of an `all` route keep sharing one function.
  const made = new Map<string, unknown>();
  const once = (role: string, indexes: readonly number[], make: (record: () => void) => unknown): unknown => {
    const key = `${role} ${indexes.join(',')}`;
    if (!made.has(key)) made.set(key, make(() => { for (const i of indexes) reached.add(i); }));
    return made.get(key);
  };
  for (const byKey of owners.values()) {
    for (const { slot, indexes } of byKey.values()) {
      const holder = slot.holder as Record<string | number, unknown>;
      const original = holder[slot.key];
      switch (slot.role) {
        case 'handler': holder[slot.key] = once('handler', indexes, (record) => standIns.recorder(record)); break;
        case 'observer': holder[slot.key] = once('observer', indexes, (record) => standIns.observer(record)); break;
        case 'pass-through': holder[slot.key] = standIns.passThrough(original); break;
        case 'error-pass-through': holder[slot.key] = standIns.errorPassThrough(original); break;
      }
    }
  }
  return () => {
    const out = [...reached].sort((a, b) => a - b);
    reached.clear();
    return out;
  };
}

const INSTRUMENTED = new WeakMap<object, ProbeTarget>();

/**
 * The probe target of `app`, instrumented once: a second probe of the same app gets the first
 * one's report (read before any handler was swapped) and recorders, never a report of recorders.
 */
export function instrumentOnce(app: object, instrument: () => ProbeTarget): ProbeTarget {
  let target = INSTRUMENTED.get(app);
  if (target === undefined) INSTRUMENTED.set(app, target = instrument());
  return target;
}
