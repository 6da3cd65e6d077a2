import { decodeJwt } from 'jose';
import { nonNegative } from '../errors/setup-error.js';
import { assertRevocationTime, type RevocationStore } from './revocation.js';

/**
 * What to revoke: one token (by itself, or by `jti` and its `exp`), or everything a subject was
 * issued. `issuer` scopes the entry to one issuer; without it the entry applies to every issuer.
 * A token given whole is scoped to its own `iss`.
 */
export type RevocationTarget =
  | { token: string }
  | { jti: string; expiresAt: Date; issuer?: string }
  | { subject: string; issuedBefore?: Date; issuer?: string };

/** What {@link revoke} wrote. `issuer` is undefined for an entry that applies to every issuer. */
export type RevocationRecord =
  | {
    kind: 'token'; jti: string; issuer: string | undefined;
    /** When the entry ends: the token's `exp` plus the clock tolerance. */
    expiresAt: Date;
    /** True when the token could no longer be accepted anyway, so nothing was written. */
    isExpired: boolean;
  }
  | { kind: 'subject'; subject: string; issuer: string | undefined; issuedBefore: Date };

/** Options of {@link revoke}. */
export interface RevokeOptions {
  /** The clock, in ms since the epoch. Default `Date.now`. */
  now?: () => number;
  /**
   * Seconds a token is kept revoked past its `exp`: match `authenticate`'s `clockTolerance`,
   * which accepts a token that long after its `exp`. Default 5.
   */
  clockTolerance?: number;
}

function optionalIssuer(value: unknown): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || value === '') throw new TypeError('revoke: issuer must be a non-empty string');
  return value;
}

/**
 * The admin side of revocation: writes one entry to a store that `authenticate({ revocation })`
 * reads. A token is revoked by its `jti` until its `exp` plus the clock tolerance (read without
 * verification, scoped to its `iss`; the entry only ever grows, so a forged copy with an earlier
 * `exp` cannot shorten it); a subject is revoked for every token issued before `issuedBefore`
 * (default now: "log out everywhere").
 */
export async function revoke(store: RevocationStore, target: RevocationTarget, options: RevokeOptions = {}): Promise<RevocationRecord> {
  const now = options.now ?? Date.now;
  const tolerance = nonNegative(options.clockTolerance, 'revoke: clockTolerance', 5) * 1000;
  if ('subject' in target) {
    if (typeof target.subject !== 'string' || target.subject === '') throw new TypeError('revoke: subject must be a non-empty string');
    const issuer = optionalIssuer(target.issuer);
    const issuedBefore = target.issuedBefore ?? new Date(now());
    await store.revokeSubject(target.subject, issuedBefore, issuer);
    return { kind: 'subject', subject: target.subject, issuer, issuedBefore };
  }
  let jti: unknown;
  let exp: Date;
  let issuer: string | undefined;
  if ('token' in target) {
    const claims = decodeJwt(target.token);
    jti = claims.jti;
    if (typeof claims.exp !== 'number') throw new TypeError('revoke: the token has no exp claim');
    exp = new Date(claims.exp * 1000);
    if (claims.iss !== undefined && typeof claims.iss !== 'string') throw new TypeError('revoke: the token has an invalid iss claim');
    issuer = optionalIssuer(claims.iss);
  } else {
    jti = target.jti;
    exp = target.expiresAt;
    issuer = optionalIssuer(target.issuer);
  }
  if (typeof jti !== 'string' || jti === '') throw new TypeError('revoke: the token has no jti claim; revoke its subject instead');
  const expiresAt = new Date(assertRevocationTime(exp, 'revoke: expiresAt') + tolerance);
  const isExpired = expiresAt.getTime() <= now();
  if (!isExpired) await store.revokeToken(jti, expiresAt, issuer);
  return { kind: 'token', jti, issuer, expiresAt, isExpired };
}
