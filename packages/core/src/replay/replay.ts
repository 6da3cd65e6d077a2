import { hash } from 'node:crypto';
import { TollgateError } from '../errors/errors.js';
import { challengeScheme } from '../context.js';
import { defineGuard, notAuthenticated, reportRejection, type Guard } from '../authorize/guard.js';
import { MemoryNonceStore, type NonceStore } from './nonce-store.js';
import type { ReplayPolicy } from '../policy/policy.js';
import { assertKnownOptions, nonNegative, setupError } from '../errors/setup-error.js';

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

// Longer keys are hashed: a jti is the client's to choose, the store's key size is not.
const MAX_RAW_KEY = 200;

/**
 * The store key of one token: `issuer|jti` (a jti is unique per issuer only), or its SHA-256
 * when long. A raw key always holds `|` and a hashed one never does, so the two cannot collide.
 */
function replayKey(prefix: string, issuer: string, jti: string): string {
  const raw = `${issuer}|${jti}`;
  return prefix + (raw.length <= MAX_RAW_KEY ? raw : `sha256:${hash('sha256', raw, 'base64url')}`);
}

function storeName(store: NonceStore): string {
  if (typeof store.kind === 'string' && store.kind !== '') return store.kind;
  const name = (store as { constructor?: { name?: string } }).constructor?.name;
  return name === undefined || name === '' || name === 'Object' ? 'custom' : name;
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
  return defineGuard({ kind: 'replay', store: storeName(store) }, async (auth, req) => {
    if (auth === undefined) throw notAuthenticated();
    const refuse = (error: TollgateError): TollgateError => reportRejection(auth, req, error);
    const { jti } = auth.claims;
    if (typeof jti !== 'string' || jti === '') {
      throw refuse(new TollgateError('invalid_token', 'The access token has no jti claim', { reason: 'missing_jti', challenge: { scheme: challengeScheme(auth) } }));
    }
    // Remembered while any instance could still accept the token: until exp plus the tolerance.
    const ttl = auth.expiresAt.getTime() - now() + tolerance;
    if (ttl <= 0) throw refuse(new TollgateError('invalid_token', 'The access token expired', { reason: 'expired', challenge: { scheme: challengeScheme(auth) } }));
    let first: boolean;
    try {
      first = await store.claim(replayKey(prefix, auth.issuer, jti), Math.ceil(ttl));
    } catch (error) {
      // Fail closed: a store that cannot answer (down, slow, full) never lets a replay through.
      throw refuse(new TollgateError('temporarily_unavailable', 'Token replays cannot be checked right now', { reason: 'store_unavailable', headers: { 'Retry-After': '1' }, cause: error }));
    }
    // Only an explicit true is a first use: a store answering anything else never lets a replay through.
    if (first !== true) throw refuse(new TollgateError('invalid_token', 'The access token was already used', { reason: 'replayed', challenge: { scheme: challengeScheme(auth) } }));
  });
}
