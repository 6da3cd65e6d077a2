import { hash } from 'node:crypto';
import type { JWTPayload } from 'jose';
import { LRUCache } from 'lru-cache';
import type { AuthContext } from '../context.js';
import { readCappedText } from './read-capped.js';
import { TokenCache } from './token-cache.js';
import type { Challenge } from '../errors/challenge.js';
import type { RejectionReason } from '../errors/error-codes.js';
import { TollgateError } from '../errors/errors.js';
import { assertKnownOptions, nonNegative, setupError } from '../errors/setup-error.js';

/** Opaque access tokens checked at the authorization server, RFC 7662. */
export interface IntrospectionOptions {
  /** The introspection endpoint (`https://id.example.com/oauth2/introspect`). */
  endpoint: string | URL;
  /** Tollgate's own client id at the authorization server. */
  clientId: string;
  /** Its client secret, sent by `client_secret_basic` (RFC 6749 §2.3.1). */
  clientSecret: string;
  /** An active answer is reused for at most this many ms (never past the token's `exp`). Default 60000; 0 asks every time. */
  cacheTtlMs?: number;
  /** Abort an introspection request after this many ms (a 503). Default 2000. */
  timeoutMs?: number;
}

/** {@link IntrospectionOptions}, validated and frozen, with whom its answers must name. */
export interface ParsedIntrospectionOptions {
  readonly endpoint: URL;
  /** Accepted `iss` of an answer (when it carries one). */
  readonly issuers: readonly string[];
  /** Accepted `aud`: an answer must name one. */
  readonly audiences: readonly string[];
  /** The `Authorization` header value: the form-encoded id and secret, base64, never logged. */
  readonly authorization: string;
  readonly cacheTtlMs: number;
  readonly timeoutMs: number;
}

// RFC 6749 §2.3.1: id and secret are form-encoded (application/x-www-form-urlencoded) before Basic.
function formEncode(value: string): string {
  return new URLSearchParams({ v: value }).toString().slice(2);
}

/** Validates `authenticate`'s `introspection` option once, at setup. */
export function parseIntrospectionOptions(value: IntrospectionOptions, expected: Pick<ParsedIntrospectionOptions, 'issuers' | 'audiences'>): ParsedIntrospectionOptions {
  if (typeof value !== 'object' || value === null) return setupError('ERR_TOLLGATE_INVALID_OPTION', 'introspection must be an object');
  assertKnownOptions(value, ['endpoint', 'clientId', 'clientSecret', 'cacheTtlMs', 'timeoutMs'], 'introspection');
  let endpoint: URL;
  try {
    endpoint = new URL(value.endpoint);
  } catch {
    return setupError('ERR_TOLLGATE_INVALID_OPTION', 'introspection.endpoint is not a URL');
  }
  if (endpoint.protocol !== 'https:' && endpoint.protocol !== 'http:') setupError('ERR_TOLLGATE_INVALID_OPTION', 'introspection.endpoint must be http(s)');
  if (endpoint.username !== '' || endpoint.password !== '') setupError('ERR_TOLLGATE_INVALID_OPTION', 'introspection.endpoint must not carry credentials; use clientId and clientSecret');
  for (const name of ['clientId', 'clientSecret'] as const) {
    if (typeof value[name] !== 'string' || value[name] === '') setupError('ERR_TOLLGATE_INVALID_OPTION', `introspection.${name} must be a non-empty string`);
  }
  const timeoutMs = nonNegative(value.timeoutMs, 'introspection.timeoutMs', 2000);
  if (timeoutMs === 0) setupError('ERR_TOLLGATE_INVALID_OPTION', 'introspection.timeoutMs must be positive');
  const basic = Buffer.from(`${formEncode(value.clientId)}:${formEncode(value.clientSecret)}`).toString('base64');
  const parsed = { endpoint, issuers: expected.issuers, audiences: expected.audiences, cacheTtlMs: nonNegative(value.cacheTtlMs, 'introspection.cacheTtlMs', 60_000), timeoutMs } as ParsedIntrospectionOptions;
  // Not enumerable: options that end up in a log or a JSON dump do not carry the credentials.
  Object.defineProperty(parsed, 'authorization', { value: `Basic ${basic}`, enumerable: false });
  return Object.freeze(parsed);
}

/** What else an active answer is checked against: the same rules as a JWT's claims. */
export interface IntrospectionContext {
  /** Seconds of leeway for `exp`, `nbf` and `iat`. */
  readonly clockTolerance: number;
  readonly maxTokenAge: number | undefined;
  readonly requiredClaims: readonly string[];
  readonly now: () => number;
  readonly fetch: typeof globalThis.fetch;
}

