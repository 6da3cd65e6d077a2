import { decodeJwt, jwtVerify, type CryptoKey, type JWTPayload, type JWTVerifyOptions, type JWTVerifyResult, type ProtectedHeaderParameters } from 'jose';
import type { RejectionReason } from '../errors/error-codes.js';
import { TollgateError } from '../errors/errors.js';
import { KeySourceUnavailableError, type KeySource } from './key-source.js';
import type { Challenge } from '../errors/challenge.js';
import type { ParsedAuthenticateOptions, ParsedIssuer } from '../options.js';
import { spellingOf } from './canonical-encoding.js';

/** A token that passed signature and claim checks. */
export interface VerifiedToken {
  readonly header: ProtectedHeaderParameters;
  readonly claims: JWTPayload;
  readonly issuer: ParsedIssuer;
}

// RFC 8725 §3.10 and the jku/x5u/jwk CVEs: a token never gets to say which key verifies it.
// jose never reads these to find a key. A key set (local or remote) is asked through a resolver
// that refuses them before any lookup or fetch, so the refusal says what was tried; a token for a
// single key, which jose verifies without a resolver, is checked on its verified header.
const FORBIDDEN_HEADERS = ['jku', 'x5u', 'jwk', 'x5c'] as const;

/** Thrown from the key resolver, before any key is looked up, for a header in {@link FORBIDDEN_HEADERS}. */
class ForbiddenHeaderError extends Error {
  constructor(readonly header: string) {
    super(`forbidden ${header} header`);
  }
}

function forbiddenHeader(header: ProtectedHeaderParameters): string | undefined {
  for (const name of FORBIDDEN_HEADERS) if (Object.hasOwn(header, name)) return name;
  return undefined;
}

function refusedHeader(name: string, challenges: readonly Challenge[]): TollgateError {
  return invalidToken('forbidden_header', `The access token carries a ${name} header, which is not accepted`, challenges);
}

function invalidToken(reason: RejectionReason, description: string, challenges: readonly Challenge[], cause?: unknown): TollgateError {
  return new TollgateError('invalid_token', description, { reason, challenge: [...challenges], cause });
}

const CLAIM_FAILURES: Record<string, [RejectionReason, string]> = {
  iss: ['untrusted_issuer', 'The access token was issued by an untrusted issuer'],
  aud: ['wrong_audience', 'The access token is not meant for this audience'],
  typ: ['wrong_type', 'The access token has the wrong type'],
  nbf: ['not_yet_valid', 'The access token is not valid yet'],
};

/** Translates a `jose` failure into the one Tollgate error a client sees. */
function fromJoseError(error: unknown, challenges: readonly Challenge[]): TollgateError {
  if (error instanceof ForbiddenHeaderError) return refusedHeader(error.header, challenges);
  if (error instanceof KeySourceUnavailableError) {
    return new TollgateError('temporarily_unavailable', 'The token issuer keys cannot be fetched right now', {
      reason: 'key_source_unavailable', headers: { 'Retry-After': '5' }, cause: error,
    });
  }
  const code = (error as { code?: unknown } | null)?.code;
  const claim = (error as { claim?: unknown } | null)?.claim;
  const claimReason = (error as { reason?: unknown } | null)?.reason;
  switch (code) {
    case 'ERR_JWT_EXPIRED':
      return claim === 'iat'
        ? invalidToken('too_old', 'The access token is too old', challenges, error)
        : invalidToken('expired', 'The access token expired', challenges, error);
    case 'ERR_JWT_CLAIM_VALIDATION_FAILED': {
      if (claimReason === 'missing') return invalidToken('missing_claim', `The access token has no ${String(claim)} claim`, challenges, error);
      if (claimReason === 'invalid') return invalidToken('invalid_claim', `The access token has an invalid ${String(claim)} claim`, challenges, error);
      if (claim === 'iat') return invalidToken('not_yet_valid', 'The access token was issued in the future', challenges, error);
      const [reason, description] = CLAIM_FAILURES[String(claim)] ?? ['invalid_claim', 'The access token claims are invalid'];
      return invalidToken(reason, description, challenges, error);
    }
    case 'ERR_JOSE_ALG_NOT_ALLOWED':
      return invalidToken('alg_not_allowed', 'The access token is signed with an algorithm that is not allowed', challenges, error);
    case 'ERR_JWKS_NO_MATCHING_KEY':
    case 'ERR_JWKS_MULTIPLE_MATCHING_KEYS':
      return invalidToken('unknown_key', 'The access token is signed with an unknown key', challenges, error);
    case 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED':
      return invalidToken('bad_signature', 'The access token signature is invalid', challenges, error);
    case 'ERR_JOSE_NOT_SUPPORTED':
      return invalidToken('alg_not_allowed', 'The access token uses an unsupported algorithm or key', challenges, error);
    default:
      return invalidToken('malformed_token', 'The access token is malformed', challenges, error);
  }
}

