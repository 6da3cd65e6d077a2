export { createAuthenticator, type Authenticator } from './authenticate.js';
export { parseAuthenticateOptions, type AuthenticateOptions, type IssuerOptions, type ParsedAuthenticateOptions, type ParsedIssuer } from './options.js';
export { createKeySource, KeySourceUnavailableError, type KeySource, type KeySourceOptions, type JwksFetchOptions } from './verify/key-source.js';
export { verifyToken, type VerifiedToken } from './verify/verify.js';
export { extractToken, parseCookies, type ExtractedToken, type TokenLocations } from './extract/extract.js';
export { readClaim, readRoles, readScopes, toStringList, type ClaimReader } from './authorize/claims.js';
export { createScopeGuard, missingValues, type MatchOptions } from './authorize/scopes.js';
export { createRoleGuard } from './authorize/roles.js';
export { createClaimsGuard, type ClaimsCheck } from './authorize/claims-check.js';
export { createAuthLevelGuard, type AuthLevelOptions } from './authorize/step-up.js';
export { REFUSAL_TTL_MS, type IntrospectionOptions } from './verify/introspection.js';
export { certificateThumbprint, tlsClientCertificate, type MtlsOptions } from './verify/mtls.js';
export { defineGuard, notAuthenticated, type Guard } from './authorize/guard.js';
export type { MaybePromise } from './promised.js';
export { TollgateError, isTollgateError, type StoreKind, type TollgateErrorOptions } from './errors/errors.js';
export { LibraryErrorSummary } from './errors/library-cause.js';
export { ERROR_TABLE, type RejectionReason, type TollgateErrorCode } from './errors/error-codes.js';
export { buildChallenge, type Challenge } from './errors/challenge.js';
export { assertKnownOptions, nonNegative, setupError, TollgateSetupError, type SetupErrorCode } from './errors/setup-error.js';
export {
  combineSinks, emitAudit, markMetricsSink, metricsHooks, pinoAuditSink, wantsMetrics,
  type AnomalyEvent, type AnomalyKind, type AuditEvent, type AuditSink, type AuthenticatedEvent, type ForbiddenEvent, type KeyFetchOutcome, type LevelLogger, type MetricsHooks, type RejectedEvent, type StoreErrorEvent,
} from './monitoring/audit.js';
export { metricsRegistry, tollgateMetrics, type TollgateMetrics, type TollgateMetricsOptions } from './monitoring/metrics.js';
export { parseAnomalyOptions, type AnomalyOptions, type ParsedAnomalyOptions } from './monitoring/anomalies.js';
export { MemoryAnomalyStore, type AnomalyStore, type ClientCount, type ClientWindow, type FailureWindow, type MemoryAnomalyStoreOptions } from './monitoring/anomaly-store.js';
export { clientKey } from './monitoring/client-address.js';
export {
  attachPolicy, authenticatesPath, describeRoute, isPassThrough, joinPaths, markPassThrough, POLICY, publicPathsServed, readPolicy,
  type AuthenticatePolicy, type AuthLevelPolicy, type ClaimsPolicy, type PolicyDescriptor, type RateLimitPolicy, type ReplayPolicy, type RolesPolicy, type RouteConcern, type RouteDescription, type RouteFacts, type ScopesPolicy,
} from './policy/policy.js';
export {
  EVERY_PATH_PATTERN, examplePath, joinPatterns, parsePattern, patternCovers, patternMayServe, patternsMayOverlap,
  type PatternDialect, type PatternSegment, type PatternSettings, type RoutePattern,
} from './policy/route-pattern.js';
export { guardsInFront, type OwnGuards, type RouteEntry } from './policy/route-guards.js';
export { handlerSlots, instrumentOnce, setHandlerSlots, swapHandlers, type HandlerSlot, type ProbeTarget, type StandIns } from './policy/probe-slots.js';
export { assertRevocationTime, DEFAULT_MAX_TOKEN_LIFETIME, maxTokenLifetimeMs, MemoryRevocationStore, StoreFullError, type RevocationStore, type RevocationSubject } from './revocation/revocation.js';
export { isBeforeCutoff, revocationKey, revocationKeysOf, type RevocationKind } from './revocation/revocation-key.js';
export { fingerprint } from './fingerprint.js';
export { isPreflight, requestPath, type TollgateRequest } from './extract/request.js';
export { problemBody, type ProblemBody } from './errors/problem.js';
export type { AuthContext } from './context.js';
export { ASYMMETRIC_ALGORITHMS, SYMMETRIC_ALGORITHMS, type Algorithm } from './verify/algorithms.js';
export { createProtector, type ProtectOptions, type Protector } from './policy/protect.js';
export { isPublicPath } from './policy/policy.js';
export { currentDpopNonce, verifyDpopProof } from './dpop/dpop.js';
export { parseDpopOptions, type DpopNonceOptions, type DpopOptions, type ParsedDpopOptions } from './dpop/dpop-options.js';
export { revoke, type RevocationRecord, type RevocationTarget, type RevokeOptions } from './revocation/revoke.js';
export { createRateLimiter, parseRateLimitOptions, type ParsedRateLimitOptions, type RateLimitDecision, type RateLimiter, type RateLimitInfo, type RateLimitKey, type RateLimitLimit, type RateLimitLogger, type RateLimitOptions } from './limits/rate-limit.js';
export { appendHeaders, type HeaderTarget } from './limits/append-headers.js';
export { MemoryRateLimitStore, type ClientRateLimitInfo, type MemoryRateLimitStoreOptions, type RateLimitStore, type RateLimitStoreInitOptions } from './limits/rate-limit-store.js';
export { createReplayGuard, type ReplayOptions } from './replay/replay.js';
export { assertTtl, MemoryNonceStore, type MemoryNonceStoreOptions, type NonceStore } from './replay/nonce-store.js';
export { reportRejection } from './authorize/guard.js';
export { ApiKeys, apiKeyInfo, type ApiKeyInfo, type ApiKeysDescription, type ApiKeysOptions, type CreateApiKeyInput, type CreatedApiKey } from './api-keys/api-keys.js';
export { MemoryApiKeyStore, refilledCap, type ApiKeyPatch, type ApiKeyRecord, type ApiKeyRefill, type ApiKeyStore, type MemoryApiKeyStoreOptions } from './api-keys/api-key-store.js';
export { checksum as apiKeyChecksum, keyPattern as apiKeyPattern } from './api-keys/key-format.js';
export { API_KEY_ISSUER } from './api-keys/api-key-auth.js';
