import { LRUCache } from 'lru-cache';
import type { MaybePromise } from '../promised.js';
import { storeBounds } from '../errors/setup-error.js';

/** The `clientsPerToken` limits, as a store sees them. */
export interface ClientWindow {
  /** Distinct client addresses allowed per token in one window. */
  readonly max: number;
  readonly windowMs: number;
}

/** The `failuresPerClient` limits, as a store sees them. */
export interface FailureWindow extends ClientWindow {
  /** How long a client stays blocked once it passed `max` failures in one window. */
  readonly blockMs: number;
}

/** What `addClient` answers: the distinct clients of a token before and after the call. */
export type ClientCount = Readonly<{ previous: number; count: number }>;

/**
 * Where `authenticate({ anomalies })` keeps its counts. One instance may serve several
 * authenticators; a shared implementation (`RedisAnomalyStore`) gives a fleet one picture.
 * A method may answer synchronously; a throw or rejection is a store failure.
 */
export interface AnomalyStore {
  /**
   * Records that the token with fingerprint `token` came from `client` in the current window
   * (`windowMs` long); resolves to the distinct clients counted in it before and after this call
   * (exact at least up to `max + 1`; estimated above, for HyperLogLog stores). The watch raises
   * `many-clients` on the call whose count passes `max`.
   */
  addClient(token: string, client: string, window: ClientWindow, now: number): MaybePromise<ClientCount>;
  /**
   * Counts one failed authentication from `client`; past `max` in one window the client is
   * blocked for `blockMs`. Resolves to the failures counted and `blockedMs`: the block this
   * failure started, 0 for none.
   */
  addFailure(client: string, window: FailureWindow, now: number): MaybePromise<{ count: number; blockedMs: number }>;
  /** Milliseconds `client` stays blocked; 0 when it is not. */
  blockedFor(client: string, now: number): MaybePromise<number>;
}

/** Options of {@link MemoryAnomalyStore}. */
export interface MemoryAnomalyStoreOptions {
  /** Most tokens, and most client addresses, remembered (each, least recently seen first out). Default 10 000. */
  max?: number;
}

/**
 * The addresses one token came from in one window. Nearly every token has one: it is kept in
 * `first`, and a set is made only for a second (one object less to reach on every request).
 */
interface Clients { readonly window: number; readonly first: string; more: Set<string> | undefined }
interface Failures { windowEnd: number; count: number; blockedUntil: number }

// The answers nearly every request gets, shared (frozen) rather than made per call.
const FIRST: ClientCount = Object.freeze({ previous: 0, count: 1 });
const AGAIN: ClientCount = Object.freeze({ previous: 1, count: 1 });

/**
 * The in-process {@link AnomalyStore}: at most `max` tokens (each with at most
 * `clientsPerToken.max + 1` addresses) and `max` failing addresses, the token least recently
 * seen and the address least recently failed dropped first, so rotating addresses or tokens
 * cannot grow it. For one process only; several instances need a shared store to see one count.
 */
export class MemoryAnomalyStore implements AnomalyStore {
  readonly #clients: LRUCache<string, Clients>;
  readonly #failures: LRUCache<string, Failures>;
  /** The latest end of any block set so far: until then some client may be blocked, and `blockedFor` looks. */
  #blocksEnd = 0;

  constructor(options: MemoryAnomalyStoreOptions = {}) {
    const { max } = storeBounds(options, 'MemoryAnomalyStore', 10_000);
    this.#clients = new LRUCache({ max });
    this.#failures = new LRUCache({ max });
  }

  addClient(token: string, client: string, limits: ClientWindow, now: number): ClientCount {
    const window = Math.floor(now / limits.windowMs);
    const entry = this.#clients.get(token);
    if (entry === undefined || entry.window !== window) {
      this.#clients.set(token, { window, first: client, more: undefined });
      return FIRST;
    }
    if (client === entry.first) {
      if (entry.more === undefined) return AGAIN;
      const count = entry.more.size;
      return { previous: count, count };
    }
    const seen = entry.more ??= new Set([entry.first]);
    const previous = seen.size;
    // Past max + 1 the answer no longer changes, so the set stops growing there.
    if (previous <= limits.max) seen.add(client);
    return { previous, count: seen.size };
  }

  addFailure(client: string, limits: FailureWindow, now: number): { count: number; blockedMs: number } {
    let entry = this.#failures.get(client);
    if (entry === undefined) {
      entry = { windowEnd: now + limits.windowMs, count: 0, blockedUntil: 0 };
      this.#failures.set(client, entry);
    } else if (now >= entry.windowEnd) {
      entry.windowEnd = now + limits.windowMs;
      entry.count = 0;
    }
    entry.count += 1;
    if (entry.count <= limits.max) return { count: entry.count, blockedMs: 0 };
    entry.blockedUntil = now + limits.blockMs;
    this.#blocksEnd = Math.max(this.#blocksEnd, entry.blockedUntil);
    return { count: entry.count, blockedMs: limits.blockMs };
  }

  /** Asked on every request: no lookup at all while nobody is blocked, and never a change of recency. */
  blockedFor(client: string, now: number): number {
    if (now >= this.#blocksEnd) return 0;
    const entry = this.#failures.peek(client);
    return entry === undefined ? 0 : Math.max(0, entry.blockedUntil - now);
  }

  /** Entries held: the addresses remembered for every token, plus one per client with failures. */
  get size(): number {
    let addresses = 0;
    for (const entry of this.#clients.values()) addresses += entry.more === undefined ? 1 : entry.more.size;
    return addresses + this.#failures.size;
  }
}
