import { auditBase, emitAudit, metricsHooks, rejection, wantsMetrics, type AuthenticatedEvent } from './monitoring/audit.js';
import { createAnomalyWatch } from './monitoring/anomalies.js';
import { withKeyFetchEvents } from './monitoring/key-fetches.js';
import { readRoles, readScopes } from './authorize/claims.js';
import type { AuthContext } from './context.js';
import { isTollgateError, TollgateError } from './errors/errors.js';
import { assertTokenSyntax, findToken, type ExtractedToken, type ExtractOptions } from './extract/extract.js';
import { fingerprint } from './fingerprint.js';
import { parseAuthenticateOptions, type AuthenticateOptions, type ParsedAuthenticateOptions } from './options.js';
import { deepFreeze, type AuthenticatePolicy } from './policy/policy.js';
import type { TollgateRequest } from './extract/request.js';
import { TokenCache } from './verify/token-cache.js';
import { countDots, verifyToken } from './verify/verify.js';
import { readConfirmation } from './verify/confirmation.js';
import { createIntrospector, type Introspector } from './verify/introspection.js';
import { checkCertificateBinding } from './verify/mtls.js';
import { challengeScheme, type Challenge } from './errors/challenge.js';
import type { JWTPayload, ProtectedHeaderParameters } from 'jose';
import { bindAuditSink } from './authorize/guard.js';
import { currentDpopNonce, verifyDpopProof, type DpopContext } from './dpop/dpop.js';
import { ProofQuota } from './dpop/proof-quota.js';
import { isThenable, promised, type MaybePromise } from './promised.js';
import { apiKeyContext, findApiKey } from './api-keys/api-key-auth.js';
import type { ApiKeyRecord } from './api-keys/api-key-store.js';

/** The framework-free heart of `authenticate`, shared by every adapter. */
export interface Authenticator {
  readonly options: ParsedAuthenticateOptions;
  readonly policy: AuthenticatePolicy;
  /** Extracts and verifies the token; resolves to the auth context or rejects with a {@link TollgateError}. */
  authenticate(req: TollgateRequest): Promise<AuthContext>;
  /**
   * `authenticate` for adapters on the hot path: returns the context itself when nothing is left
   * to wait for (a cache hit with no DPoP proof and no revocation store to consult), else a
   * promise; a failure may be thrown instead of rejected. Every check runs either way.
   */
  attempt(req: TollgateRequest): MaybePromise<AuthContext>;
  /** Headers for a successful response (the current `DPoP-Nonce` when nonces are on), or `undefined`. */
  responseHeaders(): Readonly<Record<string, string>> | undefined;
}

