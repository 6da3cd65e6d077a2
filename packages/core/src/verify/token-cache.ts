import { LRUCache } from 'lru-cache';
import type { AuthContext } from '../context.js';

interface Entry {
  readonly auth: AuthContext;
  /** ms since the epoch: the entry is dropped from then on (never past the token's `exp`). */
  readonly until: number;
}

// The map key is the token's tail (the end of its signature): hashing a fresh 700-character
// string on every lookup costs more than the rest of a hit. A hit still needs the whole token to
// be equal to the cached one, so a token that only shares the tail is a miss, never a match.
const KEY_LENGTH = 32;

function keyOf(token: string): string {
  return token.length <= KEY_LENGTH ? token : token.slice(-KEY_LENGTH);
}

/**
 * A bounded cache of verified tokens. An entry lives at most `ttl` ms and never past its
 * token's `exp`, by the authenticator's own clock; the caller re-checks expiry on every hit
 * anyway. (No per-entry TTL inside lru-cache: one time check here is cheaper than its timers and
 * clock reads, and the size bound already holds memory.)
 */
export class TokenCache {
  readonly #cache: LRUCache<string, Entry>;
  readonly #ttl: number;

  constructor(max: number, ttl: number) {
    this.#cache = new LRUCache({ max });
    this.#ttl = ttl;
  }

  get(token: string, now: number): AuthContext | undefined {
    const key = keyOf(token);
    const entry = this.#cache.get(key);
    if (entry === undefined || entry.auth.token !== token) return undefined;
    if (now >= entry.until) {
      this.#cache.delete(key);
      return undefined;
    }
    return entry.auth;
  }

  /** Caches a context for at most `ttl` ms and never past `expiresAt`. */
  set(token: string, auth: AuthContext, now: number): void {
    const until = Math.min(now + this.#ttl, auth.expiresAt.getTime());
    if (until > now) this.#cache.set(keyOf(token), { auth, until });
  }

  get size(): number {
    return this.#cache.size;
  }
}
