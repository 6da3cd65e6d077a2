import type { JWTPayload, ProtectedHeaderParameters } from 'jose';

/**
 * What `authenticate` attaches to a request (`req.auth` in Express, `ctx.state.auth` in Koa).
 */
export interface AuthContext {
  /** The raw access token. Never log it: use `fingerprint`. */
  readonly token: string;
  /** The verified protected header (empty for an introspected token). */
  readonly header: Readonly<ProtectedHeaderParameters>;
  /** The verified claims set, or the introspection answer's members for an opaque token. */
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
  /**
   * How the credential was accepted: a JWT as `Bearer` or `DPoP` (a DPoP-bound one), an opaque
   * token by RFC 7662 `introspection`, or an API key Tollgate issued (`api-key`).
   */
  readonly scheme: 'Bearer' | 'DPoP' | 'introspection' | 'api-key';
  /** For API keys: the key's id (never the key). */
  readonly keyId?: string | undefined;
  /** For DPoP-bound tokens: the JWK thumbprint of the proof key (`cnf.jkt`). */
  readonly jkt?: string | undefined;
  /** For certificate-bound tokens (RFC 8705): the client certificate's SHA-256 thumbprint (`cnf["x5t#S256"]`). */
  readonly x5t?: string | undefined;
}
