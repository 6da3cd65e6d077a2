import { LRUCache } from 'lru-cache';
import { storeBounds } from '../errors/setup-error.js';
import { isBeforeCutoff, revocationKey, revocationKeysOf, type RevocationSubject } from './revocation-key.js';

export type { RevocationSubject } from './revocation-key.js';

/**
 * Where revocations are kept. `authenticate({ revocation })` asks it about every verified token.
 * Implementations: {@link MemoryRevocationStore} here, `RedisRevocationStore` in `@tollgate/redis`.
 *
 * Every entry is scoped to an `issuer` (a `jti` or `sub` is unique only within its issuer), or,
 * when `issuer` is left out, applies to the tokens of every issuer. An entry only ever grows:
 * revoking again can extend a token entry or move a subject cut-off later, never the reverse.
 */
export interface RevocationStore {
  /**
   * Revokes one token by `jti` until `expiresAt`, when it can no longer be accepted (its `exp`
   * plus the clock tolerance). A later `expiresAt` extends an entry; an earlier one changes nothing.
   */
  revokeToken(jti: string, expiresAt: Date, issuer?: string): Promise<void>;
  /** Revokes every token of `subject` issued (`iat`) before `issuedBefore`; a cut-off only ever moves later. */
  revokeSubject(subject: string, issuedBefore: Date, issuer?: string): Promise<void>;
  /** Whether a token is revoked. A token of a revoked subject with no `iat` counts as revoked. */
  isRevoked(claims: RevocationSubject): Promise<boolean>;
}

/** Thrown by a store that cannot take more entries without forgetting live ones. */
export class StoreFullError extends Error {
  override readonly name = 'StoreFullError';
}

/**
 * The time of a revocation as ms since the epoch; a `TypeError` naming `name` unless `value` is a
 * valid Date (an `Invalid Date` compares false with everything, so it would silently revoke nothing).
 */
export function assertRevocationTime(value: Date, name: string): number {
  if (!(value instanceof Date) || Number.isNaN(value.getTime())) throw new TypeError(`${name} must be a valid Date`);
  return value.getTime();
}

/**
 * An in-process {@link RevocationStore}, bounded to `max` token entries and `max` subjects.
 * It never forgets a live revocation to make room: when full of live entries, `revokeToken`
 * and `revokeSubject` throw {@link StoreFullError} instead. One process only; use
 * `RedisRevocationStore` when the app runs on several instances.
 */
export class MemoryRevocationStore implements RevocationStore {
  readonly #tokens: LRUCache<string, true>;
  readonly #subjects: Map<string, number> = new Map();
  readonly #max: number;
  readonly #now: () => number;

  constructor(options: { max?: number; now?: () => number } = {}) {
    const { max, now } = storeBounds(options, 'MemoryRevocationStore', 100_000);
    this.#max = max;
    this.#now = now;
    // ttlResolution 0: read the clock on every check, never a cached (outdated) time.
    this.#tokens = new LRUCache({ max: this.#max, ttlAutopurge: false, ttlResolution: 0, perf: { now: () => this.#now() } });
  }

  async revokeToken(jti: string, expiresAt: Date, issuer?: string): Promise<void> {
    assertRevocationTime(expiresAt, 'revokeToken: expiresAt');
    const key = revocationKey('jti', jti, issuer);
    const ttl = Math.ceil(expiresAt.getTime() - this.#now());
    // Only ever longer: a second revocation (of a forged token with the same jti, say) never shortens the first.
    if (ttl <= 0 || this.#tokens.getRemainingTTL(key) >= ttl) return;
    if (!this.#tokens.has(key) && this.#tokens.size >= this.#max) {
      this.#tokens.purgeStale();
      if (this.#tokens.size >= this.#max) throw new StoreFullError('the revocation store is full of live entries');
    }
    this.#tokens.set(key, true, { ttl });
  }

  async revokeSubject(subject: string, issuedBefore: Date, issuer?: string): Promise<void> {
    const before = assertRevocationTime(issuedBefore, 'revokeSubject: issuedBefore');
    const key = revocationKey('sub', subject, issuer);
    const current = this.#subjects.get(key);
    if (current === undefined && this.#subjects.size >= this.#max) throw new StoreFullError('the revocation store is full of subjects');
    this.#subjects.set(key, Math.max(current ?? 0, before));
  }

  async isRevoked(claims: RevocationSubject): Promise<boolean> {
    const keys = revocationKeysOf(claims);
    if (keys.jti.some((key) => this.#tokens.has(key))) return true;
    return keys.sub.some((key) => {
      const cutoff = this.#subjects.get(key);
      return cutoff !== undefined && isBeforeCutoff(cutoff, claims.iat);
    });
  }
}
