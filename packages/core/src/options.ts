import type { AuditSink } from './monitoring/audit.js';
import type { Challenge } from './errors/challenge.js';
import { parseClaimPath, type ClaimReader } from './authorize/claims.js';
import type { TokenLocations } from './extract/extract.js';
import { createKeySource, type KeySource, type KeySourceContext, type KeySourceOptions } from './verify/key-source.js';
import { assertKnownOptions, nonNegative, setupError, stringList } from './errors/setup-error.js';
import type { RevocationStore } from './revocation/revocation.js';
import { ApiKeys } from './api-keys/api-keys.js';
import { parseDpopOptions, type DpopOptions, type ParsedDpopOptions } from './dpop/dpop-options.js';
import { parseAnomalyOptions, type AnomalyOptions, type ParsedAnomalyOptions } from './monitoring/anomalies.js';
import { parseIntrospectionOptions, type IntrospectionOptions, type ParsedIntrospectionOptions } from './verify/introspection.js';
import { parseMtlsOptions, type MtlsOptions, type ParsedMtlsOptions } from './verify/mtls.js';

/** One trusted issuer: who it is, whom its tokens are for, and how to check them. */
export interface IssuerOptions extends KeySourceOptions {
  /** Expected `iss`: one issuer, or several that share this key source. */
  issuer: string | readonly string[];
  /** Expected `aud`: the token must name at least one. */
  audience: string | readonly string[];
}

/** Options of `authenticate`. Validated once, when the middleware is created. */
export interface AuthenticateOptions extends Partial<IssuerOptions> {
  /** Several trusted issuers, each with its own key source and audience; chosen by the token's `iss`. */
  issuers?: readonly IssuerOptions[];
  /** Seconds of leeway for `exp`, `nbf` and `iat`. Default 5. */
  clockTolerance?: number;
  /** Refuse tokens whose `iat` is older than this many seconds. Default: no limit. */
  maxTokenAge?: number;
  /** Claims that must be present. `exp` is always required. */
  requiredClaims?: readonly string[];
  /** Expected `typ` header, e.g. `at+jwt` (RFC 9068 §2.1). Default: not checked. */
  typ?: string;
  /** Where scopes are read: a claim name, a dotted path into nested objects, path segments, or a function. Default: `scope`, else `scp`, else `permissions`. */
  scopeClaim?: ClaimReader;
  /** Where roles are read, like `scopeClaim` (`realm_access.roles` for Keycloak). Default: `roles`. */
  rolesClaim?: ClaimReader;
  /** Where a token may be sent. Default: the `Authorization` header only. */
  tokenLocations?: TokenLocations;
  /** The verified-token cache: `false` to turn it off. Default `{ max: 1000, ttl: 600000 }` (ms). */
  cache?: false | { max?: number; ttl?: number };
  /** Receives an audit event for every decision. */
  audit?: AuditSink;
  /** The `realm` of `WWW-Authenticate` challenges. Default none. */
  realm?: string;
  /** Longest accepted token, in characters. Default 8192. */
  maxTokenLength?: number;
  /** Fetch remote JWKS at setup, so the first request does not pay for it. Default false. */
  warmup?: boolean;
  /** Checked after verification; a revoked token is 401 `invalid_token`. */
  revocation?: RevocationStore;
  /** DPoP (RFC 9449): sender-constrained tokens with per-request proofs. Default off. */
  dpop?: DpopOptions;
  /** Signals of stolen or guessed credentials (many clients per token, failure bursts, revoked reuse). Default off. */
  anomalies?: AnomalyOptions;
  /**
   * Opaque tokens (RFC 7662): a bearer value that is not a JWS is checked at this endpoint.
   * With it the key source is optional; without one, every token is introspected.
   */
  introspection?: IntrospectionOptions;
  /** Certificate-bound tokens (RFC 8705): `cnf["x5t#S256"]` against the TLS client certificate. Default off. */
  mtls?: MtlsOptions;
  /** The clock, in ms since the epoch. Default `Date.now`. */
  now?: () => number;
  /** Also accept API keys Tollgate issued (see {@link ApiKeys}); the JWT options become optional. */
  apiKeys?: ApiKeys;
  /** The `fetch` used for JWKS, discovery and introspection. Default the global one. */
  fetch?: typeof globalThis.fetch;
}

/** A trusted issuer, resolved. */
export interface ParsedIssuer {
  readonly issuers: readonly string[];
  readonly audiences: readonly string[];
  readonly keySource: KeySource;
}

