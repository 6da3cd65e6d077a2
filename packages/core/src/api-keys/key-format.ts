import { randomBytes } from 'node:crypto';
import { crc32 } from 'node:zlib';

/** The base62 alphabet of keys: digits, then upper case, then lower case. */
const ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
/** Characters of a key's id, secret and check. */
export const ID_LENGTH = 16;
export const SECRET_LENGTH = 32;
export const CHECK_LENGTH = 6;
const BASE62 = /^[0-9A-Za-z]+$/;
/** A key prefix: letters and digits, so that `_` always separates the parts. */
export const KEY_PREFIX = /^[A-Za-z][A-Za-z0-9]{0,15}$/;

/** `length` base62 characters from `crypto.randomBytes`, without modulo bias (bytes ≥ 248 are drawn again). */
export function randomBase62(length: number): string {
  let out = '';
  while (out.length < length) {
    for (const byte of randomBytes(length * 2)) {
      if (byte < 248 && out.length < length) out += ALPHABET[byte % 62];
    }
  }
  return out;
}

/** The CRC-32 (zlib) of `body`, in base62, most significant digit first, zero-padded to 6 characters. */
export function checksum(body: string): string {
  let value = crc32(body);
  let out = '';
  do {
    out = ALPHABET[value % 62]! + out;
    value = Math.floor(value / 62);
  } while (value > 0);
  return out.padStart(CHECK_LENGTH, '0');
}

/** Builds `<prefix>_<id>_<secret><check>`. */
export function formatKey(prefix: string, id: string, secret: string): string {
  const body = `${prefix}_${id}_${secret}`;
  return body + checksum(body);
}

/** The parts of a well-formed key whose check matches. */
export interface ParsedKey {
  readonly id: string;
  readonly secret: string;
}

/**
 * Splits a key of this `prefix` into id and secret, or returns `undefined` when it is malformed
 * or its check does not match: no store is asked about such a key.
 */
export function parseKey(key: string, prefix: string): ParsedKey | undefined {
  const idStart = prefix.length + 1;
  const secretStart = idStart + ID_LENGTH + 1;
  if (key.length !== secretStart + SECRET_LENGTH + CHECK_LENGTH) return undefined;
  if (!key.startsWith(prefix) || key[prefix.length] !== '_' || key[secretStart - 1] !== '_') return undefined;
  const id = key.slice(idStart, secretStart - 1);
  const tail = key.slice(secretStart);
  if (!BASE62.test(id) || !BASE62.test(tail)) return undefined;
  const body = key.slice(0, key.length - CHECK_LENGTH);
  if (checksum(body) !== key.slice(body.length)) return undefined;
  return { id, secret: tail.slice(0, SECRET_LENGTH) };
}

/** A pattern that finds keys of `prefix` in text (secret scanners, log filters). */
export function keyPattern(prefix: string): RegExp {
  return new RegExp(`\\b${prefix}_[0-9A-Za-z]{${ID_LENGTH}}_[0-9A-Za-z]{${SECRET_LENGTH + CHECK_LENGTH}}\\b`, 'g');
}
