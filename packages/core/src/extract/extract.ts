import { TollgateError } from '../errors/errors.js';
import type { Challenge } from '../errors/challenge.js';
import { headerValue, type TollgateRequest } from './request.js';

/** Where a token may be read from. Only `header` is on by default (RFC 6750 §2). */
export interface TokenLocations {
  /** `Authorization: Bearer <token>` (RFC 6750 §2.1). Default true. */
  header?: boolean;
  /** `access_token` in a form-encoded body (RFC 6750 §2.2). Default false. */
  body?: boolean;
  /** `access_token` in the query (RFC 6750 §2.3). Default false: it leaks into logs. */
  query?: boolean;
  /** The name of a cookie that carries the token. Default none. */
  cookie?: string | false;
}

/** A token found on a request, before verification. */
export interface ExtractedToken {
  token: string;
  scheme: 'Bearer' | 'DPoP';
  location: 'header' | 'body' | 'query' | 'cookie';
}

export interface ExtractOptions {
  locations: Required<TokenLocations>;
  /** Accept `Authorization: DPoP <token>` as well (RFC 9449 §7.1). */
  dpop: boolean;
  maxTokenLength: number;
  challenges: readonly Challenge[];
}

// RFC 6750 §2.1: b64token = 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"="
const B64TOKEN = /^[A-Za-z0-9\-._~+/]+=*$/;
// RFC 9110 §11.1: auth-scheme = token.
const AUTH_SCHEME = /^[A-Za-z][A-Za-z0-9!#$%&'*+\-.^_`|~]*$/;

function invalidRequest(description: string, options: ExtractOptions, reason: 'malformed_header' | 'multiple_token_methods' | 'token_too_large'): TollgateError {
  return new TollgateError('invalid_request', description, { reason, challenge: [...options.challenges] });
}

function fromHeader(req: TollgateRequest, options: ExtractOptions): ExtractedToken | undefined {
  const { value, repeated } = headerValue(req, 'authorization');
  if (repeated) throw invalidRequest('More than one Authorization header', options, 'malformed_header');
  if (value === undefined || value === '') return undefined;
  // `scheme 1*SP credentials`; indexOf instead of a regular expression over the whole token.
  const space = value.indexOf(' ');
  const scheme = space === -1 ? value : value.slice(0, space);
  const lower = scheme.toLowerCase();
  const isBearer = lower === 'bearer';
  const isDpop = options.dpop && lower === 'dpop';
  if (!isBearer && !isDpop) {
    if (!AUTH_SCHEME.test(scheme)) throw invalidRequest('Malformed Authorization header', options, 'malformed_header');
    // Another scheme (Basic, …) carries no access token for us: the request is unauthenticated.
    return undefined;
  }
  let start = space + 1;
  while (space !== -1 && value.charCodeAt(start) === 32) start++;
  const credentials = space === -1 ? '' : value.slice(start);
  if (credentials === '') throw invalidRequest('The Authorization header has no token', options, 'malformed_header');
  if (credentials.length > options.maxTokenLength) throw invalidRequest('The access token is too large', options, 'token_too_large');
  return { token: credentials, scheme: isBearer ? 'Bearer' : 'DPoP', location: 'header' };
}

function isFormBody(req: TollgateRequest): boolean {
  const { value } = headerValue(req, 'content-type');
  return value !== undefined && value.split(';', 1)[0]!.trim().toLowerCase() === 'application/x-www-form-urlencoded';
}

function fromParameter(source: unknown, name: string, location: 'body' | 'query' | 'cookie', options: ExtractOptions): ExtractedToken | undefined {
  if (source === null || typeof source !== 'object' || !Object.hasOwn(source, name)) return undefined;
  const value: unknown = (source as Record<string, unknown>)[name];
  if (value === undefined || value === '') return undefined;
  if (typeof value !== 'string') throw invalidRequest(`The ${location} carries more than one access token`, options, 'multiple_token_methods');
  if (value.length > options.maxTokenLength) throw invalidRequest('The access token is too large', options, 'token_too_large');
  return { token: value, scheme: 'Bearer', location };
}

/** Parses a `Cookie` header into a record; the first occurrence of a name wins. */
export function parseCookies(header: string): Record<string, string> {
  const cookies: Record<string, string> = Object.create(null) as Record<string, string>;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq === -1) continue;
    const name = part.slice(0, eq).trim();
    if (name === '' || Object.hasOwn(cookies, name)) continue;
    let value = part.slice(eq + 1).trim();
    if (value.startsWith('"') && value.endsWith('"') && value.length >= 2) value = value.slice(1, -1);
    cookies[name] = value;
  }
  return cookies;
}

function cookieSource(req: TollgateRequest): unknown {
  if (req.cookies !== null && typeof req.cookies === 'object') return req.cookies;
  const { value } = headerValue(req, 'cookie');
  return value === undefined ? undefined : parseCookies(value);
}

function either(found: ExtractedToken | undefined, next: ExtractedToken | undefined, options: ExtractOptions): ExtractedToken | undefined {
  if (found !== undefined && next !== undefined) throw invalidRequest('The access token was sent by more than one method', options, 'multiple_token_methods');
  return found ?? next;
}

/**
 * Finds the access token of a request without checking its characters (that is
 * {@link assertTokenSyntax}, which `authenticate` runs only on a cache miss: a token equal to a
 * cached one already passed it). Throws `invalid_request` for a malformed header, a token that
 * is too long, or a token sent by more than one method.
 */
export function findToken(req: TollgateRequest, options: ExtractOptions): ExtractedToken | undefined {
  const { locations } = options;
  let found = locations.header ? fromHeader(req, options) : undefined;
  if (locations.body && req.method !== 'GET' && isFormBody(req)) found = either(found, fromParameter(req.body, 'access_token', 'body', options), options);
  if (locations.query) found = either(found, fromParameter(req.query, 'access_token', 'query', options), options);
  if (locations.cookie !== false) found = either(found, fromParameter(cookieSource(req), locations.cookie, 'cookie', options), options);
  return found;
}

/** Throws `invalid_request` unless the token is an RFC 6750 `b64token`. */
export function assertTokenSyntax(found: ExtractedToken, options: ExtractOptions): void {
  if (B64TOKEN.test(found.token)) return;
  throw invalidRequest(found.location === 'header' ? 'Malformed Authorization header' : `Malformed access token in the ${found.location}`, options, 'malformed_header');
}

/**
 * Finds the access token of a request, RFC 6750 §2. Returns `undefined` when there is none;
 * throws `invalid_request` (400) for a malformed header or a token sent by more than one method.
 */
export function extractToken(req: TollgateRequest, options: ExtractOptions): ExtractedToken | undefined {
  const found = findToken(req, options);
  if (found !== undefined) assertTokenSyntax(found, options);
  return found;
}
