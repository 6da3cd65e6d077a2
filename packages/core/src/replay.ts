import { createHash } from 'node:crypto';
import { TollgateError } from './errors.js';
import { notAuthenticated, type Guard } from './guard.js';
import { MemoryNonceStore, type NonceStore } from './nonce-store.js';
import type { ReplayPolicy } from './policy.js';
import { assertKnownOptions, nonNegative, setupError } from './setup-error.js';

/** Options of `preventReplay`. */
export interface ReplayOptions {
  /** Where used `jti`s are remembered. Default: a new `MemoryNonceStore` (one process only). */
  store?: NonceStore;
  /** Seconds a used token is remembered past its `exp` (match `authenticate`'s). Default 5. */
  clockTolerance?: number;
  /** Key prefix in the store. Default `jti:`. */
  prefix?: string;
  /** The clock, in ms. Default `Date.now`. */
  now?: () => number;
}

function storeName(store: NonceStore): string {
  const name = (store as { constructor?: { name?: string } }).constructor?.name ?? 'custom';
  if (name === 'MemoryNonceStore') return 'memory';
  if (name === 'RedisNonceStore') return 'redis';
  return name === 'Object' ? 'custom' : name;
}

/**
 * A guard that lets each token through once: its `jti` is claimed in the store for as long as
 * the token could still be accepted (until `exp` plus the clock tolerance), so a second use is
 * 401 `invalid_token`. A token without `jti` is refused; a store that fails answers 503.
 */
export function createReplayGuard(options: ReplayOptions = {}): Guard<ReplayPolicy> {
  if (typeof options !== 'object' || options === null) setupError('ERR_TOLLGATE_INVALID_OPTION', 'preventReplay: options must be an object');
  assertKnownOptions(options, ['store', 'clockTolerance', 'prefix', 'now'], 'preventReplay');
  const store = options.store ?? new MemoryNonceStore();
  if (typeof store.claim !== 'function') setupError('ERR_TOLLGATE_INVALID_OPTION', 'preventReplay: store must be a NonceStore');
  const tolerance = nonNegative(options.clockTolerance, 'preventReplay.clockTolerance', 5) * 1000;
  const prefix = options.prefix ?? 'jti:';
  if (typeof prefix !== 'string') setupError('ERR_TOLLGATE_INVALID_OPTION', 'preventReplay: prefix must be a string');
  const now = options.now ?? Date.now;
  const guard: Guard<ReplayPolicy> = {
    policy: { kind: 'replay', store: storeName(store) },
    async check(auth) {
      if (auth === undefined) throw notAuthenticated();
      const { jti } = auth.claims;
      if (typeof jti !== 'string' || jti === '') {
        throw new TollgateError('invalid_token', 'The access token has no jti claim', { reason: 'missing_jti', challenge: { scheme: auth.scheme } });
      }
      // One key per issuer and jti, hashed so that a hostile jti cannot shape the store's keys.
      const key = prefix + createHash('sha256').update(`${auth.issuer}\u0000${jti}`).digest('base64url');
      const ttl = auth.expiresAt.getTime() - now() + tolerance;
      let first: boolean;
      try {
        first = ttl > 0 && (await store.claim(key, ttl));
      } catch (error) {
        throw new TollgateError('temporarily_unavailable', 'Token replays cannot be checked right now', { reason: 'store_unavailable', headers: { 'Retry-After': '1' }, cause: error });
      }
      if (!first) throw new TollgateError('invalid_token', 'The access token was already used', { reason: 'replayed', challenge: { scheme: auth.scheme } });
    },
  };
  return Object.freeze(guard);
}