function stringClaim(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

function describe(options: ParsedAuthenticateOptions): AuthenticatePolicy {
  const { tokenLocations: l, introspection, mtls } = options;
  const locations = [l.header && 'header', l.body && 'body', l.query && 'query', l.cookie !== false && `cookie:${l.cookie}`].filter((x): x is string => typeof x === 'string');
  return {
    kind: 'authenticate',
    issuers: [...new Set([...options.issuers.flatMap((i) => i.issuers), ...(introspection?.issuers ?? [])])],
    audiences: [...new Set([...options.issuers.flatMap((i) => i.audiences), ...(introspection?.audiences ?? [])])],
    algorithms: [...new Set(options.issuers.flatMap((i) => i.keySource.algorithms))],
    tokenLocations: locations,
    typ: options.typ,
    dpop: options.dpop === undefined ? 'off' : options.dpop.required ? 'required' : 'allowed',
    revocation: options.revocation !== undefined,
    // Present only when configured, so reports of apps without them stay as they were.
    ...(introspection === undefined ? {} : { introspection: introspection.endpoint.origin + introspection.endpoint.pathname }),
    ...(mtls === undefined ? {} : { mtls: mtls.required ? 'required' as const : 'allowed' as const }),
    ...(options.apiKeys === undefined ? {} : { apiKeys: options.apiKeys.describe() }),
  };
}

/**
 * Creates the authenticator behind both adapters' `authenticate`. Options are validated here,
 * once; a misconfiguration throws a `TypeError` with an `ERR_TOLLGATE_*` code.
 */
export function createAuthenticator(input: AuthenticateOptions): Authenticator {
  const options = parseAuthenticateOptions(withKeyFetchEvents(input));
  const cache = options.cache === false ? undefined : new TokenCache(options.cache.max, options.cache.ttl);
  const extractOptions: ExtractOptions = { locations: options.tokenLocations, dpop: options.dpop !== undefined, maxTokenLength: options.maxTokenLength, challenges: options.challenges };
  const tolerance = options.clockTolerance * 1000;
  const watch = options.anomalies === undefined ? undefined : createAnomalyWatch(options.anomalies, { audit: options.audit, now: options.now, challengesFor: options.challengesFor });
  const audit = watch === undefined ? options.audit : watch.sink;
  // Durations are measured only for a metrics sink: no clock reads on the hot path otherwise.
  const timed = wantsMetrics(audit);
  // A sink that only counts accepted requests is told so directly, without an event to build.
  const countAccepted = metricsHooks(audit)?.accepted;
  const dpop: DpopContext | undefined = options.dpop === undefined
    ? undefined
    : {
      options: options.dpop, challenges: options.challengesFor('DPoP'), clockTolerance: options.clockTolerance, now: options.now,
      quota: new ProofQuota(options.dpop.maxProofsPerKey, (options.dpop.proofMaxAge + 2 * options.clockTolerance) * 1000),
    };

  if (options.warmup) {
    for (const issuer of options.issuers) issuer.keySource.warmup().catch(() => { /* the first request retries and answers 503 if still down */ });
  }

  /** Re-checks what a cached entry may have outlived: expiry and maximum age. */
  function isStale(auth: AuthContext, now: number): boolean {
    if (now >= auth.expiresAt.getTime() + tolerance) return true;
    const iat = auth.claims.iat;
    return options.maxTokenAge !== undefined && typeof iat === 'number' && now > (iat + options.maxTokenAge) * 1000 + tolerance;
  }

  /** The context of a token whose claims passed every check, from a JWT or an introspection answer. */
  function contextOf(token: string, header: ProtectedHeaderParameters, claims: JWTPayload, challenges: readonly Challenge[], introspected: boolean): AuthContext {
    if (typeof claims.exp !== 'number') throw new TollgateError('invalid_token', 'The access token has no exp claim', { reason: 'missing_claim', challenge: [...challenges] });
    const { jkt, x5t } = readConfirmation(claims, { mtls: options.mtls !== undefined, challenges });
    const auth: AuthContext = Object.freeze({
      token,
      // Deeply frozen: the context is cached and shared, so no handler may change what the next request sees.
      header: deepFreeze(header),
      claims: deepFreeze(claims),
      subject: stringClaim(claims.sub),
      clientId: stringClaim(claims.client_id) ?? stringClaim(claims.azp),
      // jose requires iss of a JWT; an introspection answer may leave it out (RFC 7662 §2.2).
      issuer: introspected ? stringClaim(claims.iss) ?? options.introspection!.issuers[0]! : claims.iss!,
      scopes: Object.freeze(readScopes(claims, options.scopeClaim)),
      roles: Object.freeze(readRoles(claims, options.rolesClaim)),
      expiresAt: new Date(claims.exp * 1000),
      // Hashed here, not in a lazy getter: an accessor in this literal costs more per context than the hash.
      fingerprint: fingerprint(token),
      // The binding decides a JWT's scheme: a bound token is only ever accepted with a DPoP proof.
      scheme: introspected ? 'introspection' : jkt === undefined ? 'Bearer' : 'DPoP',
      jkt,
      x5t,
    });
    bindAuditSink(auth, audit, options.now);
    return auth;
  }

  const introspector: Introspector | undefined = options.introspection === undefined ? undefined : createIntrospector(
    options.introspection,
    { clockTolerance: options.clockTolerance, maxTokenAge: options.maxTokenAge, requiredClaims: options.requiredClaims, now: options.now, fetch: input.fetch ?? globalThis.fetch },
    (token, claims, challenges) => contextOf(token, {}, claims, challenges, true),
  );

  /** An opaque token goes to introspection; a JWS is verified here, and never introspected if it fails. */
  function isIntrospected(token: string): boolean {
    return introspector !== undefined && (options.issuers.length === 0 || countDots(token) !== 2);
  }

  async function checkRevocation(auth: AuthContext): Promise<void> {
    const store = options.revocation;
    if (store === undefined) return;
    let revoked: boolean;
    try {
      const { jti, sub, iat } = auth.claims;
      revoked = await store.isRevoked({ iss: auth.issuer, jti: stringClaim(jti), sub: stringClaim(sub), iat: typeof iat === 'number' ? iat : undefined });
    } catch (error) {
      throw new TollgateError('temporarily_unavailable', 'The revocation list cannot be checked right now', { reason: 'store_unavailable', store: 'revocation', headers: { 'Retry-After': '1' }, cause: error });
    }
    if (revoked) throw new TollgateError('invalid_token', 'The access token was revoked', { reason: 'revoked', challenge: [...options.challengesFor(challengeScheme(auth))] });
  }

  /**
   * RFC 9449 §7: a bound token needs the DPoP scheme and a valid proof; the DPoP scheme needs a
   * bound token; `dpop.required` refuses plain bearer tokens. No downgrade either way.
   */
  async function checkBinding(req: TollgateRequest, auth: AuthContext, presented: 'Bearer' | 'DPoP'): Promise<void> {
    const challenges = options.challengesFor(presented);
    if (options.mtls !== undefined) checkCertificateBinding(req, auth, options.mtls, challenges);
    if (presented === 'Bearer') {
      if (options.dpop?.required === true) throw new TollgateError('invalid_token', 'This resource needs a DPoP-bound access token', { reason: 'dpop_required', challenge: [...challenges] });
      if (auth.jkt !== undefined) throw new TollgateError('invalid_token', 'The access token is DPoP-bound and must be sent with a DPoP proof', { reason: 'dpop_binding_mismatch', challenge: [...challenges] });
      return;
    }
    if (auth.jkt === undefined) throw new TollgateError('invalid_token', 'The access token is not DPoP-bound', { reason: 'dpop_binding_mismatch', challenge: [...challenges] });
    await verifyDpopProof(req, auth, dpop!);
  }

  const isBindingRequired = options.dpop?.required === true || options.mtls?.required === true;

  /** True when the token's binding must be checked: a DPoP proof or a certificate-bound token was presented, or one is needed. */
  function needsBinding(auth: AuthContext, presented: 'Bearer' | 'DPoP'): boolean {
    return presented === 'DPoP' || auth.jkt !== undefined || auth.x5t !== undefined || isBindingRequired;
  }

  function reportAccepted(req: TollgateRequest, auth: AuthContext, cached: boolean, started: number): AuthContext {
    if (countAccepted !== undefined) {
      try {
        countAccepted(auth.scheme, cached, (performance.now() - started) / 1000);
      } catch {
        // As with any sink: counting never changes the decision.
      }
    } else if (audit !== undefined) {
      // Fields assigned, not spread: this event is built for every accepted request.
      const event = auditBase(req, options.now(), auth) as AuthenticatedEvent;
      event.type = 'authenticated';
      event.scopes = auth.scopes;
      event.cached = cached;
      if (timed) event.duration = (performance.now() - started) / 1000;
      emitAudit(audit, event);
    }
    return auth;
  }

  /** A credential passed every check: the anomaly watch may still deny it (many clients). */
  function accepted(req: TollgateRequest, auth: AuthContext, cached: boolean, started: number): MaybePromise<AuthContext> {
    const seen = watch?.seen(req, auth);
    return isThenable(seen) ? seen.then(() => reportAccepted(req, auth, cached, started)) : reportAccepted(req, auth, cached, started);
  }

  /** The error a client sees, reported; `token` is given once the token passed the syntax check. */
  function rejected(req: TollgateRequest, caught: unknown, token: string | undefined, keyId?: string): TollgateError {
    // Anything unexpected still denies, as an invalid token: never a 500 and never an allow.
    const error = isTollgateError(caught)
      ? caught
      : new TollgateError('invalid_token', 'The access token could not be verified', { reason: 'malformed_token', challenge: [...options.challengesFor('Bearer')], cause: caught });
    if (audit !== undefined) {
      const who = token === undefined ? undefined : { fingerprint: fingerprint(token), keyId };
      emitAudit(audit, { ...auditBase(req, options.now(), who), ...rejection(error) });
    }
    return error;
  }

  /**
   * Everything past a plain cache hit: syntax, signature and claims on a miss (verified, then
   * cached), then DPoP and revocation. One async function, awaiting only what is pending: on this
   * path each extra await or async layer is a microtask hop per request.
   */
  async function complete(req: TollgateRequest, found: ExtractedToken, hit: AuthContext | undefined, now: number, started: number): Promise<AuthContext> {
    const { token } = found;
    let checked = hit === undefined ? undefined : token;
    try {
      let auth = hit;
      if (auth === undefined) {
        assertTokenSyntax(found, extractOptions);
        checked = token;
        const challenges = options.challengesFor(found.scheme);
        if (isIntrospected(token)) {
          auth = await introspector!.introspect(token, challenges);
        } else {
          const { header, claims } = await verifyToken(token, options, challenges);
          auth = contextOf(token, header, claims, challenges, false);
          cache?.set(token, auth, now);
        }
      }
      if (needsBinding(auth, found.scheme)) await checkBinding(req, auth, found.scheme);
      if (options.revocation !== undefined) await checkRevocation(auth);
      const result = accepted(req, auth, hit !== undefined, started);
      return isThenable(result) ? await result : result;
    } catch (caught) {
      throw rejected(req, caught, checked);
    }
  }

  // One context per cached record: a cache hit then costs the secret's hash, not a new context.
  const keyContexts = new WeakMap<ApiKeyRecord, AuthContext>();
  function keyContext(key: string, record: ApiKeyRecord): AuthContext {
    let auth = keyContexts.get(record);
    if (auth === undefined) {
      auth = apiKeyContext(key, record);
      bindAuditSink(auth, audit, options.now);
      keyContexts.set(record, auth);
    }
    return auth;
  }

  /** An API key instead of a JWT: verified by `options.apiKeys`; a cached key without a cap answers synchronously. */
  function attemptApiKey(req: TollgateRequest, key: string, started: number): MaybePromise<AuthContext> {
    const refuse = (caught: unknown): never => {
      throw rejected(req, caught, key, options.apiKeys!.idOf(key));
    };
    try {
      const verified = options.apiKeys!.attempt(key, options.challengesFor('Bearer'));
      if (isThenable(verified)) return verified.then((record) => accepted(req, keyContext(key, record), false, started), refuse);
      return accepted(req, keyContext(key, verified), true, started);
    } catch (caught) {
      return refuse(caught);
    }
  }

  function attemptToken(req: TollgateRequest, started: number): MaybePromise<AuthContext> {
    let found: ExtractedToken | undefined;
    let now: number;
    let hit: AuthContext | undefined;
    let key: string | undefined;
    try {
      found = findToken(req, extractOptions);
      key = options.apiKeys === undefined ? undefined : findApiKey(req, found, options.apiKeys, extractOptions);
    } catch (caught) {
      throw rejected(req, caught, undefined);
    }
    if (key !== undefined) return attemptApiKey(req, key, started);
    try {
      if (found === undefined) {
        throw new TollgateError('missing_token', 'No access token was sent', { reason: 'no_token', challenge: [...options.challenges] });
      }
      if (options.issuers.length === 0 && introspector === undefined) throw new TollgateError('invalid_token', 'Only API keys are accepted here', { reason: 'malformed_token', challenge: [...options.challengesFor('Bearer')] });
      // The cache is asked before anything parses the token: a hit is a token equal to one that
      // passed every check, so only what it may have outlived (expiry, age) is checked again.
      now = options.now();
      hit = cache?.get(found.token, now) ?? (isIntrospected(found.token) ? introspector!.lookup(found.token, now, options.challengesFor(found.scheme)) : undefined);
      if (hit !== undefined && isStale(hit, now)) hit = undefined;
      if (hit !== undefined && !needsBinding(hit, found.scheme) && options.revocation === undefined) {
        const result = accepted(req, hit, true, started);
        const token = found.token;
        return isThenable(result) ? result.then(undefined, (caught: unknown) => { throw rejected(req, caught, token); }) : result;
      }
    } catch (caught) {
      throw rejected(req, caught, hit === undefined ? undefined : found?.token);
    }
    return complete(req, found, hit, now, started);
  }

  /** The anomaly watch's refusals (a blocked client, a failing store) come before any token is read. */
  function refuse(req: TollgateRequest, error: TollgateError): TollgateError {
    return rejected(req, error, undefined);
  }

  function attempt(req: TollgateRequest): MaybePromise<AuthContext> {
    const started = timed ? performance.now() : 0;
    if (watch === undefined) return attemptToken(req, started);
    return watch.guard(req, started, attemptToken, refuse);
  }

  return Object.freeze({
    options,
    policy: describe(options),
    authenticate: (req: TollgateRequest) => promised(() => attempt(req)),
    attempt,
    responseHeaders: () => {
      const nonce = dpop === undefined ? undefined : currentDpopNonce(dpop);
      return nonce === undefined ? undefined : { 'DPoP-Nonce': nonce };
    },
  });
}
