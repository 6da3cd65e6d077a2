import { setupError } from '../errors/setup-error.js';

/** JWS algorithms Tollgate accepts in an allow-list (RFC 7518, RFC 8037). Never `none`. */
export const SYMMETRIC_ALGORITHMS = ['HS256', 'HS384', 'HS512'] as const;
export const ASYMMETRIC_ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA', 'Ed25519'] as const;

export type SymmetricAlgorithm = (typeof SYMMETRIC_ALGORITHMS)[number];
export type AsymmetricAlgorithm = (typeof ASYMMETRIC_ALGORITHMS)[number];
export type Algorithm = SymmetricAlgorithm | AsymmetricAlgorithm;

/** Whether an algorithm is an HMAC one. */
export function isSymmetric(alg: string): alg is SymmetricAlgorithm {
  return (SYMMETRIC_ALGORITHMS as readonly string[]).includes(alg);
}

/**
 * Validates an allow-list: known names only, never `none`, and HMAC never beside an asymmetric
 * algorithm (RFC 8725 §3.1, §2.1 — the key-confusion attacks).
 */
export function parseAlgorithms(value: unknown, name: string, keyKind: 'symmetric' | 'asymmetric'): readonly Algorithm[] {
  if (!Array.isArray(value) || value.length === 0) setupError('ERR_TOLLGATE_EMPTY_LIST', `${name} must be a non-empty array of algorithm names`);
  const list: Algorithm[] = [];
  for (const alg of value) {
    if (typeof alg === 'string' && alg.toLowerCase() === 'none') setupError('ERR_TOLLGATE_ALG_NONE', `${name} must never allow "none"`);
    if (typeof alg !== 'string' || !(isSymmetric(alg) || (ASYMMETRIC_ALGORITHMS as readonly string[]).includes(alg))) {
      setupError('ERR_TOLLGATE_ALG_UNKNOWN', `${name}: unknown algorithm ${JSON.stringify(alg)}`);
    }
    if (!list.includes(alg as Algorithm)) list.push(alg as Algorithm);
  }
  const symmetric = list.filter(isSymmetric).length;
  if (symmetric > 0 && symmetric < list.length) setupError('ERR_TOLLGATE_ALG_MIXED', `${name} mixes HMAC and asymmetric algorithms`);
  if (keyKind === 'symmetric' && symmetric === 0) setupError('ERR_TOLLGATE_ALG_KEY_MISMATCH', `${name}: a secret can only verify HS256, HS384 or HS512`);
  if (keyKind === 'asymmetric' && symmetric > 0) setupError('ERR_TOLLGATE_ALG_KEY_MISMATCH', `${name}: HMAC algorithms need a secret, not a public key or JWKS`);
  return Object.freeze(list);
}

/** The minimum HMAC key length in bytes: the hash's output size (RFC 7518 §3.2). */
export function minimumSecretLength(algorithms: readonly Algorithm[]): number {
  let min = 0;
  for (const alg of algorithms) min = Math.max(min, Number(alg.slice(2)) / 8);
  return min;
}
