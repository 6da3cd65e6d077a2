/**
 * Every error code a Tollgate middleware can answer with, in one place.
 *
 * The first six are the RFC 6750 §3.1, RFC 9470 §3 and RFC 9449 §7.1 codes that travel in
 * `WWW-Authenticate`; the rest are Tollgate's own, used in problem bodies and audit events.
 * `missing_token` is the RFC 6750 §3.1 case of a request with no credentials: its challenge
 * carries no `error` attribute.
 */
export const ERROR_TABLE = {
  missing_token: { status: 401, challenge: false },
  invalid_request: { status: 400, challenge: true },
  invalid_token: { status: 401, challenge: true },
  insufficient_scope: { status: 403, challenge: true },
  insufficient_user_authentication: { status: 401, challenge: true },
  invalid_dpop_proof: { status: 401, challenge: true },
  use_dpop_nonce: { status: 401, challenge: true },
  rate_limited: { status: 429, challenge: false },
  quota_exhausted: { status: 429, challenge: false },
  temporarily_unavailable: { status: 503, challenge: false },
} as const;

/** A stable, machine-readable Tollgate error code. */
export type TollgateErrorCode = keyof typeof ERROR_TABLE;

/**
 * Why a request was refused, finer than the wire code. Audit events and logs carry it;
 * clients see only the code and a description.
 */
export type RejectionReason =
  | 'no_token'
  | 'malformed_header'
  | 'multiple_token_methods'
  | 'token_too_large'
  | 'malformed_token'
  | 'non_canonical'
  | 'unsupported_token_type'
  | 'forbidden_header'
  | 'alg_not_allowed'
  | 'unknown_key'
  | 'bad_signature'
  | 'untrusted_issuer'
  | 'wrong_audience'
  | 'wrong_type'
  | 'expired'
  | 'not_yet_valid'
  | 'too_old'
  | 'missing_claim'
  | 'invalid_claim'
  | 'revoked'
  | 'replayed'
  | 'missing_jti'
  | 'not_authenticated'
  | 'insufficient_scope'
  | 'insufficient_role'
  | 'claim_check_failed'
  | 'dpop_required'
  | 'dpop_invalid'
  | 'dpop_nonce_required'
  | 'dpop_binding_mismatch'
  | 'unsupported_confirmation'
  | 'certificate_required'
  | 'certificate_mismatch'
  | 'inactive_token'
  | 'introspection_unavailable'
  | 'insufficient_acr'
  | 'authentication_too_old'
  | 'rate_limited'
  | 'client_blocked'
  | 'many_clients'
  | 'invalid_key'
  | 'quota_exhausted'
  | 'key_source_unavailable'
  | 'store_unavailable';
