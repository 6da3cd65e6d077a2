import { createPublicKey, KeyObject, type webcrypto } from 'node:crypto';
import { createLocalJWKSet, type JSONWebKeySet, type JWK, type JWTVerifyGetKey } from 'jose';
import { minimumSecretLength, parseAlgorithms, type Algorithm } from './algorithms.js';
import { assertKnownOptions, nonNegative, setupError } from '../errors/setup-error.js';
import { fetchJson } from './fetch-json.js';
import { KeySourceUnavailableError } from './key-source-error.js';
import { createRemoteKeySet, type RemoteKeySetOptions } from './remote-key-set.js';

export { KeySourceUnavailableError } from './key-source-error.js';

type CryptoKey = webcrypto.CryptoKey;

/** How a remote JWKS is fetched. */
export interface JwksFetchOptions {
  /** Abort a JWKS (or discovery) request, body included, after this many ms. Default 5000. */
  timeoutMs?: number;
  /** After a fetch, successful or failed, no new fetch for this many ms (an unknown `kid` waits too). Default 30000. */
  cooldownMs?: number;
  /** A fetched set is trusted for this many ms before it is refreshed. Default 600000. */
  cacheMaxAgeMs?: number;
  /**
   * While refreshing fails, the last good set keeps serving for this many ms past
   * `cacheMaxAgeMs`; after that, 503 until the issuer answers. 0 turns it off. Default 3600000.
   */
  staleIfErrorMs?: number;
  /** Extra request headers. */
  headers?: Record<string, string>;
}

/** One key source: exactly one of `jwksUri`, `jwks`, `publicKey`, `secret`, or `discovery`. */
export interface KeySourceOptions {
  /** A remote JWK Set, fetched and cached. */
  jwksUri?: string | URL;
  /** A local JWK Set. */
  jwks?: JSONWebKeySet;
  /** One public key: a KeyObject, a CryptoKey, a PEM string (SPKI or certificate), or a public JWK. */
  publicKey?: KeyObject | CryptoKey | string | JWK;
  /** An HMAC secret, at least as long as the hash output (32 bytes for HS256). */
  secret?: string | Uint8Array | KeyObject;
  /** Find `jwks_uri` in the issuer's `/.well-known/openid-configuration`. */
  discovery?: boolean;
  /** How the remote JWKS is fetched. */
  jwksOptions?: JwksFetchOptions;
  /** The allow-list of JWS algorithms. Default: derived from the key, or `['RS256']` for a remote set. */
  algorithms?: readonly string[];
}

/** A resolved key source, ready for `jwtVerify`. */
export interface KeySource {
  readonly kind: 'symmetric' | 'asymmetric';
  readonly algorithms: readonly Algorithm[];
  readonly key: KeyObject | CryptoKey | JWTVerifyGetKey;
  /** Fetches a remote set now, so that the first request does not pay for it. */
  warmup(): Promise<void>;
}

type Fetch = typeof globalThis.fetch;

// Errors of a remote set that say something about the token rather than the key source.
const TOKEN_PROBLEMS = new Set(['ERR_JWKS_NO_MATCHING_KEY', 'ERR_JWKS_MULTIPLE_MATCHING_KEYS', 'ERR_JOSE_NOT_SUPPORTED', 'ERR_JOSE_ALG_NOT_ALLOWED']);

function isTokenProblem(error: unknown): boolean {
  return error instanceof Error && TOKEN_PROBLEMS.has((error as { code?: string }).code ?? '');
}

