export { authenticate } from './authenticate.js';
export { preventReplay, requireAuthLevel, requireClaims, requireRoles, requireScopes } from './guards.js';
export { errorHandler } from './error-handler.js';
export { describeRoutes } from './describe-routes.js';
export { probeRoutes } from './probe-routes.js';
export { toTollgateRequest } from './request.js';
export { protect, type KoaProtectOptions } from './protect.js';
export { rateLimitPerToken } from './rate-limit.js';
export { metricsEndpoint } from './metrics-endpoint.js';
export {
  MemoryAnomalyStore, MemoryNonceStore, MemoryRateLimitStore, MemoryRevocationStore, revoke, TollgateError, TollgateSetupError, isTollgateError, pinoAuditSink, combineSinks, tollgateMetrics,
  type AnomalyEvent, type AnomalyOptions, type AnomalyStore, type TollgateMetrics, type TollgateMetricsOptions,
  type AuditEvent, type AuditSink, type AuthContext, type AuthenticateOptions, type AuthLevelOptions, type IntrospectionOptions, type MtlsOptions, type ClientRateLimitInfo, type RateLimitInfo, type RateLimitKey, type RateLimitLimit, type RateLimitOptions, type RateLimitStore, type ClaimsCheck, type MatchOptions,
  type PolicyDescriptor, type NonceStore, type ProtectOptions, type ReplayOptions, type RevocationStore, type RouteDescription,
} from '@tollgate/core';
export { ApiKeys, MemoryApiKeyStore, type ApiKeyInfo, type ApiKeyRecord, type ApiKeyStore, type ApiKeysOptions } from '@tollgate/core';
