import type { JWTPayload, ProtectedHeaderParameters } from 'jose';

/**
 * What `authenticate` attaches to a request (`req.auth` in Express, `ctx.state.auth` in Koa).
 */
export interface AuthContext {
  /** The raw access token. Never log it: use `fingerprint`. */
  readonly token: string;
  /** The verified protected header. */
  readonly header: Readonly<ProtectedHeaderParameters>;
  /** The verified claims set. */
  readonly claims: Readonly<JWTPayload>;
  /** `sub`, when present. */
  readonly subject: string | undefined;
  /** `client_id` (RFC 9068) or `azp`, when present. */
  readonly clientId: string | undefined;
  /** `iss`. */
  readonly issuer: string;
  /** Granted scopes, as read by the configured scope claim. */
  readonly scopes: readonly string[];
  /** Granted roles, as read by the configured roles claim. */
  readonly roles: readonly string[];
  /** When the token expires. */
  readonly expiresAt: Date;
  /** A short SHA-256 digest of the token, for logs and rate-limit keys. */
  readonly fingerprint: string;
  /** How the credential was presented: a bearer or DPoP token, or an API key Tollgate issued. */
  readonly scheme: 'Bearer' | 'DPoP' | 'api-key';
  /** For API keys: the key's id (never the key). */
  readonly keyId?: string | undefined;
  /** For DPoP-bound tokens: the JWK thumbprint of the proof key (`cnf.jkt`). */
  readonly jkt?: string | undefined;
}

/** The scheme of the challenges answering `auth`: API keys travel as bearer credentials. */
export function challengeScheme(auth: Pick<AuthContext, 'scheme'>): 'Bearer' | 'DPoP' {
  return auth.scheme === 'DPoP' ? 'DPoP' : 'Bearer';
}