function algorithmsForKey(key: KeyObject | CryptoKey): Algorithm[] {
  if (key instanceof KeyObject) {
    switch (key.asymmetricKeyType) {
      case 'rsa': return ['RS256'];
      case 'rsa-pss': return ['PS256'];
      case 'ed25519': return ['EdDSA', 'Ed25519'];
      case 'ec': {
        const curve = key.asymmetricKeyDetails?.namedCurve;
        if (curve === 'prime256v1') return ['ES256'];
        if (curve === 'secp384r1') return ['ES384'];
        if (curve === 'secp521r1') return ['ES512'];
        break;
      }
    }
    return setupError('ERR_TOLLGATE_INVALID_OPTION', 'publicKey: cannot tell its algorithm; set algorithms');
  }
  const alg = key.algorithm as { name: string; namedCurve?: string; hash?: { name: string } };
  if (alg.name === 'Ed25519') return ['EdDSA', 'Ed25519'];
  if (alg.name === 'ECDSA' && alg.namedCurve !== undefined) return [`ES${alg.namedCurve.slice(2)}` as Algorithm];
  if (alg.name === 'RSASSA-PKCS1-v1_5' && alg.hash !== undefined) return [`RS${alg.hash.name.slice(4)}` as Algorithm];
  if (alg.name === 'RSA-PSS' && alg.hash !== undefined) return [`PS${alg.hash.name.slice(4)}` as Algorithm];
  return setupError('ERR_TOLLGATE_INVALID_OPTION', 'publicKey: cannot tell its algorithm; set algorithms');
}

function toPublicKey(value: NonNullable<KeySourceOptions['publicKey']>): KeyObject | CryptoKey {
  if (value instanceof KeyObject) {
    if (value.type === 'secret') setupError('ERR_TOLLGATE_ALG_KEY_MISMATCH', 'publicKey is a secret key; use secret');
    return value.type === 'private' ? createPublicKey(value) : value;
  }
  if (typeof value === 'string') {
    try {
      return createPublicKey(value);
    } catch {
      return setupError('ERR_TOLLGATE_INVALID_OPTION', 'publicKey: not a PEM public key or certificate');
    }
  }
  if (typeof value === 'object' && value !== null && 'kty' in value) {
    if ((value as JWK).kty === 'oct') setupError('ERR_TOLLGATE_ALG_KEY_MISMATCH', 'publicKey is a symmetric JWK; use secret');
    try {
      return createPublicKey({ key: value as JWK & { kty: string }, format: 'jwk' });
    } catch {
      return setupError('ERR_TOLLGATE_INVALID_OPTION', 'publicKey: not a valid public JWK');
    }
  }
  if (typeof value === 'object' && value !== null && (value as CryptoKey).type === 'public') return value as CryptoKey;
  return setupError('ERR_TOLLGATE_INVALID_OPTION', 'publicKey must be a KeyObject, CryptoKey, PEM string or JWK');
}

function toSecret(value: NonNullable<KeySourceOptions['secret']>): Uint8Array {
  if (typeof value === 'string') return new TextEncoder().encode(value);
  if (value instanceof Uint8Array) return value;
  if (value instanceof KeyObject && value.type === 'secret') return value.export();
  return setupError('ERR_TOLLGATE_INVALID_OPTION', 'secret must be a string, a Uint8Array or a secret KeyObject');
}

function algorithmsOfSet(jwks: JSONWebKeySet): Algorithm[] {
  const algs = new Set<Algorithm>();
  for (const jwk of jwks.keys) {
    if (typeof jwk.alg === 'string') algs.add(jwk.alg as Algorithm);
    else if (jwk.kty === 'RSA') algs.add('RS256');
    else if (jwk.kty === 'EC' && typeof jwk.crv === 'string') algs.add(`ES${jwk.crv === 'P-521' ? '512' : jwk.crv.slice(2)}` as Algorithm);
    else if (jwk.kty === 'OKP' && jwk.crv === 'Ed25519') algs.add('EdDSA');
  }
  return algs.size > 0 ? [...algs] : ['RS256'];
}

