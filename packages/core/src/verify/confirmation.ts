import type { JWTPayload } from 'jose';
import type { Challenge } from '../errors/challenge.js';
import { TollgateError } from '../errors/errors.js';

/** The proof-of-possession keys a token is bound to (RFC 7800 `cnf`), as far as Tollgate can check them. */
export interface Confirmation {
  /** RFC 9449: the JWK thumbprint of the DPoP proof key. */
  readonly jkt: string | undefined;
  /** RFC 8705: the SHA-256 thumbprint of the client certificate. */
  readonly x5t: string | undefined;
}

const NONE: Confirmation = Object.freeze({ jkt: undefined, x5t: undefined });

/**
 * Reads the token's `cnf` claim. A `cnf` that is not a non-empty object of string members is
 * invalid. A confirmation method Tollgate cannot verify (`jwk`, `jku`,
 * `kid`, anything unknown) fails closed: a bound token must never pass as a plain bearer token.
 * A certificate binding counts as verifiable only when `mtls` is configured.
 */
export function readConfirmation(claims: JWTPayload, context: { mtls: boolean; challenges: readonly Challenge[] }): Confirmation {
  if (!Object.hasOwn(claims, 'cnf')) return NONE;
  const cnf = claims.cnf;
  const refuse = (description: string, reason: 'invalid_claim' | 'unsupported_confirmation') =>
    new TollgateError('invalid_token', description, { reason, challenge: [...context.challenges] });
  if (cnf === null || typeof cnf !== 'object' || Array.isArray(cnf)) throw refuse('The access token has an invalid cnf claim', 'invalid_claim');
  const members = cnf as Record<string, unknown>;
  // An empty `cnf` names no key: it claims a binding while binding to nothing, so it is refused too.
  if (Object.keys(members).length === 0) throw refuse('The access token has an invalid cnf claim', 'invalid_claim');
  for (const name of Object.keys(members)) {
    if (name !== 'jkt' && name !== 'x5t#S256') throw refuse('The access token is bound to a key this resource cannot check', 'unsupported_confirmation');
    if (typeof members[name] !== 'string' || members[name] === '') throw refuse('The access token has an invalid cnf claim', 'invalid_claim');
  }
  const x5t = members['x5t#S256'] as string | undefined;
  if (x5t !== undefined && !context.mtls) throw refuse('The access token is bound to a client certificate, which this resource does not check', 'unsupported_confirmation');
  return { jkt: members.jkt as string | undefined, x5t };
}
