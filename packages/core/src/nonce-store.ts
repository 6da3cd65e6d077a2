import { LRUCache } from 'lru-cache';
import { StoreFullError } from './revocation.js';

/** Remembers one-time values (token and proof `jti`s). */
export interface NonceStore {
  /** Claims `key` for `ttlMs`; true when it was not claimed yet (first use). */
  claim(key: string, ttlMs: number): Promise<boolean>;
}

/** In-process {@link NonceStore}; bounded, and never forgets a live entry to make room. */
export class MemoryNonceStore implements NonceStore {
  readonly #cache: LRUCache<string, true>;
  readonly #max: number;
  constructor(options: { max?: number; now?: () => number } = {}) {
    this.#max = options.max ?? 100_000;
    const now = options.now ?? Date.now;
    this.#cache = new LRUCache({ max: this.#max, perf: { now } });
  }
  async claim(key: string, ttlMs: number): Promise<boolean> {
    if (this.#cache.has(key)) return false;
    if (this.#cache.size >= this.#max) {
      this.#cache.purgeStale();
      if (this.#cache.size >= this.#max) throw new StoreFullError('the nonce store is full of live entries');
    }
    this.#cache.set(key, true, { ttl: Math.max(1, Math.ceil(ttlMs)) });
    return true;
  }
}
