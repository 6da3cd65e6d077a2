import { randomBytes } from 'node:crypto';
import { parseAlgorithms, type Algorithm } from '../verify/algorithms.js';
import type { NonceStore } from '../replay/nonce-store.js';
import { MemoryNonceStore } from '../replay/nonce-store.js';
import { assertKnownOptions, nonNegative, setupError } from '../errors/setup-error.js';

/** Server-issued DPoP nonces (RFC 9449 §8). */
export interface DpopNonceOptions {
  /**
   * The key nonces are derived from. Instances that share it accept each other's nonces; give
   * every instance of one app the same 32+ byte secret. Default: random per process.
   */
  secret?: Uint8Array | string;
  /** How often the nonce changes, in ms. The previous one stays valid for one more period. Default 300000. */
  rotateMs?: number;
}

/** `authenticate({ dpop })`: sender-constrained tokens, RFC 9449. */
export interface DpopOptions {
  /** Refuse plain bearer tokens. Default false: both are accepted, bound tokens only as DPoP. */
  required?: boolean;
  /** Proof algorithms accepted. Default ES256, ES384, EdDSA, Ed25519, PS256, RS256. */
  algorithms?: readonly string[];
  /**
   * The public origin (`https://api.example.com`) the proof's `htu` must match. Required unless
   * `trustHostHeader` is true.
   */
  origin?: string;
  /**
   * Without `origin`, build the `htu` a proof must match from the request's protocol and `Host`
   * (`X-Forwarded-*` only as the framework's trust-proxy setting allows). Only safe when
   * whatever sits in front of the app sets or checks the Host header; so it must be said.
   * Default false: DPoP without `origin` is a setup error.
   */
  trustHostHeader?: boolean;
  /** How old a proof's `iat` may be, in seconds. Default 300. */
  proofMaxAge?: number;
  /** Demand server nonces (`use_dpop_nonce`), rotated. Default off. */
  nonce?: boolean | DpopNonceOptions;
  /** Remembers proof `jti`s so that a proof is used once. Default: a `MemoryNonceStore`. */
  store?: NonceStore;
  /**
   * Most proofs one key (by thumbprint) may send per proof lifetime (`proofMaxAge` plus twice
   * the clock tolerance); more are refused with 429 and `Retry-After` before their `jti` is
   * stored, so one client cannot fill the proof store for everyone. Counted per authenticator,
   * in memory. Default 1000.
   */
  maxProofsPerKey?: number;
}

/** DPoP options, validated and defaulted. */
export interface ParsedDpopOptions {
  readonly required: boolean;
  readonly algorithms: readonly Algorithm[];
  readonly origin: string | undefined;
  readonly proofMaxAge: number;
  readonly nonce: { readonly secret: Uint8Array; readonly rotateMs: number } | undefined;
  readonly store: NonceStore;
  readonly maxProofsPerKey: number;
}

const DEFAULT_ALGORITHMS: readonly Algorithm[] = ['ES256', 'ES384', 'EdDSA', 'Ed25519', 'PS256', 'RS256'];

/** Validates `dpop` options at setup. */
export function parseDpopOptions(options: DpopOptions): ParsedDpopOptions {
  if (typeof options !== 'object' || options === null) setupError('ERR_TOLLGATE_INVALID_OPTION', 'dpop must be an object');
  assertKnownOptions(options, ['required', 'algorithms', 'origin', 'trustHostHeader', 'proofMaxAge', 'nonce', 'store', 'maxProofsPerKey'], 'dpop');
  if (options.required !== undefined && typeof options.required !== 'boolean') setupError('ERR_TOLLGATE_INVALID_OPTION', 'dpop.required must be a boolean');
  if (options.trustHostHeader !== undefined && typeof options.trustHostHeader !== 'boolean') {
    setupError('ERR_TOLLGATE_INVALID_OPTION', 'dpop.trustHostHeader must be a boolean');
  }
  if (options.origin === undefined && options.trustHostHeader !== true) {
    setupError('ERR_TOLLGATE_INVALID_OPTION',
      'dpop.origin is required (the public origin proofs are made for, such as https://api.example.com); set dpop.trustHostHeader: true to use the request\'s Host header instead');
  }
  const algorithms = parseAlgorithms(options.algorithms ?? DEFAULT_ALGORITHMS, 'dpop.algorithms', 'asymmetric');
  let origin: string | undefined;
  if (options.origin !== undefined) {
    let url: URL;
    try {
      url = new URL(options.origin);
    } catch {
      return setupError('ERR_TOLLGATE_INVALID_OPTION', 'dpop.origin must be an origin such as https://api.example.com');
    }
    if ((url.protocol !== 'https:' && url.protocol !== 'http:') || url.pathname !== '/' || url.search !== '' || url.hash !== '') {
      setupError('ERR_TOLLGATE_INVALID_OPTION', 'dpop.origin must be an origin such as https://api.example.com, with no path');
    }
    origin = url.origin;
  }
  let nonce: ParsedDpopOptions['nonce'];
  if (options.nonce !== undefined && options.nonce !== false) {
    const given = options.nonce === true ? {} : options.nonce;
    assertKnownOptions(given, ['secret', 'rotateMs'], 'dpop.nonce');
    const secret = given.secret === undefined ? randomBytes(32) : typeof given.secret === 'string' ? new TextEncoder().encode(given.secret) : given.secret;
    if (!(secret instanceof Uint8Array) || secret.byteLength < 32) setupError('ERR_TOLLGATE_WEAK_SECRET', 'dpop.nonce.secret must be at least 32 bytes');
    const rotateMs = nonNegative(given.rotateMs, 'dpop.nonce.rotateMs', 300_000);
    if (rotateMs < 1000) setupError('ERR_TOLLGATE_INVALID_OPTION', 'dpop.nonce.rotateMs must be at least 1000');
    nonce = Object.freeze({ secret, rotateMs });
  }
  const store = options.store ?? new MemoryNonceStore();
  if (typeof store.claim !== 'function') setupError('ERR_TOLLGATE_INVALID_OPTION', 'dpop.store must be a NonceStore');
  const maxProofsPerKey = nonNegative(options.maxProofsPerKey, 'dpop.maxProofsPerKey', 1000);
  if (!Number.isInteger(maxProofsPerKey) || maxProofsPerKey < 1) setupError('ERR_TOLLGATE_INVALID_OPTION', 'dpop.maxProofsPerKey must be a positive integer');
  return Object.freeze({
    required: options.required ?? false,
    algorithms,
    origin,
    proofMaxAge: nonNegative(options.proofMaxAge, 'dpop.proofMaxAge', 300),
    nonce,
    store,
    maxProofsPerKey,
  });
}
