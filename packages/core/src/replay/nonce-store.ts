import { LRUCache } from 'lru-cache';
import { StoreFullError } from '../revocation/revocation.js';
import { storeBounds } from '../errors/setup-error.js';

/**
 * Remembers single-use values (token `jti`s, DPoP proof `jti`s) for as long as they could
 * still be accepted. `preventReplay({ store })` and DPoP use it.
 * Implementations: {@link MemoryNonceStore} here, `RedisNonceStore` in `@tollgate/redis`.
 */
export interface NonceStore {
  /**
   * Claims `key` for `ttlMs` milliseconds, atomically. Resolves `true` for the first claim of a
   * live key and `false` for every later one; rejects when the store cannot answer (the caller
   * then answers 503, never an allow).
   */
  claim(key: string, ttlMs: number): Promise<boolean>;
  /** What route reports call this store (`'memory'`, `'redis'`, …). Default: its class name. */
  readonly kind?: string;
}

/** Options of {@link MemoryNonceStore}. */
export interface MemoryNonceStoreOptions {
  /** Most live entries kept at once. Default 100 000. */
  max?: number;
  /** The clock, in ms since the epoch. Default `Date.now`. */
  now?: () => number;
}

/** Rejects a TTL that would make a claim meaningless: the caller has a bug, not the client. */
export function assertTtl(ttlMs: number): void {
  if (typeof ttlMs !== 'number' || !Number.isFinite(ttlMs) || ttlMs <= 0) throw new RangeError('NonceStore.claim: ttlMs must be a positive, finite number');
}

/**
 * An in-process {@link NonceStore} on lru-cache: each entry lives `ttlMs` after its claim.
 *
 * Bound: at most `max` entries. A live entry is never evicted to make room, since forgetting
 * it would let its token be replayed; when the store is full of live entries, `claim` drops
 * the stale ones and, if it is still full, rejects with {@link StoreFullError} (so the request
 * gets a 503). Size `max` above the number of tokens you accept per token lifetime.
 *
 * The check and the write happen in one synchronous step, so claims are atomic within the
 * process. One process only: use `RedisNonceStore` when the app runs on several instances.
 */
export class MemoryNonceStore implements NonceStore {
  readonly kind = 'memory';
  readonly #entries: LRUCache<string, true>;
  readonly #max: number;
  readonly #now: () => number;
  #purgedAt = Number.NEGATIVE_INFINITY;

  constructor(options: MemoryNonceStoreOptions = {}) {
    const { max, now } = storeBounds(options, 'MemoryNonceStore', 100_000);
    this.#max = max;
    this.#now = now;
    // ttlResolution 0: read the clock on every check instead of caching it for a millisecond,
    // so an entry is never reported stale (or live) on an outdated time.
    this.#entries = new LRUCache({ max: this.#max, ttlAutopurge: false, ttlResolution: 0, perf: { now } });
  }

  async claim(key: string, ttlMs: number): Promise<boolean> {
    assertTtl(ttlMs);
    if (this.#entries.has(key)) return false;
    if (this.#entries.size >= this.#max) {
      // A full store is scanned for stale entries at most once a second, so a flood of new
      // keys cannot turn every claim into a walk over the whole store.
      const now = this.#now();
      if (now - this.#purgedAt >= 1000) {
        this.#purgedAt = now;
        this.#entries.purgeStale();
      }
      // Setting now would evict the least recently used entry, which is still live.
      if (this.#entries.size >= this.#max) throw new StoreFullError('the nonce store is full of live entries');
    }
    this.#entries.set(key, true, { ttl: Math.ceil(ttlMs) });
    return true;
  }
}