/** Turns a checked answer into the auth context (built by the authenticator, as for a JWT). */
export type ContextBuilder = (token: string, claims: JWTPayload, challenges: readonly Challenge[]) => AuthContext;

/** The introspection client of one authenticator: a bounded cache in front of the endpoint. */
export interface Introspector {
  /**
   * The cached answer for `token`: its context, `undefined` when nothing is cached; throws the
   * 401 of a refusal seen in the last {@link REFUSAL_TTL_MS}.
   */
  lookup(token: string, now: number, challenges: readonly Challenge[]): AuthContext | undefined;
  /** Asks the endpoint (one request per token at a time) and caches the answer. */
  introspect(token: string, challenges: readonly Challenge[]): Promise<AuthContext>;
}

/** Refusals (inactive, foreign, expired) are remembered this long, so a rejected token does not hammer the endpoint. */
export const REFUSAL_TTL_MS = 5000;
const MAX_ENTRIES = 10_000;
const MAX_BODY_BYTES = 64 * 1024;

interface Refusal {
  readonly reason: RejectionReason;
  readonly description: string;
  readonly until: number;
}

/** The answer could not be had or read: the endpoint is down, slow, refusing us, or answering garbage. */
class IntrospectionUnavailableError extends Error {
  override readonly name = 'IntrospectionUnavailableError';
}

/** What went wrong, without the message (a fetch failure's message may name the endpoint's credentials-bearing request). */
function errorKind(error: unknown): string {
  const code = (error as { cause?: { code?: unknown } } | null)?.cause?.code;
  const given = (error as { name?: unknown } | null)?.name; // not instanceof: fetch's errors may come from another realm
  const name = typeof given === 'string' ? given : typeof error;
  return typeof code === 'string' ? `${name}, ${code}` : name;
}

function digest(token: string): string {
  return hash('sha256', token, 'base64url');
}

/** Reads a JSON body of at most {@link MAX_BODY_BYTES}. */
async function readJson(response: Response): Promise<unknown> {
  const type = response.headers.get('content-type') ?? '';
  if (!/^application\/(?:[\w.+-]+\+)?json\s*(?:;|$)/i.test(type)) throw new IntrospectionUnavailableError(`answered ${type === '' ? 'no content type' : 'a non-JSON content type'}`);
  const text = await readCappedText(response, MAX_BODY_BYTES, (problem) => new IntrospectionUnavailableError(problem === 'no body' ? 'answered no body' : 'answered too large a body'));
  return JSON.parse(text) as unknown;
}

const ACCESS_TOKEN_TYPES = new Set(['bearer', 'dpop', 'access_token', 'urn:ietf:params:oauth:token-type:access_token']);

/** Checks an active answer as a JWT's claims are checked; returns the refusal, or `undefined` when it passes. */
function refusalOf(claims: Record<string, unknown>, expected: ParsedIntrospectionOptions, context: IntrospectionContext): [RejectionReason, string] | undefined {
  const now = context.now() / 1000;
  const tolerance = context.clockTolerance;
  for (const name of context.requiredClaims) if (claims[name] === undefined) return ['missing_claim', `The access token has no ${name} claim`];
  const { exp, nbf, iat, aud, iss } = claims;
  if (typeof exp !== 'number') return ['invalid_claim', 'The access token has an invalid exp claim'];
  if (exp <= now - tolerance) return ['expired', 'The access token expired'];
  if (nbf !== undefined && (typeof nbf !== 'number' || nbf > now + tolerance)) return ['not_yet_valid', 'The access token is not valid yet'];
  if (iat !== undefined && typeof iat !== 'number') return ['invalid_claim', 'The access token has an invalid iat claim'];
  if (typeof iat === 'number' && iat > now + tolerance) return ['not_yet_valid', 'The access token was issued in the future'];
  if (context.maxTokenAge !== undefined && (typeof iat !== 'number' || iat + context.maxTokenAge < now - tolerance)) return ['too_old', 'The access token is too old'];
  // RFC 7662 makes aud optional; Tollgate does not: an answer that names no audience may be for any resource.
  const audiences = typeof aud === 'string' ? [aud] : Array.isArray(aud) ? aud : undefined;
  if (audiences === undefined) return ['missing_claim', 'The access token has no aud claim'];
  if (!audiences.some((a) => typeof a === 'string' && expected.audiences.includes(a))) return ['wrong_audience', 'The access token is not meant for this audience'];
  if (iss !== undefined && (typeof iss !== 'string' || !expected.issuers.includes(iss))) return ['untrusted_issuer', 'The access token was issued by an untrusted issuer'];
  const type = claims.token_type;
  if (type !== undefined && (typeof type !== 'string' || !ACCESS_TOKEN_TYPES.has(type.toLowerCase()))) return ['wrong_type', 'The token is not an access token'];
  return undefined;
}

