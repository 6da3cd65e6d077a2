import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/** 16 random bytes, base64url: one key's salt. */
export function newSalt(): string {
  return randomBytes(16).toString('base64url');
}

/**
 * The stored hash of a secret: SHA-256 over the salt's bytes followed by the secret's UTF-8, or
 * HMAC-SHA-256 keyed by `pepper` over the same input. base64url.
 */
export function hashSecret(salt: string, secret: string, pepper: Buffer | undefined): string {
  const digest = pepper === undefined ? createHash('sha256') : createHmac('sha256', pepper);
  return digest.update(Buffer.from(salt, 'base64url')).update(secret, 'utf8').digest('base64url');
}

// Compared against when the id is unknown, so that an unknown id costs what a wrong secret costs.
const DECOY_SALT = newSalt();
const DECOY_HASH = hashSecret(DECOY_SALT, 'decoy', undefined);

/**
 * Whether `secret` hashes to `hash` under `salt`, compared in constant time. With no record
 * (`salt`/`hash` undefined) it does the same work against a decoy and answers false.
 */
export function secretMatches(secret: string, salt: string | undefined, hash: string | undefined, pepper: Buffer | undefined): boolean {
  const expected = Buffer.from(hash ?? DECOY_HASH, 'base64url');
  const actual = Buffer.from(hashSecret(salt ?? DECOY_SALT, secret, pepper), 'base64url');
  return actual.length === expected.length && timingSafeEqual(actual, expected) && hash !== undefined;
}

/**
 * Whether `key` is the key string `verified`, in time that depends only on the length (fixed by
 * the key format): no early exit, so a near miss takes as long as a far one. In JS rather than
 * `timingSafeEqual` because the Buffer it needs costs more than the rest of a cache hit.
 */
export function isSameKey(verified: string, key: string): boolean {
  if (key.length !== verified.length) return false;
  let difference = 0;
  for (let i = 0; i < key.length; i++) difference |= key.charCodeAt(i) ^ verified.charCodeAt(i);
  return difference === 0;
}
