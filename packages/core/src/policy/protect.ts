import { createAuthenticator, type Authenticator } from '../authenticate.js';
import type { AuthenticateOptions } from '../options.js';
import { isPublicPath, type AuthenticatePolicy } from './policy.js';
import { requestPath, type TollgateRequest } from '../extract/request.js';
import { setupError } from '../errors/setup-error.js';

/** Options of `protect`: `authenticate`'s, plus the paths left public. */
export interface ProtectOptions extends AuthenticateOptions {
  /**
   * Paths that need no token: exact (`/health`) or a prefix ending in `/*` (`/docs/*`).
   * Matching is exact and case-sensitive on the raw path, so a variant spelling is not public.
   */
  public?: readonly string[];
}

/** Default deny: an authenticator for every request except the listed public paths. */
export interface Protector {
  readonly authenticator: Authenticator;
  readonly policy: AuthenticatePolicy;
  isPublic(req: TollgateRequest): boolean;
}

/** Creates the framework-free part of `protect(app, options)`. */
export function createProtector(options: ProtectOptions): Protector {
  const { public: publicPaths = [], ...authenticateOptions } = options ?? {};
  if (!Array.isArray(publicPaths)) setupError('ERR_TOLLGATE_INVALID_OPTION', 'protect: public must be an array of paths');
  for (const path of publicPaths) {
    if (typeof path !== 'string' || !path.startsWith('/') || (path.includes('*') && !path.endsWith('/*')) || path.indexOf('*') !== path.lastIndexOf('*')) {
      setupError('ERR_TOLLGATE_INVALID_OPTION', `protect: public path ${JSON.stringify(path)} must start with / and may only end in /*`);
    }
  }
  const authenticator = createAuthenticator(authenticateOptions);
  const paths = Object.freeze([...publicPaths]);
  const isPublic = (req: TollgateRequest): boolean => isPublicPath(requestPath(req), paths);
  return Object.freeze({
    authenticator,
    policy: { ...authenticator.policy, publicPaths: paths },
    isPublic,
  });
}
