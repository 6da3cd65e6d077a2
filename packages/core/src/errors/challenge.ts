/** The parts of one `WWW-Authenticate` challenge that do not depend on the error. */
export interface Challenge {
  /** `Bearer` (RFC 6750) or `DPoP` (RFC 9449). */
  scheme: 'Bearer' | 'DPoP';
  /** The protection space, RFC 6750 §3. */
  realm?: string;
  /** For DPoP challenges: the accepted proof algorithms (RFC 9449 §7.1). */
  algs?: readonly string[];
  /** Offer this scheme without the error: the error belongs to the scheme the client used. */
  bare?: boolean;
}

// RFC 6750 §3: error_description and scope are restricted to printable ASCII other than `"` and `\`.
const UNSAFE = /[^\x20\x21\x23-\x5B\x5D-\x7E]/g;

/** Makes a value safe to place inside a quoted-string of a challenge. */
export function quoteParam(value: string): string {
  return `"${value.replace(UNSAFE, '')}"`;
}

/**
 * Builds one challenge, RFC 6750 §3 / RFC 9449 §7.1: `Bearer realm="api", error="invalid_token", …`.
 * With no `error` the challenge is bare, as for a request that carried no credentials. `extra`
 * adds parameters after the error, such as RFC 9470's `acr_values` and `max_age`.
 */
export function buildChallenge(
  challenge: Challenge, error: string | undefined, description: string, scopes?: readonly string[], extra?: Readonly<Record<string, string>>,
): string {
  const params: string[] = [];
  if (challenge.realm !== undefined) params.push(`realm=${quoteParam(challenge.realm)}`);
  if (challenge.algs !== undefined && challenge.algs.length > 0) params.push(`algs=${quoteParam(challenge.algs.join(' '))}`);
  if (error !== undefined) {
    params.push(`error=${quoteParam(error)}`, `error_description=${quoteParam(description)}`);
    if (scopes !== undefined && scopes.length > 0) params.push(`scope=${quoteParam(scopes.join(' '))}`);
    for (const [name, value] of Object.entries(extra ?? {})) params.push(`${name}=${quoteParam(value)}`);
  }
  return params.length > 0 ? `${challenge.scheme} ${params.join(', ')}` : challenge.scheme;
}

/** The scheme a refusal of an accepted token is challenged with: DPoP for a DPoP-bound token, else Bearer. */
export function challengeScheme(auth: { readonly jkt?: string | undefined }): 'Bearer' | 'DPoP' {
  return auth.jkt === undefined ? 'Bearer' : 'DPoP';
}
