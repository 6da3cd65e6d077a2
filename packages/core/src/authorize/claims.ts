import type { JWTPayload } from 'jose';
import { setupError } from '../errors/setup-error.js';

/**
 * Where scopes or roles are read from: a claim name, a dotted path into nested claims
 * (`realm_access.roles`), a path given as its segments (`['https://example.com/roles']` for a
 * claim whose own name holds dots), or a function of the claims.
 */
export type ClaimReader = string | readonly string[] | ((claims: Readonly<JWTPayload>) => unknown);

// Never a claim a token can mean: configuring one is a mistake, refused at setup.
const FORBIDDEN_SEGMENTS = new Set(['__proto__', 'constructor', 'prototype']);

/**
 * Validates a claim path at setup and returns its segments, frozen: a string is split at its
 * dots, an array is taken as the segments. Empty segments (`a..b`) and `__proto__`,
 * `constructor` or `prototype` throw a setup error.
 */
export function parseClaimPath(path: unknown, name: string): readonly string[] {
  const segments = typeof path === 'string' ? path.split('.') : path;
  if (!Array.isArray(segments) || segments.length === 0) return setupError('ERR_TOLLGATE_INVALID_OPTION', `${name} must be a claim name, a dotted path or an array of path segments`);
  for (const segment of segments) {
    if (typeof segment !== 'string' || segment === '') setupError('ERR_TOLLGATE_INVALID_OPTION', `${name}: ${JSON.stringify(path)} has an empty segment`);
    if (FORBIDDEN_SEGMENTS.has(segment)) setupError('ERR_TOLLGATE_INVALID_OPTION', `${name}: ${JSON.stringify(path)} names ${segment}, which no claim may be read through`);
  }
  return Object.freeze([...(segments as string[])]);
}

/**
 * Reads a claim by name, dotted path or path segments. A dotted path only ever walks nested
 * objects: `realm_access.roles` reads `{ realm_access: { roles } }` and never a top-level claim
 * literally named `realm_access.roles`, which an issuer may let a user set. Only own
 * properties of plain objects (not arrays) are followed, so `__proto__`, `constructor` and
 * friends never resolve to anything the token did not carry.
 */
export function readClaim(claims: unknown, path: string | readonly string[]): unknown {
  let value: unknown = claims;
  for (const segment of typeof path === 'string' ? path.split('.') : path) {
    if (value === null || typeof value !== 'object' || Array.isArray(value) || !Object.hasOwn(value, segment)) return undefined;
    value = (value as Record<string, unknown>)[segment];
  }
  return value;
}

/**
 * Turns a claim value into a list of strings: a space-separated string (RFC 8693 §4.2 `scope`)
 * or an array of strings. Anything else, or an array holding a non-string, yields no values:
 * a claim of the wrong type grants nothing.
 */
export function toStringList(value: unknown): string[] {
  if (typeof value === 'string') return value.split(' ').filter((s) => s !== '');
  if (Array.isArray(value) && value.every((v): v is string => typeof v === 'string')) return value.filter((s) => s !== '');
  return [];
}

function readList(claims: Readonly<JWTPayload>, reader: ClaimReader): string[] {
  if (typeof reader === 'function') {
    try {
      return toStringList(reader(claims));
    } catch {
      return []; // a throwing reader grants nothing
    }
  }
  return toStringList(readClaim(claims, reader));
}

/**
 * Reads the scopes a token grants. With no reader: `scope` (space-separated), else `scp`
 * (array or string), else `permissions` (array).
 */
export function readScopes(claims: Readonly<JWTPayload>, reader?: ClaimReader): string[] {
  if (reader !== undefined) return readList(claims, reader);
  for (const name of ['scope', 'scp', 'permissions']) {
    if (Object.hasOwn(claims, name)) return readList(claims, name);
  }
  return [];
}

/** Reads the roles a token grants (`roles` unless told otherwise). */
export function readRoles(claims: Readonly<JWTPayload>, reader: ClaimReader = 'roles'): string[] {
  return readList(claims, reader);
}
