import { LRUCache } from 'lru-cache';
import { setupError, storeBounds } from '../errors/setup-error.js';
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

/** Default `maxTokenLifetime` of the revocation stores: 24 hours, in seconds. */
export const DEFAULT_MAX_TOKEN_LIFETIME = 86_400;

/**
 * A revocation store's `maxTokenLifetime` (seconds, default 24 h) in ms, validated at setup: the
 * longest time a token may live from `iat` to `exp` (plus clock tolerance). A subject revocation
 * is forgotten that long after its cut-off, when every token it covers has expired.
 */
export function maxTokenLifetimeMs(value: unknown, what: string): number {
  if (value === undefined) return DEFAULT_MAX_TOKEN_LIFETIME * 1000;
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    setupError('ERR_TOLLGATE_INVALID_OPTION', `${what}.maxTokenLifetime must be a positive number of seconds`);
  }
  return value * 1000;
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
  readonly #lifetimeMs: number;

  /**
   * @param options.max bound on token entries and on subjects (default 100 000)
   * @param options.maxTokenLifetime seconds (default 86 400): a subject revocation is forgotten
   *   this long after its cut-off; set it to the longest `exp - iat` your issuers use, plus the
   *   clock tolerance
   * @param options.now the clock, for tests
   */
  constructor(options: { max?: number; now?: () => number; maxTokenLifetime?: number } = {}) {
    if (typeof options !== 'object' || options === null) setupError('ERR_TOLLGATE_INVALID_OPTION', 'MemoryRevocationStore: options must be an object');
    const { maxTokenLifetime, ...bounds } = options;
    const { max, now } = storeBounds(bounds, 'MemoryRevocationStore', 100_000);
    this.#max = max;
    this.#now = now;
    this.#lifetimeMs = maxTokenLifetimeMs(maxTokenLifetime, 'MemoryRevocationStore');
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
    if (before + this.#lifetimeMs <= this.#now()) return; // every token it covers has expired
    const key = revocationKey('sub', subject, issuer);
    const current = this.#liveCutoff(key);
    if (current === undefined && this.#subjects.size >= this.#max) {
      for (const known of this.#subjects.keys()) this.#liveCutoff(known);
      if (this.#subjects.size >= this.#max) throw new StoreFullError('the revocation store is full of subjects');
    }
    this.#subjects.set(key, Math.max(current ?? 0, before));
  }

  /** The subject's cut-off, unless `maxTokenLifetime` has passed since it (then it is dropped). */
  #liveCutoff(subject: string): number | undefined {
    const before = this.#subjects.get(subject);
    if (before === undefined || before + this.#lifetimeMs > this.#now()) return before;
    this.#subjects.delete(subject);
    return undefined;
  }

  async isRevoked(claims: RevocationSubject): Promise<boolean> {
    const keys = revocationKeysOf(claims);
    if (keys.jti.some((key) => this.#tokens.has(key))) return true;
    return keys.sub.some((key) => {
      const cutoff = this.#liveCutoff(key);
      return cutoff !== undefined && isBeforeCutoff(cutoff, claims.iat);
    });
  }
}
