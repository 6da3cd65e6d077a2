import type { JWTPayload } from 'jose';

/**
 * Where scopes or roles are read from: a claim name, a dotted path into nested claims
 * (`realm_access.roles`), or a function of the claims.
 */
export type ClaimReader = string | ((claims: Readonly<JWTPayload>) => unknown);

/**
 * Reads a claim by name or dotted path. Only own properties are followed, so `__proto__`,
 * `constructor` and friends never resolve to anything the token did not carry.
 */
export function readClaim(claims: unknown, path: string): unknown {
  if (claims !== null && typeof claims === 'object' && Object.hasOwn(claims, path)) {
    return (claims as Record<string, unknown>)[path];
  }
  let value: unknown = claims;
  for (const segment of path.split('.')) {
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
