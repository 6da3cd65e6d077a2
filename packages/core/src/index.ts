export { createAuthenticator, type Authenticator } from './authenticate.js';
export { parseAuthenticateOptions, type AuthenticateOptions, type IssuerOptions, type ParsedAuthenticateOptions, type ParsedIssuer } from './options.js';
export { createKeySource, KeySourceUnavailableError, type KeySource, type KeySourceOptions, type JwksFetchOptions } from './verify/key-source.js';
export { verifyToken, type VerifiedToken } from './verify/verify.js';
export { extractToken, parseCookies, type ExtractedToken, type TokenLocations } from './extract/extract.js';
export { readClaim, readRoles, readScopes, toStringList, type ClaimReader } from './authorize/claims.js';
export { createScopeGuard, missingValues, type MatchOptions } from './authorize/scopes.js';
export { createRoleGuard } from './authorize/roles.js';
export { createClaimsGuard, type ClaimsCheck } from './authorize/claims-check.js';
export { defineGuard, notAuthenticated, type Guard } from './authorize/guard.js';
export type { MaybePromise } from './promised.js';
export { TollgateError, isTollgateError, type TollgateErrorOptions } from './errors/errors.js';
export { ERROR_TABLE, type RejectionReason, type TollgateErrorCode } from './errors/error-codes.js';
export { buildChallenge, type Challenge } from './errors/challenge.js';
export { assertKnownOptions, nonNegative, setupError, TollgateSetupError, type SetupErrorCode } from './errors/setup-error.js';
export { emitAudit, pinoAuditSink, type AuditEvent, type AuditSink, type AuthenticatedEvent, type ForbiddenEvent, type LevelLogger, type RejectedEvent } from './monitoring/audit.js';
export {
  attachPolicy, authenticatesPath, describeRoute, joinPaths, POLICY, readPolicy,
  type AuthenticatePolicy, type ClaimsPolicy, type PolicyDescriptor, type RateLimitPolicy, type ReplayPolicy, type RolesPolicy, type RouteDescription, type ScopesPolicy,
} from './policy/policy.js';
export { assertRevocationTime, DEFAULT_MAX_TOKEN_LIFETIME, maxTokenLifetimeMs, MemoryRevocationStore, StoreFullError, type RevocationStore, type RevocationSubject } from './revocation/revocation.js';
export { fingerprint } from './fingerprint.js';
export { isPreflight, requestPath, type TollgateRequest } from './extract/request.js';
export { problemBody, type ProblemBody } from './errors/problem.js';
export type { AuthContext } from './context.js';
export { ASYMMETRIC_ALGORITHMS, SYMMETRIC_ALGORITHMS, type Algorithm } from './verify/algorithms.js';
export { createProtector, type ProtectOptions, type Protector } from './policy/protect.js';
export { isPublicPath } from './policy/policy.js';
export { currentDpopNonce, verifyDpopProof } from './dpop/dpop.js';
export { parseDpopOptions, type DpopNonceOptions, type DpopOptions, type ParsedDpopOptions } from './dpop/dpop-options.js';
export { revoke, type RevocationRecord, type RevocationTarget } from './revocation/revoke.js';
export { createRateLimiter, parseRateLimitOptions, type ParsedRateLimitOptions, type RateLimitDecision, type RateLimiter, type RateLimitInfo, type RateLimitKey, type RateLimitLimit, type RateLimitLogger, type RateLimitOptions } from './limits/rate-limit.js';
export { MemoryRateLimitStore, type ClientRateLimitInfo, type MemoryRateLimitStoreOptions, type RateLimitStore, type RateLimitStoreInitOptions } from './limits/rate-limit-store.js';
export { createReplayGuard, type ReplayOptions } from './replay/replay.js';
export { assertTtl, MemoryNonceStore, type MemoryNonceStoreOptions, type NonceStore } from './replay/nonce-store.js';
export { reportRejection } from './authorize/guard.js';
