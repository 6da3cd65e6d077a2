export { createAuthenticator, type Authenticator } from './authenticate.js';
export { parseAuthenticateOptions, type AuthenticateOptions, type IssuerOptions, type ParsedAuthenticateOptions, type ParsedIssuer } from './options.js';
export { createKeySource, KeySourceUnavailableError, type KeySource, type KeySourceOptions, type JwksFetchOptions } from './key-source.js';
export { verifyToken, type VerifiedToken } from './verify.js';
export { extractToken, parseCookies, type ExtractedToken, type TokenLocations } from './extract.js';
export { readClaim, readRoles, readScopes, toStringList, type ClaimReader } from './claims.js';
export { createScopeGuard, missingValues, type MatchOptions } from './scopes.js';
export { createRoleGuard } from './roles.js';
export { createClaimsGuard, type ClaimsCheck } from './claims-check.js';
export { defineGuard, notAuthenticated, type Guard } from './guard.js';
export type { MaybePromise } from './promised.js';
export { TollgateError, isTollgateError, type TollgateErrorOptions } from './errors.js';
export { ERROR_TABLE, type RejectionReason, type TollgateErrorCode } from './error-codes.js';
export { buildChallenge, type Challenge } from './challenge.js';
export { assertKnownOptions, nonNegative, setupError, TollgateSetupError, type SetupErrorCode } from './setup-error.js';
export { emitAudit, pinoAuditSink, type AuditEvent, type AuditSink, type AuthenticatedEvent, type ForbiddenEvent, type LevelLogger, type RejectedEvent } from './audit.js';
export {
  attachPolicy, authenticatesPath, describeRoute, joinPaths, POLICY, readPolicy,
  type AuthenticatePolicy, type ClaimsPolicy, type PolicyDescriptor, type RateLimitPolicy, type ReplayPolicy, type RolesPolicy, type RouteDescription, type ScopesPolicy,
} from './policy.js';
export { assertRevocationTime, MemoryRevocationStore, StoreFullError, type RevocationStore, type RevocationSubject } from './revocation.js';
export { fingerprint } from './fingerprint.js';
export { isPreflight, requestPath, type TollgateRequest } from './request.js';
export { problemBody, type ProblemBody } from './problem.js';
export type { AuthContext } from './context.js';
export { ASYMMETRIC_ALGORITHMS, SYMMETRIC_ALGORITHMS, type Algorithm } from './algorithms.js';
export { createProtector, type ProtectOptions, type Protector } from './protect.js';
export { isPublicPath } from './policy.js';
export { currentDpopNonce, verifyDpopProof } from './dpop.js';
export { parseDpopOptions, type DpopNonceOptions, type DpopOptions, type ParsedDpopOptions } from './dpop-options.js';
export { revoke, type RevocationRecord, type RevocationTarget } from './revoke.js';
export { createRateLimiter, parseRateLimitOptions, type ParsedRateLimitOptions, type RateLimitDecision, type RateLimiter, type RateLimitInfo, type RateLimitKey, type RateLimitLimit, type RateLimitLogger, type RateLimitOptions } from './rate-limit.js';
export { MemoryRateLimitStore, type ClientRateLimitInfo, type MemoryRateLimitStoreOptions, type RateLimitStore, type RateLimitStoreInitOptions } from './rate-limit-store.js';
export { createReplayGuard, type ReplayOptions } from './replay.js';
export { assertTtl, MemoryNonceStore, type MemoryNonceStoreOptions, type NonceStore } from './nonce-store.js';
export { reportRejection } from './guard.js';