/** Validates `jwksOptions` once, at setup, and fills in the defaults. */
function parseFetchOptions(value: JwksFetchOptions | undefined, name: string, context: KeySourceContext): RemoteKeySetOptions {
  const options = value ?? {};
  if (typeof options !== 'object' || options === null) return setupError('ERR_TOLLGATE_INVALID_OPTION', `${name} must be an object`);
  assertKnownOptions(options, ['timeoutMs', 'cooldownMs', 'cacheMaxAgeMs', 'staleIfErrorMs', 'headers'], name);
  const timeoutMs = nonNegative(options.timeoutMs, `${name}.timeoutMs`, 5000);
  if (timeoutMs === 0) setupError('ERR_TOLLGATE_INVALID_OPTION', `${name}.timeoutMs must be positive`);
  if (options.headers !== undefined && (typeof options.headers !== 'object' || options.headers === null)) setupError('ERR_TOLLGATE_INVALID_OPTION', `${name}.headers must be an object`);
  return Object.freeze({
    timeoutMs,
    cooldownMs: nonNegative(options.cooldownMs, `${name}.cooldownMs`, 30_000),
    cacheMaxAgeMs: nonNegative(options.cacheMaxAgeMs, `${name}.cacheMaxAgeMs`, 600_000),
    staleIfErrorMs: nonNegative(options.staleIfErrorMs, `${name}.staleIfErrorMs`, 3_600_000),
    ...(options.headers === undefined ? {} : { headers: { ...options.headers } }),
    fetch: context.fetch ?? ((input: Parameters<Fetch>[0], init?: Parameters<Fetch>[1]) => globalThis.fetch(input, init)),
    now: context.now,
  });
}

async function discoverJwksUri(issuer: string, options: RemoteKeySetOptions): Promise<URL> {
  const url = new URL(`${issuer.replace(/\/+$/, '')}/.well-known/openid-configuration`);
  const metadata = (await fetchJson(url, { what: 'discovery', timeoutMs: options.timeoutMs, mediaTypes: ['application/json'], fetch: options.fetch })) as { issuer?: unknown; jwks_uri?: unknown } | null;
  if (typeof metadata !== 'object' || metadata === null) throw new KeySourceUnavailableError('discovery metadata is not a JSON object');
  // RFC 8414 §3.3 / OIDC Discovery §4.3: the metadata must name the issuer it was fetched for.
  if (metadata.issuer !== issuer) throw new KeySourceUnavailableError('discovery metadata names another issuer');
  if (typeof metadata.jwks_uri !== 'string') throw new KeySourceUnavailableError('discovery metadata has no jwks_uri');
  const jwksUri = new URL(metadata.jwks_uri);
  if (jwksUri.protocol !== 'https:' && jwksUri.protocol !== url.protocol) throw new KeySourceUnavailableError('discovery jwks_uri downgrades to http');
  return jwksUri;
}

/** Wraps a remote key resolver so that a source it cannot reach reads as unavailable. */
function guarded(getKey: JWTVerifyGetKey): JWTVerifyGetKey {
  return async function tollgateKeyResolver(header, token) {
    try {
      return await getKey(header, token);
    } catch (error) {
      if (isTokenProblem(error) || error instanceof KeySourceUnavailableError) throw error;
      throw new KeySourceUnavailableError('the key source could not be reached', { cause: error });
    }
  };
}

/** What a key source needs from `authenticate`: its name in messages, the issuer (for discovery), the network and the clock. */
export interface KeySourceContext {
  name: string;
  issuer: string | undefined;
  fetch: Fetch | undefined;
  now: () => number;
}

/**
 * Resolves the one key source of an issuer into what `jwtVerify` needs, checking that its
 * algorithm allow-list fits the kind of key.
 */
