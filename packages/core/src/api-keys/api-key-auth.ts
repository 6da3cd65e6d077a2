import type { AuthContext } from '../context.js';
import { TollgateError } from '../errors/errors.js';
import type { ExtractedToken, ExtractOptions } from '../extract/extract.js';
import { headerValue, type TollgateRequest } from '../extract/request.js';
import { fingerprint } from '../fingerprint.js';
import { deepFreeze } from '../policy/policy.js';
import type { ApiKeyRecord } from './api-key-store.js';
import type { ApiKeys } from './api-keys.js';

/** The `expiresAt` of a key that never expires: the latest time a Date can hold. */
const NEVER = new Date(8_640_000_000_000_000);

/** The issuer named in the auth context of an API key. */
export const API_KEY_ISSUER = 'tollgate:api-key';

/**
 * The API key a request presents, if any: the `apiKeys.header` value, or a `Bearer` value that
 * starts with the key prefix (anything else there is a JWT). A key beside any other credential is
 * a 400, as is a repeated key header.
 */
export function findApiKey(req: TollgateRequest, found: ExtractedToken | undefined, apiKeys: ApiKeys, options: ExtractOptions): string | undefined {
  const { value, repeated } = headerValue(req, apiKeys.header);
  const invalid = (description: string, reason: 'malformed_header' | 'multiple_token_methods' | 'token_too_large') =>
    new TollgateError('invalid_request', description, { reason, challenge: [...options.challenges] });
  // Node joins a repeated header with ", "; a key never holds a comma.
  if (repeated || value?.includes(',') === true) throw invalid(`More than one ${apiKeys.header} header`, 'malformed_header');
  if (value !== undefined && value !== '') {
    if (found !== undefined) throw invalid('The access token was sent by more than one method', 'multiple_token_methods');
    if (value.length > options.maxTokenLength) throw invalid('The API key is too large', 'token_too_large');
    return value;
  }
  return found?.scheme === 'Bearer' && apiKeys.isApiKey(found.token) ? found.token : undefined;
}

/** The auth context of a verified key: what every guard, limit and audit event reads. */
export function apiKeyContext(key: string, record: ApiKeyRecord): AuthContext {
  const expiresAt = record.expiresAt === undefined ? NEVER : new Date(record.expiresAt.getTime());
  return Object.freeze({
    token: key,
    header: Object.freeze({}),
    claims: deepFreeze({
      ...structuredClone(record.claims ?? {}),
      sub: record.subject, scope: record.scopes.join(' '), roles: [...record.roles],
      ...(record.expiresAt === undefined ? {} : { exp: Math.floor(record.expiresAt.getTime() / 1000) }),
    }),
    subject: record.subject,
    clientId: undefined,
    issuer: API_KEY_ISSUER,
    scopes: Object.freeze([...record.scopes]),
    roles: Object.freeze([...record.roles]),
    expiresAt,
    fingerprint: fingerprint(key),
    scheme: 'api-key',
    keyId: record.id,
  });
}
