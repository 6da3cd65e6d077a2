import { LRUCache } from 'lru-cache';
import { setupError, storeBounds } from '../errors/setup-error.js';

/**
 * A client's hit count and when it resets, as a rate-limit store reports it.
 * Structurally the same as express-rate-limit's `ClientRateLimitInfo`.
 */
export interface ClientRateLimitInfo {
  /** Hits counted in the current window, this one included. */
  totalHits: number;
  /** When the window ends and the count starts again; undefined when the store cannot tell. */
  resetTime: Date | undefined;
}

/** What a rate limiter hands its store at setup (express-rate-limit passes its whole options object). */
export interface RateLimitStoreInitOptions {
  /** The length of one window, in milliseconds. */
  readonly windowMs: number;
}

/**
 * Where hit counts live. Structurally compatible with express-rate-limit's `Store`, so
 * existing stores (`rate-limit-redis`'s `RedisStore`, …) plug in unchanged, in Koa as well.
 * `increment` must count atomically: two concurrent calls never return the same `totalHits`.
 */
export interface RateLimitStore {
  /** Called once when the limiter is created; the limiter waits for it before counting. */
  init?(options: RateLimitStoreInitOptions): void | Promise<void>;
  /** The current count of `key`, without counting a hit. */
  get?(key: string): Promise<ClientRateLimitInfo | undefined> | ClientRateLimitInfo | undefined;
  /** Counts one hit for `key` and returns the new count. */
  increment(key: string): Promise<ClientRateLimitInfo> | ClientRateLimitInfo;
  /** Takes one hit back. */
  decrement(key: string): Promise<void> | void;
  /** Forgets `key`. */
  resetKey(key: string): Promise<void> | void;
  /** Forgets every key. */
  resetAll?(): Promise<void> | void;
  /** Stops timers and releases resources. */
  shutdown?(): Promise<void> | void;
  /** True when another instance of the store can never see these keys (in-process stores). */
  localKeys?: boolean;
  /** What the store puts before every key. */
  prefix?: string;
}

/** Options of {@link MemoryRateLimitStore}. */
export interface MemoryRateLimitStoreOptions {
  /** Most keys kept at once; the least recently used key is forgotten first. Default 10000. */
  max?: number;
  /** The clock, in ms since the epoch. Default `Date.now`. */
  now?: () => number;
}

interface Window {
  hits: number;
  resetAt: number;
}

/**
 * The default, in-process {@link RateLimitStore}: a fixed window per key, each key with its own
 * reset time (the window starts at the key's first hit), on a bounded LRU cache.
 *
 * Memory stays bounded by `max` keys. When full, the key that was least recently used is
 * forgotten, so its next request starts a fresh window: size `max` above the number of tokens
 * (or subjects) active within one window. One process only; use a shared store such as
 * `rate-limit-redis` when the app runs on more than one instance.
 */
export class MemoryRateLimitStore implements RateLimitStore {
  /** Keys counted here are never seen by another instance. */
  readonly localKeys = true;
  readonly #windows: LRUCache<string, Window>;
  readonly #now: () => number;
  #windowMs: number | undefined;

  constructor(options: MemoryRateLimitStoreOptions = {}) {
    const { max, now } = storeBounds(options, 'MemoryRateLimitStore', 10_000);
    this.#now = now;
    // No lru-cache TTL: every read checks the window's own reset time against the injected clock,
    // so a second expiry inside lru-cache would only add its clock reads; `max` bounds memory.
    this.#windows = new LRUCache<string, Window>({ max });
  }

  /** Takes the window length from the limiter. */
  init(options: RateLimitStoreInitOptions): void {
    const windowMs = options?.windowMs;
    if (typeof windowMs !== 'number' || !Number.isFinite(windowMs) || windowMs <= 0) {
      setupError('ERR_TOLLGATE_INVALID_OPTION', 'MemoryRateLimitStore: windowMs must be a positive number');
    }
    this.#windowMs = windowMs;
  }

  async get(key: string): Promise<ClientRateLimitInfo | undefined> {
    const window = this.#live(key);
    return window === undefined ? undefined : { totalHits: window.hits, resetTime: new Date(window.resetAt) };
  }

  /** Synchronous: the limiter then answers without waiting a tick (any caller may still `await` it). */
  increment(key: string): ClientRateLimitInfo {
    const windowMs = this.#windowMs;
    if (windowMs === undefined) throw new Error('MemoryRateLimitStore: init() was not called');
    // Everything below runs synchronously, so concurrent increments cannot interleave.
    let window = this.#live(key);
    if (window === undefined) {
      window = { hits: 0, resetAt: this.#now() + windowMs };
      this.#windows.set(key, window);
    }
    window.hits++;
    return { totalHits: window.hits, resetTime: new Date(window.resetAt) };
  }

  async decrement(key: string): Promise<void> {
    const window = this.#live(key);
    if (window !== undefined && window.hits > 0) window.hits--;
  }

  async resetKey(key: string): Promise<void> {
    this.#windows.delete(key);
  }

  async resetAll(): Promise<void> {
    this.#windows.clear();
  }

  shutdown(): void {
    this.#windows.clear();
  }

  /** How many keys are held now (expired ones included until they are touched or evicted). */
  get size(): number {
    return this.#windows.size;
  }

  #live(key: string): Window | undefined {
    const window = this.#windows.get(key);
    if (window === undefined) return undefined;
    if (window.resetAt <= this.#now()) {
      this.#windows.delete(key);
      return undefined;
    }
    return window;
  }
}