export function createKeySource(options: KeySourceOptions, context: KeySourceContext): KeySource {
  const given = (['jwksUri', 'jwks', 'publicKey', 'secret', 'discovery'] as const).filter((k) => options[k] !== undefined && options[k] !== false);
  if (given.length === 0) setupError('ERR_TOLLGATE_NO_KEY_SOURCE', `${context.name}: set one of jwksUri, jwks, publicKey, secret or discovery`);
  if (given.length > 1) setupError('ERR_TOLLGATE_MULTIPLE_KEY_SOURCES', `${context.name}: set only one of ${given.join(', ')}`);
  const fetchOptions = parseFetchOptions(options.jwksOptions, `${context.name}.jwksOptions`, context);
  const algName = `${context.name}.algorithms`;

  if (options.secret !== undefined) {
    const secret = toSecret(options.secret);
    const algorithms = parseAlgorithms(options.algorithms ?? ['HS256'], algName, 'symmetric');
    const min = minimumSecretLength(algorithms);
    if (secret.byteLength < min) setupError('ERR_TOLLGATE_WEAK_SECRET', `${context.name}: the secret must be at least ${min} bytes for ${algorithms.join(', ')}`);
    // One CryptoKey per allowed algorithm, imported once: raw bytes would be imported again on
    // every verification. jose has checked the header's alg against the allow-list before it asks.
    const keys = new Map(algorithms.map((alg) => [alg, globalThis.crypto.subtle.importKey('raw', secret, { name: 'HMAC', hash: `SHA-${alg.slice(2)}` }, false, ['verify'])]));
    for (const pending of keys.values()) pending.catch(() => { /* surfaces, as a 401, on the request that needs it */ });
    const key: JWTVerifyGetKey = (header) => keys.get(header.alg as Algorithm) ?? Promise.reject(new TypeError('no key for this algorithm'));
    return { kind: 'symmetric', algorithms, key, warmup: async () => {} };
  }
  if (options.publicKey !== undefined) {
    const key = toPublicKey(options.publicKey);
    const algorithms = parseAlgorithms(options.algorithms ?? algorithmsForKey(key), algName, 'asymmetric');
    return { kind: 'asymmetric', algorithms, key, warmup: async () => {} };
  }
  if (options.jwks !== undefined) {
    if (typeof options.jwks !== 'object' || options.jwks === null || !Array.isArray(options.jwks.keys)) setupError('ERR_TOLLGATE_INVALID_OPTION', `${context.name}.jwks must be a JWK Set ({ keys: [...] })`);
    if (options.jwks.keys.some((k) => k.kty === 'oct' || 'd' in k)) setupError('ERR_TOLLGATE_ALG_KEY_MISMATCH', `${context.name}.jwks must hold public keys only`);
    const algorithms = parseAlgorithms(options.algorithms ?? algorithmsOfSet(options.jwks), algName, 'asymmetric');
    return { kind: 'asymmetric', algorithms, key: createLocalJWKSet(options.jwks), warmup: async () => {} };
  }
  const algorithms = parseAlgorithms(options.algorithms ?? ['RS256'], algName, 'asymmetric');
  if (options.jwksUri !== undefined) {
    let url: URL;
    try {
      url = new URL(options.jwksUri);
    } catch {
      return setupError('ERR_TOLLGATE_INVALID_OPTION', `${context.name}.jwksUri is not a URL`);
    }
    if (url.protocol !== 'https:' && url.protocol !== 'http:') setupError('ERR_TOLLGATE_INVALID_OPTION', `${context.name}.jwksUri must be http(s)`);
    const set = createRemoteKeySet(url, fetchOptions);
    return { kind: 'asymmetric', algorithms, key: guarded(set.getKey), warmup: () => set.reload() };
  }
  // discovery
  const issuer = context.issuer;
  if (issuer === undefined) return setupError('ERR_TOLLGATE_INVALID_OPTION', `${context.name}.discovery needs exactly one issuer`);
  // A failed discovery is retried only after the cooldown, so an outage is not hammered.
  let pending: Promise<ReturnType<typeof createRemoteKeySet>> | undefined;
  let retryAt = 0;
  const resolveSet = () => {
    if (pending === undefined || (retryAt !== 0 && fetchOptions.now() >= retryAt)) {
      retryAt = 0;
      pending = discoverJwksUri(issuer, fetchOptions).then(
        (uri) => createRemoteKeySet(uri, fetchOptions),
        (error: unknown) => {
          retryAt = fetchOptions.now() + fetchOptions.cooldownMs;
          throw error;
        },
      );
    }
    return pending;
  };
  const getKey: JWTVerifyGetKey = async (header, token) => (await resolveSet()).getKey(header, token);
  return { kind: 'asymmetric', algorithms, key: guarded(getKey), warmup: async () => (await resolveSet()).reload() };
}