/**
 * Creates the RFC 7662 client: `POST endpoint` with `token` and `token_type_hint=access_token`,
 * authenticated by `client_secret_basic`. `active: false` and an answer that fails the claim
 * checks are a 401 `invalid_token` (remembered for {@link REFUSAL_TTL_MS}); an endpoint that
 * cannot be reached in `timeoutMs`, answers anything but a 200 with a JSON object holding a
 * boolean `active` (a 401 for Tollgate's own credentials included) is a 503; a 400
 * `unsupported_token_type` reads as `active: false`. Active answers are
 * cached until `min(exp, cacheTtlMs)`, refusals by the token's SHA-256.
 */
export function createIntrospector(options: ParsedIntrospectionOptions, context: IntrospectionContext, build: ContextBuilder): Introspector {
  // Active answers are looked up as the JWT cache looks up verified tokens (no hash on a hit: the
  // whole token must equal the cached one); refusals, which hold no context, by the token's
  // SHA-256, so an attacker's long random tokens cost 43 characters each.
  const accepted = new TokenCache(MAX_ENTRIES, options.cacheTtlMs);
  const refused = new LRUCache<string, Refusal>({ max: MAX_ENTRIES });
  const inFlight = new Map<string, Promise<Record<string, unknown>>>();

  const invalid = (refusal: Pick<Refusal, 'reason' | 'description'>, challenges: readonly Challenge[]) =>
    new TollgateError('invalid_token', refusal.description, { reason: refusal.reason, challenge: [...challenges] });

  async function ask(token: string): Promise<Record<string, unknown>> {
    let answer: unknown;
    try {
      const response = await context.fetch(options.endpoint, {
        method: 'POST',
        headers: { authorization: options.authorization, 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
        body: new URLSearchParams({ token, token_type_hint: 'access_token' }).toString(),
        signal: AbortSignal.timeout(options.timeoutMs),
        redirect: 'manual',
      });
      if (response.status === 400) {
        // RFC 7009 §2.2.1's `unsupported_token_type` (oidc-provider's answer for a JWT): the token
        // cannot be checked there, which says nothing against the endpoint. Any other 400 is ours.
        const error = await readJson(response).catch(() => undefined) as { error?: unknown } | undefined;
        if (error?.error === 'unsupported_token_type') return { active: false };
        throw new IntrospectionUnavailableError('answered 400');
      }
      if (response.status !== 200) {
        await response.body?.cancel();
        throw new IntrospectionUnavailableError(`answered ${response.status}`);
      }
      answer = await readJson(response);
    } catch (error) {
      throw new TollgateError('temporarily_unavailable', 'The access token cannot be checked right now', {
        reason: 'introspection_unavailable', headers: { 'Retry-After': '5' }, cause: error instanceof IntrospectionUnavailableError ? error : new IntrospectionUnavailableError(`could not be reached (${errorKind(error)})`),
      });
    }
    if (answer === null || typeof answer !== 'object' || Array.isArray(answer) || typeof (answer as { active?: unknown }).active !== 'boolean') {
      throw new TollgateError('temporarily_unavailable', 'The access token cannot be checked right now', {
        reason: 'introspection_unavailable', headers: { 'Retry-After': '5' }, cause: new IntrospectionUnavailableError('answered no introspection response'),
      });
    }
    return answer as Record<string, unknown>;
  }

  return Object.freeze({
    lookup(token: string, now: number, challenges: readonly Challenge[]): AuthContext | undefined {
      const hit = accepted.size === 0 ? undefined : accepted.get(token, now);
      if (hit !== undefined || refused.size === 0) return hit;
      const key = digest(token);
      const refusal = refused.get(key);
      if (refusal === undefined) return undefined;
      if (now < refusal.until) throw invalid(refusal, challenges);
      refused.delete(key);
      return undefined;
    },

    async introspect(token: string, challenges: readonly Challenge[]): Promise<AuthContext> {
      const key = digest(token);
      let pending = inFlight.get(key);
      if (pending === undefined) {
        pending = ask(token).finally(() => inFlight.delete(key));
        inFlight.set(key, pending);
      }
      const answer = await pending;
      const now = context.now();
      const { active, ...claims } = answer;
      const refusal: [RejectionReason, string] | undefined = active === true ? refusalOf(claims, options, context) : ['inactive_token', 'The access token is not active'];
      if (refusal !== undefined) {
        const [reason, description] = refusal;
        refused.set(key, { reason, description, until: now + REFUSAL_TTL_MS });
        throw invalid({ reason, description }, challenges);
      }
      const auth = build(token, claims as JWTPayload, challenges);
      accepted.set(token, auth, now);
      return auth;
    },
  });
}
