import { createLocalJWKSet, type JSONWebKeySet, type JWTVerifyGetKey } from 'jose';
import { fetchJson } from './fetch-json.js';
import { KeySourceUnavailableError } from './key-source-error.js';

/** How a {@link createRemoteKeySet} fetches and keeps its keys, every duration in ms. */
export interface RemoteKeySetOptions {
  timeoutMs: number;
  /** No two fetches within this time, whether the last one succeeded or failed. */
  cooldownMs: number;
  /** A set this old is fetched again before it is used. */
  cacheMaxAgeMs: number;
  /** While fetching fails, the last good set keeps serving for this long past `cacheMaxAgeMs`. */
  staleIfErrorMs: number;
  headers?: Record<string, string>;
  fetch: typeof globalThis.fetch;
  now: () => number;
}

/** A remote JWK Set, as a key resolver for `jwtVerify`, and a way to fetch it now. */
export interface RemoteKeySet {
  readonly getKey: JWTVerifyGetKey;
  /** Fetches the set now (within the cooldown, only waits for a fetch under way). */
  reload(): Promise<void>;
}

// RFC 7517 §8.5 registers application/jwk-set+json; most issuers serve application/json.
const JWKS_MEDIA_TYPES = ['application/json', 'application/jwk-set+json'];

function codeOf(error: unknown): unknown {
  return (error as { code?: unknown } | null)?.code;
}

/**
 * A remote JWK Set that an outage of its issuer cannot turn into an outage of the API, nor a
 * flood of forged tokens into a flood of fetches:
 * - one fetch at a time, shared by every request that waits for it;
 * - after any fetch, success or failure, none for `cooldownMs` (a token with an unknown `kid`
 *   waits for the cooldown like everything else);
 * - a set older than `cacheMaxAgeMs` is fetched again, and while that fails the last good set
 *   keeps serving, up to `staleIfErrorMs` longer; then 503 until the issuer answers again;
 * - a body over 1 MiB, of another content type, not 200, or not a JWK Set is a failed fetch.
 */
export function createRemoteKeySet(url: URL, options: RemoteKeySetOptions): RemoteKeySet {
  const { now } = options;
  let keys: { resolve: JWTVerifyGetKey; fetchedAt: number } | undefined;
  let lastAttempt = Number.NEGATIVE_INFINITY;
  let lastError: unknown;
  let pending: Promise<void> | undefined;

  const coolingDown = (): boolean => now() < lastAttempt + options.cooldownMs;
  const usableStale = (): boolean => keys !== undefined && now() - keys.fetchedAt < options.cacheMaxAgeMs + options.staleIfErrorMs;

  function fetchSet(): Promise<void> {
    pending ??= (async () => {
      lastAttempt = now();
      try {
        const body = await fetchJson(url, { what: 'the JWKS', timeoutMs: options.timeoutMs, mediaTypes: JWKS_MEDIA_TYPES, fetch: options.fetch, ...(options.headers === undefined ? {} : { headers: options.headers }) });
        let resolve: JWTVerifyGetKey;
        try {
          resolve = createLocalJWKSet(body as JSONWebKeySet);
        } catch {
          throw new KeySourceUnavailableError('the JWKS is not a JWK Set');
        }
        keys = { resolve, fetchedAt: now() };
        lastError = undefined;
      } catch (error) {
        lastError = error;
        throw error instanceof KeySourceUnavailableError ? error : new KeySourceUnavailableError('the JWKS could not be fetched', { cause: error });
      }
    })().finally(() => { pending = undefined; });
    return pending;
  }

  /** The keys to use now: fetched when missing or stale (outside the cooldown), stale ones while fetching fails. */
  async function current(): Promise<JWTVerifyGetKey> {
    if (keys !== undefined && now() - keys.fetchedAt < options.cacheMaxAgeMs) return keys.resolve;
    if (pending === undefined && coolingDown()) {
      if (usableStale()) return keys!.resolve;
      throw new KeySourceUnavailableError('the JWKS could not be fetched; the next attempt waits for the cooldown', { cause: lastError });
    }
    try {
      await fetchSet();
    } catch (error) {
      if (usableStale()) return keys!.resolve;
      throw error;
    }
    return keys!.resolve;
  }

  async function getKey(...args: Parameters<JWTVerifyGetKey>): Promise<Awaited<ReturnType<JWTVerifyGetKey>>> {
    const resolve = await current();
    try {
      return await resolve(...args);
    } catch (error) {
      // An unknown kid may be a rotated key: look once more, unless a fetch has just been made.
      if (codeOf(error) !== 'ERR_JWKS_NO_MATCHING_KEY') throw error;
      if (pending !== undefined) await pending.catch(() => { /* the keys we have answer */ });
      else if (!coolingDown()) await fetchSet().catch(() => { /* the keys we have answer */ });
      if (keys === undefined || keys.resolve === resolve) throw error;
      return keys.resolve(...args);
    }
  }

  return Object.freeze({
    getKey: getKey as JWTVerifyGetKey,
    reload: () => fetchSet(),
  });
}
