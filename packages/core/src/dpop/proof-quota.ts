import { LRUCache } from 'lru-cache';

interface Window {
  readonly start: number;
  used: number;
}

// Keys whose counts are kept at once. Past it, the least recently seen key's count starts over:
// memory stays bounded, and a key that is busy is also recently seen.
const MAX_KEYS = 10_000;

/**
 * A quota of DPoP proofs per key thumbprint (`jkt`), counted before a proof's `jti` is claimed in
 * the proof store. Every proof stays in the store for one window (its lifetime), so one key can
 * hold at most twice `limit` live entries there: one client cannot fill the store and lock every
 * other client out with 503s.
 *
 * Each key's window starts at its first proof and lasts `windowMs`. The count and the check are
 * one synchronous step, so concurrent proofs of one key cannot overrun the quota.
 */
export class ProofQuota {
  readonly #windows = new LRUCache<string, Window>({ max: MAX_KEYS });
  readonly #limit: number;
  readonly #windowMs: number;

  constructor(limit: number, windowMs: number) {
    this.#limit = limit;
    this.#windowMs = windowMs;
  }

  /** Counts one proof of `jkt`: `0` when it is within the quota, else the ms until the key's window ends. */
  take(jkt: string, now: number): number {
    let window = this.#windows.get(jkt);
    if (window === undefined || now >= window.start + this.#windowMs) {
      window = { start: now, used: 0 };
      this.#windows.set(jkt, window);
    }
    if (window.used >= this.#limit) return window.start + this.#windowMs - now;
    window.used++;
    return 0;
  }
}
