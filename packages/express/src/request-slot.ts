import { IncomingMessage } from 'node:http';
import type { Request } from 'express';

/** Writes one per-request value, read back as `req[name]`. */
export type RequestSlot<T> = (req: Request, value: T) => void;

/**
 * The prototype Express's apps share (its `request` object, right above `IncomingMessage`'s) in
 * the chain from `first` up, or undefined for a request that is not an Express one.
 */
function sharedRequestPrototype(first: object): object | undefined {
  for (let proto: object | null = first; proto !== null; proto = Object.getPrototypeOf(proto) as object | null) {
    if (Object.getPrototypeOf(proto) === IncomingMessage.prototype) return proto;
  }
  return undefined;
}

type Locals = Record<symbol, unknown>;

/** Express's per-request `res.locals` (a dictionary, so adding a key to it is cheap), when there is one. */
function localsOf(req: object): Locals | undefined {
  const locals = (req as { res?: { locals?: unknown } }).res?.locals;
  return typeof locals === 'object' && locals !== null ? (locals as Locals) : undefined;
}

/**
 * A value such as `req.auth` carried on Express requests without adding an own property to each.
 *
 * Why: Express swaps every request's prototype (`Object.setPrototypeOf(req, app.request)`), and V8
 * shares no hidden-class transitions from an object whose prototype was swapped, so each property
 * added to it afterwards builds a fresh hidden class: several µs per property per request, more
 * than the rest of a cached request. Here `req[name]` is an accessor on Express's shared request
 * prototype (`express.request`, which Express documents for extension; defined once, on first use),
 * and the value is kept under a private, non-enumerable symbol in the request's `res.locals` (a
 * dictionary Express makes per request), or in a WeakMap when there is none. It reads and writes as
 * before, for Tollgate and for anything else that sets it; it is no longer an own property of `req`.
 * A request that is not an Express one gets a plain own property.
 */
export function requestSlot<T>(name: string): RequestSlot<T> {
  const key = Symbol(`tollgate.${name}`);
  const values = new WeakMap<object, T>();
  const accessor: PropertyDescriptor = {
    configurable: true,
    enumerable: false,
    get(this: object): T | undefined {
      const locals = localsOf(this);
      return locals !== undefined && key in locals ? (locals[key] as T) : values.get(this);
    },
    set(this: object, value: T) {
      write(this, value);
    },
  };
  function write(req: object, value: T): void {
    const locals = localsOf(req);
    if (locals === undefined) values.set(req, value);
    else locals[key] = value;
  }

  // Request prototype -> whether this slot's accessor is on its chain. Nearly every request has the
  // prototype of the one before, so that answer is kept at hand.
  const prepared = new WeakMap<object, boolean>();
  let last: object | null = null;
  let lastIsReady = false;

  /** Defines the accessor on the shared prototype above `proto`, unless something else has that name there. */
  function prepare(proto: object): boolean {
    let ready = prepared.get(proto);
    if (ready === undefined) {
      const shared = sharedRequestPrototype(proto);
      if (shared !== undefined && Object.getOwnPropertyDescriptor(shared, name) === undefined) Object.defineProperty(shared, name, accessor);
      ready = shared !== undefined && Object.getOwnPropertyDescriptor(shared, name)?.get === accessor.get;
      prepared.set(proto, ready);
    }
    return ready;
  }

  return (req, value) => {
    const proto = Object.getPrototypeOf(req) as object | null;
    if (proto !== last) {
      lastIsReady = proto !== null && prepare(proto);
      last = proto;
    }
    // An own property (set before the accessor existed) would shadow it: then, and off Express, a plain write.
    if (lastIsReady && !Object.hasOwn(req, name)) write(req, value);
    else (req as unknown as Record<string, T>)[name] = value;
  };
}
