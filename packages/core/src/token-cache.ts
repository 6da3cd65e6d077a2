import { LRUCache } from 'lru-cache';
import type { AuthContext } from './context.js';

/**
 * A bounded cache of verified tokens, keyed by the token itself. An entry never outlives its
 * token's `exp`; and since a cache can be wrong about time, the caller re-checks expiry on
 * every hit anyway.
 */
export class TokenCache {
  readonly #cache: LRUCache<string, AuthContext>;
  readonly #ttl: number;

  constructor(max: number, ttl: number) {
    this.#cache = new LRUCache({ max });
    this.#ttl = ttl;
  }

  get(token: string): AuthContext | undefined {
    return this.#cache.get(token);
  }

  /** Caches a context for at most `ttl` ms and never past `expiresAt`. */
  set(token: string, auth: AuthContext, now: number): void {
    const ttl = Math.min(this.#ttl, auth.expiresAt.getTime() - now);
    if (ttl >= 1) this.#cache.set(token, auth, { ttl: Math.floor(ttl) });
  }

  get size(): number {
    return this.#cache.size;
  }
}
