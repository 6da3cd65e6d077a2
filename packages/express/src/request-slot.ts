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

// Every slot's values of one request, in one record: one WeakMap entry per request, however many
// slots it fills. Keyed by the request object itself, so nothing outlives or crosses requests.
const records = new WeakMap<object, Record<string, unknown>>();

function write(req: object, name: string, value: unknown): void {
  let record = records.get(req);
  if (record === undefined) records.set(req, (record = Object.create(null) as Record<string, unknown>));
  record[name] = value;
}

/**
 * A value such as `req.auth` carried on Express requests without adding an own property to each.
 *
 * Why: Express swaps every request's prototype (`Object.setPrototypeOf(req, app.request)`), and V8
 * shares no hidden-class transitions from an object whose prototype was swapped, so each property
 * added to it afterwards builds a fresh hidden class: several µs per property per request, more
 * than the rest of a cached request. Here `req[name]` is an accessor on Express's shared request
 * prototype (`express.request`, which Express documents for extension; defined once, on first
 * use), and the value lives in a WeakMap keyed by the request. It reads and writes as before, for
 * Tollgate and for anything else that sets it; it is no longer an own property of `req`. A request
 * that is not an Express one gets a plain own property.
 */
export function requestSlot<T>(name: string): RequestSlot<T> {
  const accessor: PropertyDescriptor = {
    configurable: true,
    enumerable: false,
    get(this: object): T | undefined {
      return records.get(this)?.[name] as T | undefined;
    },
    set(this: object, value: T) {
      write(this, name, value);
    },
  };

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
    if (lastIsReady && !Object.hasOwn(req, name)) write(req, name, value);
    else (req as unknown as Record<string, T>)[name] = value;
  };
}
