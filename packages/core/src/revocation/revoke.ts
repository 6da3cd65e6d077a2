import { decodeJwt } from 'jose';
import { assertRevocationTime, type RevocationStore } from './revocation.js';

/** What to revoke: one token (by itself, or by `jti` and expiry), or everything a subject was issued. */
export type RevocationTarget =
  | { token: string }
  | { jti: string; expiresAt: Date }
  | { subject: string; issuedBefore?: Date };

/** What {@link revoke} wrote. */
export type RevocationRecord =
  | { kind: 'token'; jti: string; expiresAt: Date }
  | { kind: 'subject'; subject: string; issuedBefore: Date };

/**
 * The admin side of revocation: writes one entry to a store that `authenticate({ revocation })`
 * reads. A token is revoked by its `jti` until its `exp` (read without verification: revoking
 * a forged token is harmless); a subject is revoked for every token issued before `issuedBefore`
 * (default now: "log out everywhere").
 */
export async function revoke(store: RevocationStore, target: RevocationTarget, now: () => number = Date.now): Promise<RevocationRecord> {
  if ('subject' in target) {
    if (typeof target.subject !== 'string' || target.subject === '') throw new TypeError('revoke: subject must be a non-empty string');
    const issuedBefore = target.issuedBefore ?? new Date(now());
    await store.revokeSubject(target.subject, issuedBefore);
    return { kind: 'subject', subject: target.subject, issuedBefore };
  }
  let jti: unknown;
  let expiresAt: Date;
  if ('token' in target) {
    const claims = decodeJwt(target.token);
    jti = claims.jti;
    if (typeof claims.exp !== 'number') throw new TypeError('revoke: the token has no exp claim');
    expiresAt = new Date(claims.exp * 1000);
  } else {
    jti = target.jti;
    expiresAt = target.expiresAt;
  }
  if (typeof jti !== 'string' || jti === '') throw new TypeError('revoke: the token has no jti claim; revoke its subject instead');
  assertRevocationTime(expiresAt, 'revoke: expiresAt');
  await store.revokeToken(jti, expiresAt);
  return { kind: 'token', jti, expiresAt };
}