/**
 * Several keys of the set fit the token (a `kid` listed twice, or no `kid` and several keys of
 * its algorithm): jose hands them over one by one, each already filtered by the header's `alg`
 * (checked against the allow-list) and key type. The first whose signature holds verifies it.
 */
async function verifyWithCandidates(token: string, candidates: AsyncIterable<CryptoKey>, checks: JWTVerifyOptions, challenges: readonly Challenge[]): Promise<JWTVerifyResult> {
  let failure: unknown = candidates;
  for await (const candidate of candidates) {
    try {
      return await jwtVerify(token, candidate, checks);
    } catch (error) {
      if ((error as { code?: unknown } | null)?.code !== 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED') throw fromJoseError(error, challenges);
      failure = error;
    }
  }
  throw fromJoseError(failure, challenges);
}

// jwtVerify's options and key depend only on the issuer and the authenticator: built once, not per request.
// Keyed by the parsed options, then by issuer: the same issuer under other options (typ, maxTokenAge,
// requiredClaims, clockTolerance) must never reuse looser jwtVerify options.
const verifyOptions = new WeakMap<ParsedAuthenticateOptions, WeakMap<ParsedIssuer, JWTVerifyOptions>>();
const keys = new WeakMap<ParsedIssuer, KeySource['key']>();

/**
 * What jose verifies with: a single key as it is (jose awaits no resolver for it), a key set
 * behind the forbidden-header check. jose hands the resolver the header it parsed, after its own
 * `alg` allow-list and `crit` checks, so the token is not parsed twice.
 */
function keyFor(issuer: ParsedIssuer): KeySource['key'] {
  let key = keys.get(issuer);
  if (key === undefined) {
    const source = issuer.keySource.key;
    key = typeof source !== 'function' ? source : (header, token) => {
      const name = forbiddenHeader(header);
      if (name !== undefined) throw new ForbiddenHeaderError(name);
      return source(header, token);
    };
    keys.set(issuer, key);
  }
  return key;
}

function verifyOptionsFor(issuer: ParsedIssuer, options: ParsedAuthenticateOptions): JWTVerifyOptions {
  let byIssuer = verifyOptions.get(options);
  if (byIssuer === undefined) {
    byIssuer = new WeakMap();
    verifyOptions.set(options, byIssuer);
  }
  let built = byIssuer.get(issuer);
  if (built === undefined) {
    built = Object.freeze({
      algorithms: [...issuer.keySource.algorithms],
      issuer: [...issuer.issuers],
      audience: [...issuer.audiences],
      clockTolerance: options.clockTolerance,
      requiredClaims: [...options.requiredClaims],
      ...(options.maxTokenAge === undefined ? {} : { maxTokenAge: options.maxTokenAge }),
      ...(options.typ === undefined ? {} : { typ: options.typ }),
    });
    byIssuer.set(issuer, built);
  }
  return built;
}

/**
 * The issuer whose keys verify the token. With one issuer there is nothing to choose: jose checks
 * `iss` after the signature. With several, the unverified `iss` picks the issuer (and so the keys)
 * before any key is looked up; nothing else trusts those claims until jose has checked the signature.
 */
function issuerFor(token: string, options: ParsedAuthenticateOptions, challenges: readonly Challenge[]): ParsedIssuer {
  if (options.issuers.length === 1) return options.issuers[0]!;
  let unverifiedClaims: JWTPayload;
  try {
    unverifiedClaims = decodeJwt(token);
  } catch (error) {
    throw invalidToken('malformed_token', 'The access token is malformed', challenges, error);
  }
  const iss = unverifiedClaims.iss;
  const issuer = typeof iss === 'string' ? options.byIssuer.get(iss) : undefined;
  if (issuer === undefined) {
    throw invalidToken(iss === undefined ? 'missing_claim' : 'untrusted_issuer', iss === undefined ? 'The access token has no iss claim' : 'The access token was issued by an untrusted issuer', challenges);
  }
  return issuer;
}

/** The dots of a compact serialization: 2 for a JWS (a JWT), 4 for a JWE, else none of them. */
export function countDots(token: string): number {
  let dots = 0;
  for (let i = token.indexOf('.'); i !== -1; i = token.indexOf('.', i + 1)) dots++;
  return dots;
}

/**
 * Verifies a JWT access token: shape, trusted issuer, signature under the issuer's algorithm
 * allow-list, `aud`, `exp` (always required), `nbf`, `iat`/`maxTokenAge`, `typ`, required
 * claims, no key-locating header ({@link FORBIDDEN_HEADERS}), and one spelling only: a segment
 * that is not canonical base64url ({@link spellingOf}) is refused.
 */
export async function verifyToken(token: string, options: ParsedAuthenticateOptions, challenges: readonly Challenge[] = options.challenges): Promise<VerifiedToken> {
  // Three dot-separated parts: a JWE (five) or a bare string is no access token for us.
  const dots = countDots(token);
  if (dots !== 2) throw invalidToken(dots === 4 ? 'unsupported_token_type' : 'malformed_token', 'The access token is malformed', challenges);
  // Before any key work, and so before anything is cached or counted under this spelling.
  const spelling = spellingOf(token);
  if (spelling === 'undecodable') throw invalidToken('malformed_token', 'The access token is malformed', challenges);
  if (spelling === 'non-canonical') throw invalidToken('non_canonical', 'The access token is not canonically base64url-encoded', challenges);

  const issuer = issuerFor(token, options, challenges);
  const base = verifyOptionsFor(issuer, options);
  const checks = options.now === Date.now ? base : { ...base, currentDate: new Date(options.now()) };
  const key = keyFor(issuer);
  let result: JWTVerifyResult;
  try {
    // The same call either way: jose's overloads take a key or a resolver, not the union of both.
    result = typeof key === 'function' ? await jwtVerify(token, key, checks) : await jwtVerify(token, key, checks);
  } catch (error) {
    if ((error as { code?: unknown } | null)?.code !== 'ERR_JWKS_MULTIPLE_MATCHING_KEYS') throw fromJoseError(error, challenges);
    result = await verifyWithCandidates(token, error as AsyncIterable<CryptoKey>, checks, challenges);
  }
  // jose checks iat only under maxTokenAge. A token issued in the future would outlive a subject
  // cut-off set now ("log out everywhere"), so it is refused whatever the options.
  const { iat } = result.payload;
  if (typeof iat === 'number' && iat * 1000 > options.now() + options.clockTolerance * 1000) {
    throw invalidToken('not_yet_valid', 'The access token was issued in the future', challenges);
  }
  const header = result.protectedHeader;
  // A key set's resolver has refused these already; a single key is asked no questions, so here.
  const refused = typeof key === 'function' ? undefined : forbiddenHeader(header);
  if (refused !== undefined) throw refusedHeader(refused, challenges);
  return { header, claims: result.payload, issuer };
}
