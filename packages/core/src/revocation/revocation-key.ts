import { hash } from 'node:crypto';

/** The two kinds of revocation entry: one token by `jti`, or a subject's cut-off. */
export type RevocationKind = 'jti' | 'sub';

// Longer keys are hashed: a jti, a subject and an issuer are the token's to choose, a store's key size is not.
const MAX_RAW_KEY = 200;

/**
 * The store key of one revocation entry, without the store's prefix: the kind, then the scope
 * (`*` for every issuer, or `i<length>:<issuer>` for one), then the value, e.g. `jti:*:abc` or
 * `sub:i21:https://id.example.com:user-1`.
 *
 * The issuer's length says where it ends, so an issuer holding `:` can never pose as another
 * issuer's entry; a scoped key starts with `i`, an unscoped one with `*`, and a hashed one
 * (longer than 200 characters raw) with `#`, so the three forms cannot collide either.
 */
export function revocationKey(kind: RevocationKind, value: string, issuer?: string): string {
  if (typeof value !== 'string') throw new TypeError(`revocation ${kind} must be a string`);
  if (issuer !== undefined && typeof issuer !== 'string') throw new TypeError('revocation issuer must be a string');
  const raw = `${issuer === undefined ? '*' : `i${issuer.length}:${issuer}`}:${value}`;
  return `${kind}:${raw.length <= MAX_RAW_KEY ? raw : `#${hash('sha256', raw, 'base64url')}`}`;
}

/** The claims a revocation check looks at. */
export interface RevocationSubject {
  /** The token's issuer: entries scoped to it apply, as do entries for every issuer. */
  iss?: string | undefined;
  jti?: string | undefined;
  sub?: string | undefined;
  iat?: number | undefined;
}

/**
 * The keys a check of `claims` reads: the token's `jti` entries (for its issuer, and for every
 * issuer), then its subject's cut-offs (the same two scopes).
 */
export function revocationKeysOf(claims: RevocationSubject): { readonly jti: readonly string[]; readonly sub: readonly string[] } {
  const scoped = (kind: RevocationKind, value: string | undefined): string[] => {
    if (value === undefined) return [];
    const all = revocationKey(kind, value);
    return claims.iss === undefined ? [all] : [revocationKey(kind, value, claims.iss), all];
  };
  return { jti: scoped('jti', claims.jti), sub: scoped('sub', claims.sub) };
}

/**
 * Whether a subject cut-off (ms since the epoch) revokes a token issued at `iat` (seconds).
 * Fails closed: an unreadable cut-off revokes, as does a token without `iat`.
 */
export function isBeforeCutoff(cutoff: number, iat: number | undefined): boolean {
  return !Number.isFinite(cutoff) || typeof iat !== 'number' || iat * 1000 < cutoff;
}