/** Options of `authenticate`, validated, defaulted and frozen. */
export interface ParsedAuthenticateOptions {
  /** The issuers whose JWTs are verified here; empty when every token is introspected. */
  readonly issuers: readonly ParsedIssuer[];
  /** `iss` → its issuer, so a token's issuer is found before any key is fetched. */
  readonly byIssuer: ReadonlyMap<string, ParsedIssuer>;
  readonly clockTolerance: number;
  readonly maxTokenAge: number | undefined;
  readonly requiredClaims: readonly string[];
  readonly typ: string | undefined;
  readonly scopeClaim: ClaimReader | undefined;
  readonly rolesClaim: ClaimReader;
  readonly tokenLocations: Readonly<Required<TokenLocations>>;
  readonly cache: false | { readonly max: number; readonly ttl: number };
  readonly audit: AuditSink | undefined;
  readonly maxTokenLength: number;
  readonly warmup: boolean;
  readonly revocation: RevocationStore | undefined;
  readonly dpop: ParsedDpopOptions | undefined;
  readonly anomalies: ParsedAnomalyOptions | undefined;
  readonly introspection: ParsedIntrospectionOptions | undefined;
  readonly mtls: ParsedMtlsOptions | undefined;
  readonly apiKeys: ApiKeys | undefined;
  /** The challenges of a request that sent no token: every accepted scheme, bare. */
  readonly challenges: readonly Challenge[];
  /** The challenges of an error for a request that used `scheme`: that one carries the error. */
  challengesFor(scheme: 'Bearer' | 'DPoP'): readonly Challenge[];
  readonly now: () => number;
}

const ISSUER_KEYS = ['issuer', 'audience', 'jwksUri', 'jwks', 'publicKey', 'secret', 'discovery', 'jwksOptions', 'algorithms'] as const;
const KNOWN = [
  ...ISSUER_KEYS, 'issuers', 'clockTolerance', 'maxTokenAge', 'requiredClaims', 'typ', 'scopeClaim', 'rolesClaim', 'tokenLocations',
  'cache', 'audit', 'realm', 'maxTokenLength', 'warmup', 'revocation', 'dpop', 'anomalies', 'introspection', 'mtls', 'apiKeys', 'now', 'fetch',
];
const KEY_SOURCES = ['jwksUri', 'jwks', 'publicKey', 'secret', 'discovery'] as const;

function claimReader(value: unknown, name: string): ClaimReader | undefined {
  if (value === undefined) return undefined;
  if (typeof value === 'function') return value as ClaimReader;
  return parseClaimPath(value, name);
}

function parseIssuer(options: IssuerOptions, name: string, world: Pick<KeySourceContext, 'fetch' | 'now'>): ParsedIssuer {
  assertKnownOptions(options, ISSUER_KEYS, name);
  if (options.issuer === undefined) setupError('ERR_TOLLGATE_NO_ISSUER', `${name}: issuer is required`);
  if (options.audience === undefined) setupError('ERR_TOLLGATE_NO_AUDIENCE', `${name}: audience is required`);
  const issuers = stringList(options.issuer, `${name}.issuer`);
  const audiences = stringList(options.audience, `${name}.audience`, { allowSpaces: true });
  const keySource = createKeySource(options, { name, issuer: issuers.length === 1 ? issuers[0] : undefined, ...world });
  return Object.freeze({ issuers, audiences, keySource });
}

function parseLocations(value: TokenLocations | undefined): Readonly<Required<TokenLocations>> {
  const locations = value ?? {};
  if (typeof locations !== 'object' || locations === null) setupError('ERR_TOLLGATE_INVALID_OPTION', 'tokenLocations must be an object');
  assertKnownOptions(locations, ['header', 'body', 'query', 'cookie'], 'tokenLocations');
  const flag = (v: unknown, name: string, fallback: boolean) => {
    if (v === undefined) return fallback;
    if (typeof v !== 'boolean') setupError('ERR_TOLLGATE_INVALID_OPTION', `tokenLocations.${name} must be a boolean`);
    return v;
  };
  const cookie = locations.cookie ?? false;
  if (cookie !== false && (typeof cookie !== 'string' || !/^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/.test(cookie))) {
    setupError('ERR_TOLLGATE_INVALID_OPTION', 'tokenLocations.cookie must be a cookie name');
  }
  const parsed = { header: flag(locations.header, 'header', true), body: flag(locations.body, 'body', false), query: flag(locations.query, 'query', false), cookie };
  if (!parsed.header && !parsed.body && !parsed.query && parsed.cookie === false) setupError('ERR_TOLLGATE_EMPTY_LIST', 'tokenLocations turns every location off');
  return Object.freeze(parsed);
}

