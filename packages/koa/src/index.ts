export { authenticate } from './authenticate.js';
export { preventReplay, requireClaims, requireRoles, requireScopes } from './guards.js';
export { errorHandler } from './error-handler.js';
export { describeRoutes } from './describe-routes.js';
export { probeRoutes } from './probe-routes.js';
export { toTollgateRequest } from './request.js';
export { protect } from './protect.js';
export { rateLimitPerToken } from './rate-limit.js';
export {
  MemoryNonceStore, MemoryRateLimitStore, MemoryRevocationStore, revoke, TollgateError, TollgateSetupError, isTollgateError, pinoAuditSink,
  type AuditEvent, type AuditSink, type AuthContext, type AuthenticateOptions, type ClientRateLimitInfo, type RateLimitInfo, type RateLimitKey, type RateLimitLimit, type RateLimitOptions, type RateLimitStore, type ClaimsCheck, type MatchOptions,
  type PolicyDescriptor, type NonceStore, type ProtectOptions, type ReplayOptions, type RevocationStore, type RouteDescription,
} from '@tollgate/core';