function parseCache(value: AuthenticateOptions['cache']): ParsedAuthenticateOptions['cache'] {
  if (value === false) return false;
  if (value === undefined) return Object.freeze({ max: 1000, ttl: 600_000 });
  if (typeof value !== 'object' || value === null) return setupError('ERR_TOLLGATE_INVALID_OPTION', 'cache must be false or { max, ttl }');
  assertKnownOptions(value, ['max', 'ttl'], 'cache');
  const max = nonNegative(value.max, 'cache.max', 1000);
  const ttl = nonNegative(value.ttl, 'cache.ttl', 600_000);
  if (!Number.isInteger(max) || max < 1) setupError('ERR_TOLLGATE_INVALID_OPTION', 'cache.max must be a positive integer');
  return Object.freeze({ max, ttl });
}

/**
 * Validates `authenticate` options once and returns them frozen and fully defaulted.
 * Any misconfiguration throws a {@link TollgateSetupError} here, never at request time.
 */
export function parseAuthenticateOptions(options: AuthenticateOptions): ParsedAuthenticateOptions {
  if (typeof options !== 'object' || options === null) setupError('ERR_TOLLGATE_INVALID_OPTION', 'authenticate: options are required');
  if (Object.hasOwn(options, 'allowPreflight')) {
    setupError('ERR_TOLLGATE_INVALID_OPTION', 'authenticate: allowPreflight is gone: a CORS preflight that reaches Tollgate is answered 204 and never passed on; put your CORS middleware before Tollgate');
  }
  assertKnownOptions(options, KNOWN, 'authenticate');
  if (options.fetch !== undefined && typeof options.fetch !== 'function') setupError('ERR_TOLLGATE_INVALID_OPTION', 'fetch must be a function');
  if (options.now !== undefined && typeof options.now !== 'function') setupError('ERR_TOLLGATE_INVALID_OPTION', 'now must be a function');
  if (options.audit !== undefined && typeof options.audit !== 'function') setupError('ERR_TOLLGATE_INVALID_OPTION', 'audit must be a function');

  const world = { fetch: options.fetch, now: options.now ?? Date.now };
  const topLevel = ISSUER_KEYS.filter((k) => options[k] !== undefined);
  let issuers: ParsedIssuer[];
  let introspection: ParsedIntrospectionOptions | undefined;
  if (options.issuers !== undefined) {
    if (topLevel.length > 0) setupError('ERR_TOLLGATE_INVALID_OPTION', `authenticate: set issuers or ${topLevel.join(', ')}, not both`);
    if (options.introspection !== undefined) setupError('ERR_TOLLGATE_INVALID_OPTION', 'authenticate: introspection takes the single issuer and audience, not issuers');
    if (!Array.isArray(options.issuers) || options.issuers.length === 0) setupError('ERR_TOLLGATE_EMPTY_LIST', 'authenticate: issuers must not be empty');
    issuers = options.issuers.map((o: IssuerOptions, i: number) => parseIssuer(o, `issuers[${i}]`, world));
  } else if (options.introspection !== undefined) {
    if (options.issuer === undefined) setupError('ERR_TOLLGATE_NO_ISSUER', 'authenticate: issuer is required');
    if (options.audience === undefined) setupError('ERR_TOLLGATE_NO_AUDIENCE', 'authenticate: audience is required');
    introspection = parseIntrospectionOptions(options.introspection, {
      issuers: stringList(options.issuer, 'authenticate.issuer'), audiences: stringList(options.audience, 'authenticate.audience', { allowSpaces: true }),
    });

    // The key source is optional beside introspection: without one, JWTs are introspected too.
    const hasKeySource = KEY_SOURCES.some((k) => options[k] !== undefined && options[k] !== false);
    const orphans = (['algorithms', 'jwksOptions'] as const).filter((k) => options[k] !== undefined);
    if (!hasKeySource && orphans.length > 0) setupError('ERR_TOLLGATE_NO_KEY_SOURCE', `authenticate: ${orphans.join(', ')} needs a key source`);
    const single: Record<string, unknown> = {};
    for (const k of topLevel) single[k] = options[k];
    issuers = hasKeySource ? [parseIssuer(single as unknown as IssuerOptions, 'authenticate', world)] : [];
  } else if (topLevel.length === 0 && options.apiKeys !== undefined) {
    issuers = []; // API keys only: every bearer value that is not a key is refused
  } else {
    const single: Record<string, unknown> = {};
    for (const k of topLevel) single[k] = options[k];
    issuers = [parseIssuer(single as unknown as IssuerOptions, 'authenticate', world)];
  }
  const byIssuer = new Map<string, ParsedIssuer>();
  for (const issuer of issuers) {
    for (const iss of issuer.issuers) {
      if (byIssuer.has(iss)) setupError('ERR_TOLLGATE_DUPLICATE_ISSUER', `authenticate: issuer "${iss}" is configured twice`);
      byIssuer.set(iss, issuer);
    }
  }

  const requiredClaims = options.requiredClaims === undefined ? [] : stringList(options.requiredClaims, 'requiredClaims');
  if (options.typ !== undefined && (typeof options.typ !== 'string' || options.typ === '')) setupError('ERR_TOLLGATE_INVALID_OPTION', 'typ must be a non-empty string');
  if (options.realm !== undefined && typeof options.realm !== 'string') setupError('ERR_TOLLGATE_INVALID_OPTION', 'realm must be a string');
  if (options.revocation !== undefined && typeof options.revocation?.isRevoked !== 'function') setupError('ERR_TOLLGATE_INVALID_OPTION', 'revocation must be a RevocationStore');
  if (options.apiKeys !== undefined && !(options.apiKeys instanceof ApiKeys)) setupError('ERR_TOLLGATE_INVALID_OPTION', 'apiKeys must be an ApiKeys instance');
  if (options.apiKeys !== undefined && options.dpop?.required === true) setupError('ERR_TOLLGATE_INVALID_OPTION', 'apiKeys cannot be combined with dpop.required: an API key is a bearer credential');
  const maxTokenAge = options.maxTokenAge === undefined ? undefined : nonNegative(options.maxTokenAge, 'maxTokenAge', 0);
  const realm = options.realm;
  const dpop = options.dpop === undefined ? undefined : parseDpopOptions(options.dpop);
  const realmPart = realm === undefined ? {} : { realm };
  const bearer: Challenge = { scheme: 'Bearer', ...realmPart };
  const dpopChallenge: Challenge | undefined = dpop === undefined ? undefined : { scheme: 'DPoP', ...realmPart, algs: dpop.algorithms };
  const schemes = [...(dpop?.required === true ? [] : [bearer]), ...(dpopChallenge === undefined ? [] : [dpopChallenge])];
  const challenges = Object.freeze(schemes);
  // The error goes on the scheme the client used; a scheme we do not offer gets it on ours.
  const withErrorOn = (scheme: 'Bearer' | 'DPoP') => {
    const offered = schemes.some((c) => c.scheme === scheme);
    return Object.freeze(schemes.map((c) => (c.scheme === scheme || !offered ? c : { ...c, bare: true })));
  };
  const byScheme = { Bearer: withErrorOn('Bearer'), DPoP: withErrorOn('DPoP') };

  return Object.freeze({
    issuers: Object.freeze(issuers),
    byIssuer,
    clockTolerance: nonNegative(options.clockTolerance, 'clockTolerance', 5),
    maxTokenAge,
    requiredClaims: Object.freeze([...new Set(['exp', ...requiredClaims])]),
    typ: options.typ,
    scopeClaim: claimReader(options.scopeClaim, 'scopeClaim'),
    rolesClaim: claimReader(options.rolesClaim, 'rolesClaim') ?? 'roles',
    tokenLocations: parseLocations(options.tokenLocations),
    cache: parseCache(options.cache),
    audit: options.audit,
    maxTokenLength: nonNegative(options.maxTokenLength, 'maxTokenLength', 8192),
    warmup: options.warmup ?? false,
    revocation: options.revocation,
    dpop,
    anomalies: options.anomalies === undefined ? undefined : parseAnomalyOptions(options.anomalies),
    introspection,
    mtls: options.mtls === undefined ? undefined : parseMtlsOptions(options.mtls),
    apiKeys: options.apiKeys,
    challenges,
    challengesFor: (scheme: 'Bearer' | 'DPoP') => byScheme[scheme],
    now: options.now ?? Date.now,
  });
}
