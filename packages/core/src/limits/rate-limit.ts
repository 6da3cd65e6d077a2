import { hash } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import type { AuthContext } from '../context.js';
import { isTollgateError, TollgateError } from '../errors/errors.js';
import { fingerprint } from '../fingerprint.js';
import { notAuthenticated, reportRejection } from '../authorize/guard.js';
import type { TollgateRequest } from '../extract/request.js';
import type { RateLimitPolicy } from '../policy/policy.js';
import { isThenable, promised, type MaybePromise } from '../promised.js';
import { MemoryRateLimitStore, type ClientRateLimitInfo, type RateLimitStore } from './rate-limit-store.js';
import { assertKnownOptions, setupError, TollgateSetupError } from '../errors/setup-error.js';

/**
 * Whose budget a request is counted against:
 * - `'token'` (default): the token, by its `fingerprint` (never the raw token);
 * - `'subject'`: the token's `sub` within its issuer, so all tokens of one user share a budget;
 * - `'client'`: the token's `client_id` (or `azp`) within its issuer;
 * - a function of the auth context returning the bucket name.
 *
 * A token without `sub` (for `'subject'`), without `client_id`/`azp` (for `'client'`), or for
 * which the function returns no non-empty string, is counted under its own fingerprint, as with
 * `'token'`: such tokens never fall silently into one shared bucket.
 */
export type RateLimitKey = 'token' | 'subject' | 'client' | ((auth: AuthContext) => string | undefined | Promise<string | undefined>);

/**
 * Requests allowed per window: a positive integer, or a function of the auth context (tiers
 * by a claim such as `plan`) returning a non-negative integer (0 refuses every request).
 * A function that returns anything else fails the request with a `TypeError` (a 500): it is a
 * bug in the app, and the request is never let through unlimited.
 */
export type RateLimitLimit = number | ((auth: AuthContext) => number | Promise<number>);

/** Receives store failures that `passOnStoreError` let through. Same shape as express-rate-limit's `Logger`. */
export interface RateLimitLogger {
  error(error: unknown, message?: string): void;
  warn(error: unknown, message?: string): void;
}

/** Options of `rateLimitPerToken`. Validated once, when the middleware is created. */
export interface RateLimitOptions {
  /** Requests allowed per window and key. Required. */
  limit: RateLimitLimit;
  /** Window length in milliseconds (a fixed window per key). Required. */
  windowMs: number;
  /** Whose budget a request counts against. Default `'token'`. */
  key?: RateLimitKey;
  /**
   * Where counts live: any express-rate-limit `Store` (e.g. `rate-limit-redis`'s `RedisStore`).
   * Default: a new {@link MemoryRateLimitStore}. One store instance serves one limiter only.
   */
  store?: RateLimitStore;
  /** Let requests through, unlimited, when the store fails. Default false: 503 (fail closed). */
  passOnStoreError?: boolean;
  /** Put before every key, to namespace limiters that share one backend. Default `''`. */
  prefix?: string;
  /**
   * Milliseconds a store call may take before the request gets the store-failure answer (503,
   * or a pass under `passOnStoreError`), as for the Redis stores. Default 250.
   */
  storeTimeoutMs?: number;
}

/** Options of `rateLimitPerToken`, validated, defaulted and frozen. */
export interface ParsedRateLimitOptions {
  readonly limit: RateLimitLimit;
  readonly windowMs: number;
  readonly key: RateLimitKey;
  readonly store: RateLimitStore;
  readonly passOnStoreError: boolean;
  readonly prefix: string;
  readonly storeTimeoutMs: number;
}

/** One request's standing in its window. Same shape as express-rate-limit's `req.rateLimit`. */
export interface RateLimitInfo {
  readonly limit: number;
  /** Hits in this window, this request included. */
  readonly used: number;
  readonly remaining: number;
  readonly resetTime: Date | undefined;
  /** The store key (prefix, kind and a digest or the custom value). */
  readonly key: string;
}

/** The outcome of counting one hit. */
export interface RateLimitDecision {
  /** False when the limit is exceeded. */
  readonly allowed: boolean;
  /** Undefined when the store failed and `passOnStoreError` let the request through. */
  readonly info: RateLimitInfo | undefined;
  /** `RateLimit` and `RateLimit-Policy` (draft-8), and `Retry-After` when refused. */
  readonly headers: Readonly<Record<string, string>>;
  /** The 429 when refused. */
  readonly error: TollgateError | undefined;
}

/** The framework-free heart of `rateLimitPerToken`, shared by every adapter. */
export interface RateLimiter {
  readonly options: ParsedRateLimitOptions;
  readonly policy: RateLimitPolicy;
  /**
   * The configured store seen through the limiter: each call waits for the store's `init` (and
   * retries an `init` that failed), and `increment` rejects with a 503 {@link TollgateError}
   * (reason `store_unavailable`) when the store fails or answers nonsense.
   */
  readonly store: RateLimitStore;
  /** Where `passOnStoreError` failures are reported (the console). */
  readonly logger: RateLimitLogger;
  /** The store key of a request: prefix, kind, then a digest (or the custom function's value). A promise only for an async `key` function. */
  keyFor(auth: AuthContext): MaybePromise<string>;
  /** The limit that applies to a request. A promise only for an async `limit` function. */
  limitFor(auth: AuthContext): MaybePromise<number>;
  /** The draft-8 policy name, e.g. `10-in-1min`. */
  policyName(limit: number): string;
  /**
   * Counts one hit for `key`. Fails with the 503 unless `passOnStoreError`; answers (or throws)
   * synchronously when the store does, as the memory store does.
   */
  consume(key: string, limit: number): MaybePromise<RateLimitDecision>;
  /** The 429 for a request over its limit, with `Retry-After` and the RateLimit headers. */
  rejection(info: RateLimitInfo): TollgateError;
  /** The draft-8 `RateLimit` and `RateLimit-Policy` headers of a request's standing, plus `Retry-After` once over the limit. */
  headers(info: RateLimitInfo): Record<string, string>;
  /**
   * The whole per-request step: 401 without an auth context (a limiter with no `authenticate`
   * before it fails closed), then key, limit and count. Rejects with the 401, 429 or 503;
   * resolves with the decision (and its headers) when the request may pass.
   */
  check(auth: AuthContext | undefined, req?: TollgateRequest): Promise<RateLimitDecision>;
  /** `check` for adapters on the hot path: synchronous when the key, limit and store are; may throw instead of rejecting. */
  attempt(auth: AuthContext | undefined, req?: TollgateRequest): MaybePromise<RateLimitDecision>;
}

const KNOWN = ['limit', 'windowMs', 'key', 'store', 'passOnStoreError', 'prefix', 'storeTimeoutMs'];
const KEY_NAMES = ['token', 'subject', 'client'];

// Every store that counts for a limiter: a second limiter on the same object would share its budget.
const claimedStores = new WeakSet<object>();

function isPositiveInteger(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value > 0;
}

function parseStore(value: unknown): RateLimitStore {
  if (value === undefined) return new MemoryRateLimitStore();
  if (typeof value !== 'object' || value === null) return setupError('ERR_TOLLGATE_INVALID_OPTION', 'rateLimitPerToken: store must be an express-rate-limit Store');
  const store = value as Record<string, unknown>;
  if (typeof store.increment !== 'function' && typeof store.incr === 'function') {
    setupError('ERR_TOLLGATE_INVALID_OPTION', 'rateLimitPerToken: legacy stores (incr with a callback) are not supported; use a store with increment()');
  }
  for (const name of ['increment', 'decrement', 'resetKey']) {
    if (typeof store[name] !== 'function') setupError('ERR_TOLLGATE_INVALID_OPTION', `rateLimitPerToken: store.${name} must be a function`);
  }
  for (const name of ['init', 'get', 'resetAll', 'shutdown']) {
    if (store[name] !== undefined && typeof store[name] !== 'function') setupError('ERR_TOLLGATE_INVALID_OPTION', `rateLimitPerToken: store.${name} must be a function`);
  }
  if (claimedStores.has(store)) {
    setupError('ERR_TOLLGATE_STORE_REUSED', 'rateLimitPerToken: this store already counts for another limiter; give each limiter its own store instance (and, on a shared backend, its own prefix)');
  }
  return store as unknown as RateLimitStore;
}

/**
 * Validates `rateLimitPerToken` options once and returns them frozen and fully defaulted.
 * Any misconfiguration throws a `TollgateSetupError` here, never at request time.
 */
export function parseRateLimitOptions(options: RateLimitOptions): ParsedRateLimitOptions {
  if (typeof options !== 'object' || options === null) setupError('ERR_TOLLGATE_INVALID_OPTION', 'rateLimitPerToken: options are required');
  assertKnownOptions(options, KNOWN, 'rateLimitPerToken');
  const { limit, windowMs, key = 'token', passOnStoreError = false, prefix = '', storeTimeoutMs = 250 } = options;
  if (limit === undefined) setupError('ERR_TOLLGATE_INVALID_OPTION', 'rateLimitPerToken: limit is required');
  if (typeof limit !== 'function' && !isPositiveInteger(limit)) setupError('ERR_TOLLGATE_INVALID_OPTION', 'rateLimitPerToken: limit must be a positive integer or a function of the auth context');
  if (windowMs === undefined) setupError('ERR_TOLLGATE_INVALID_OPTION', 'rateLimitPerToken: windowMs is required');
  if (!isPositiveInteger(windowMs)) setupError('ERR_TOLLGATE_INVALID_OPTION', 'rateLimitPerToken: windowMs must be a positive integer (milliseconds)');
  if (typeof key !== 'function' && !KEY_NAMES.includes(key)) setupError('ERR_TOLLGATE_INVALID_OPTION', 'rateLimitPerToken: key must be "token", "subject", "client" or a function');
  if (typeof passOnStoreError !== 'boolean') setupError('ERR_TOLLGATE_INVALID_OPTION', 'rateLimitPerToken: passOnStoreError must be a boolean');
  if (typeof prefix !== 'string') setupError('ERR_TOLLGATE_INVALID_OPTION', 'rateLimitPerToken: prefix must be a string');
  if (!isPositiveInteger(storeTimeoutMs)) setupError('ERR_TOLLGATE_INVALID_OPTION', 'rateLimitPerToken: storeTimeoutMs must be a positive integer (milliseconds)');
  const store = parseStore(options.store);
  return Object.freeze({ limit, windowMs, key, store, passOnStoreError, prefix, storeTimeoutMs });
}

/** The `10-in-1min` style name of a draft-8 policy (the naming express-rate-limit uses). */
function policyName(limit: number, windowMs: number): string {
  const seconds = windowMs / 1000;
  const minutes = seconds / 60;
  const hours = minutes / 60;
  const days = hours / 24;
  let duration: string;
  if (seconds < 60) duration = `${seconds}sec`;
  else if (minutes < 60) duration = `${minutes}min`;
  else if (hours < 24) duration = `${hours}hr${hours > 1 ? 's' : ''}`;
  else duration = `${days}day${days > 1 ? 's' : ''}`;
  return `${limit}-in-${duration}`;
}

/**
 * Seconds until the window resets. Read against the wall clock (`Date.now`), as express-rate-limit
 * does, so both adapters emit the same numbers.
 */
function secondsUntilReset(windowMs: number, resetTime: Date | undefined): number {
  if (resetTime === undefined) return Math.ceil(windowMs / 1000);
  return Math.max(0, Math.ceil((resetTime.getTime() - Date.now()) / 1000));
}

// A key's `pk` is asked for on every request of its window: remembered, within a fixed bound.
const partitionKeys = new LRUCache<string, string>({ max: 10_000 });

/** The draft-8 `pk` parameter: a short digest of the key, so the key itself never leaves the server. */
function partitionKey(key: string): string {
  let pk = partitionKeys.get(key);
  if (pk === undefined) {
    pk = Buffer.from(hash('sha256', key, 'hex').slice(0, 12)).toString('base64');
    partitionKeys.set(key, pk);
  }
  return pk;
}

/** The `RateLimit-Policy` value of a key's policy. */
function policyValue(name: string, limit: number, windowMs: number, key: string): string {
  return `"${name}"; q=${limit}; w=${Math.ceil(windowMs / 1000)}; pk=:${partitionKey(key)}:`;
}

/**
 * The IETF RateLimit header fields (draft-ietf-httpapi-ratelimit-headers-08), byte for byte as
 * express-rate-limit 8 writes them with `standardHeaders: 'draft-8'`, plus `Retry-After`
 * (RFC 9110 §10.2.3) once the limit is exceeded.
 */
function rateLimitHeaders(info: RateLimitInfo, windowMs: number, name: string, policy = policyValue(name, info.limit, windowMs, info.key)): Record<string, string> {
  const reset = secondsUntilReset(windowMs, info.resetTime);
  const headers: Record<string, string> = {
    RateLimit: `"${name}"; r=${info.remaining}; t=${reset}`,
    'RateLimit-Policy': policy,
  };
  if (info.used > info.limit) headers['Retry-After'] = String(reset);
  return headers;
}

const consoleLogger: RateLimitLogger = {
  error(error, message) {
    console.error(message ?? 'tollgate: rate-limit error', error);
  },
  warn(error, message) {
    console.warn(message ?? 'tollgate: rate-limit warning', error);
  },
};

function storeUnavailable(cause: unknown): TollgateError {
  return new TollgateError('temporarily_unavailable', 'The rate limit cannot be checked right now', {
    reason: 'store_unavailable', store: 'rate-limit', headers: { 'Retry-After': '1' }, cause,
  });
}

function isValidCount(info: unknown): info is ClientRateLimitInfo {
  if (typeof info !== 'object' || info === null) return false;
  const { totalHits, resetTime } = info as Partial<ClientRateLimitInfo>;
  return isPositiveInteger(totalHits) && (resetTime === undefined || (resetTime instanceof Date && !Number.isNaN(resetTime.getTime())));
}

/**
 * `pending`, or a rejection once `ms` have passed without an answer: a store that answers slowly
 * must not hold the request as long.
 */
function withinTimeout<T>(pending: PromiseLike<T>, ms: number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the rate-limit store did not answer within ${ms} ms`)), ms);
    timer.unref();
    Promise.resolve(pending).then(
      (value) => { clearTimeout(timer); resolve(value); },
      (error: unknown) => { clearTimeout(timer); reject(error); },
    );
  });
}

/** The store seen through the limiter: init awaited (and retried after a failure), every call within the timeout, failures as 503s. */
function guardStore(store: RateLimitStore, windowMs: number, timeoutMs: number): RateLimitStore {
  let ready: Promise<void> | undefined;
  let isReady = false;
  const initialise = (): Promise<void> => {
    ready ??= (async () => {
      await store.init?.(Object.freeze({ windowMs }));
      isReady = true;
    })().catch((error: unknown) => {
      ready = undefined; // the next request tries again: a store down at startup must not stay broken
      throw error;
    });
    return ready;
  };
  initialise().catch(() => { /* reported by the first request that needs the store */ });

  function validCount(info: unknown): ClientRateLimitInfo {
    if (!isValidCount(info)) throw storeUnavailable(new TypeError('the rate-limit store returned an invalid count'));
    return info;
  }
  const unavailable = (error: unknown): never => {
    throw storeUnavailable(error);
  };

  /** One hit: synchronous once the store is ready and answers synchronously (the memory store). */
  function increment(key: string): MaybePromise<ClientRateLimitInfo> {
    if (!isReady) return withinTimeout(initialise().then(() => store.increment(key)), timeoutMs).then(validCount, unavailable);
    let result: MaybePromise<ClientRateLimitInfo>;
    try {
      result = store.increment(key);
    } catch (error) {
      throw storeUnavailable(error);
    }
    return isThenable(result) ? withinTimeout(result, timeoutMs).then(validCount, unavailable) : validCount(result);
  }

  /** One call after init, within the timeout. */
  const call = <T>(step: () => T | PromiseLike<T>): Promise<T> => withinTimeout(initialise().then(step), timeoutMs);
  const guarded: RateLimitStore = {
    increment,
    async decrement(key) {
      await call(() => store.decrement(key));
    },
    async resetKey(key) {
      await call(() => store.resetKey(key));
    },
  };
  if (typeof store.get === 'function') {
    guarded.get = (key) => call(() => store.get!(key));
  }
  if (typeof store.resetAll === 'function') {
    guarded.resetAll = async () => {
      await call(() => store.resetAll!());
    };
  }
  if (store.localKeys !== undefined) guarded.localKeys = store.localKeys;
  if (store.prefix !== undefined) guarded.prefix = store.prefix;
  return Object.freeze(guarded);
}

function keyName(key: RateLimitKey): string {
  return typeof key === 'function' ? 'custom' : key;
}

/**
 * Creates the limiter behind both adapters' `rateLimitPerToken`. Options are validated here,
 * once; the store is claimed for this limiter and its `init({ windowMs })` is called.
 */
export function createRateLimiter(input: RateLimitOptions): RateLimiter {
  const options = parseRateLimitOptions(input);
  claimedStores.add(options.store);
  const { windowMs, passOnStoreError, prefix } = options;
  const store = guardStore(options.store, windowMs, options.storeTimeoutMs);
  const logger = consoleLogger;

  function keyFor(auth: AuthContext): MaybePromise<string> {
    const { key } = options;
    if (typeof key === 'function') {
      const custom = key(auth);
      return isThenable(custom) ? Promise.resolve(custom).then((value) => customKey(auth, value)) : customKey(auth, custom);
    }
    if (key === 'subject' && auth.subject !== undefined && auth.subject !== '') return `${prefix}subject:${fingerprint(`${auth.issuer}\u0000${auth.subject}`)}`;
    if (key === 'client' && auth.clientId !== undefined && auth.clientId !== '') return `${prefix}client:${fingerprint(`${auth.issuer}\u0000${auth.clientId}`)}`;
    return `${prefix}token:${auth.fingerprint}`;
  }

  function customKey(auth: AuthContext, value: unknown): string {
    return typeof value === 'string' && value !== '' ? `${prefix}custom:${value}` : `${prefix}token:${auth.fingerprint}`;
  }

  function limitFor(auth: AuthContext): MaybePromise<number> {
    const { limit } = options;
    if (typeof limit === 'number') return limit;
    const value = limit(auth);
    return isThenable(value) ? Promise.resolve(value).then(checkedLimit) : checkedLimit(value);
  }

  function checkedLimit(value: unknown): number {
    if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
      // Not a TollgateError: the app's limit function is broken, and the request must not pass.
      throw new TollgateSetupError('ERR_TOLLGATE_INVALID_OPTION', `rateLimitPerToken: the limit function returned ${typeof value === 'number' ? value : typeof value}, not a non-negative integer`);
    }
    return value;
  }

  // A fixed limit has one policy name: built once, not per counted request.
  const fixedLimit = typeof options.limit === 'number' ? options.limit : undefined;
  const fixedName = fixedLimit === undefined ? undefined : policyName(fixedLimit, windowMs);
  const nameFor = (limit: number): string => (limit === fixedLimit && fixedName !== undefined ? fixedName : policyName(limit, windowMs));
  /** `policy`: the `RateLimit-Policy` value when the caller already knows it. */
  const headers = (info: RateLimitInfo, policy?: string): Record<string, string> => rateLimitHeaders(info, windowMs, nameFor(info.limit), policy);

  function rejection(info: RateLimitInfo, policy?: string): TollgateError {
    return new TollgateError('rate_limited', 'Too many requests: the rate limit is exceeded', { reason: 'rate_limited', headers: headers(info, policy) });
  }

  // With a built-in key and a fixed limit, a cached auth context has the same store key and
  // RateLimit-Policy value on every request: kept beside it, not rebuilt (and re-digested) each time.
  const fixed = typeof options.key !== 'function' && fixedLimit !== undefined ? new WeakMap<AuthContext, { readonly key: string; readonly policy: string }>() : undefined;

  function passUnlimited(error: unknown): RateLimitDecision {
    if (!passOnStoreError) throw error;
    logger.error(error, 'tollgate: the rate-limit store failed; request allowed without rate limiting (passOnStoreError)');
    return Object.freeze({ allowed: true, info: undefined, headers: Object.freeze({}), error: undefined });
  }

  function decide(key: string, limit: number, count: ClientRateLimitInfo, policy?: string): RateLimitDecision {
    const info: RateLimitInfo = Object.freeze({
      limit, used: count.totalHits, remaining: Math.max(limit - count.totalHits, 0), resetTime: count.resetTime, key,
    });
    if (count.totalHits > limit) {
      const error = rejection(info, policy);
      return Object.freeze({ allowed: false, info, headers: error.headers, error });
    }
    return Object.freeze({ allowed: true, info, headers: Object.freeze(headers(info, policy)), error: undefined });
  }

  function consume(key: string, limit: number, policy?: string): MaybePromise<RateLimitDecision> {
    let count: MaybePromise<ClientRateLimitInfo>;
    try {
      count = store.increment(key);
    } catch (error) {
      return passUnlimited(error);
    }
    return isThenable(count) ? Promise.resolve(count).then((c) => decide(key, limit, c, policy), passUnlimited) : decide(key, limit, count, policy);
  }

  /** Counts the hit; a refusal or a store failure is thrown, reported to the context's audit sink. */
  function counted(auth: AuthContext, req: TollgateRequest | undefined, key: string, limit: number, policy?: string): MaybePromise<RateLimitDecision> {
    let decision: MaybePromise<RateLimitDecision>;
    try {
      decision = consume(key, limit, policy);
      if (!isThenable(decision)) return allowedOrThrow(decision);
    } catch (error) {
      throw reported(auth, req, error);
    }
    return Promise.resolve(decision).then(allowedOrThrow).catch((error: unknown) => {
      throw reported(auth, req, error);
    });
  }

  function reported(auth: AuthContext, req: TollgateRequest | undefined, error: unknown): unknown {
    return req !== undefined && isTollgateError(error) ? reportRejection(auth, req, error) : error;
  }

  function allowedOrThrow(decision: RateLimitDecision): RateLimitDecision {
    if (decision.error !== undefined) throw decision.error;
    return decision;
  }

  function attempt(auth: AuthContext | undefined, req?: TollgateRequest): MaybePromise<RateLimitDecision> {
    if (auth === undefined) throw notAuthenticated();
    if (fixed !== undefined && fixedLimit !== undefined && fixedName !== undefined) {
      let known = fixed.get(auth);
      if (known === undefined) {
        const key = keyFor(auth) as string;
        fixed.set(auth, known = { key, policy: policyValue(fixedName, fixedLimit, windowMs, key) });
      }
      return counted(auth, req, known.key, fixedLimit, known.policy);
    }
    const key = keyFor(auth);
    const limit = limitFor(auth);
    if (isThenable(key) || isThenable(limit)) return Promise.all([key, limit]).then(([k, l]) => counted(auth, req, k, l));
    return counted(auth, req, key, limit);
  }

  return Object.freeze({
    options,
    policy: {
      kind: 'rate-limit',
      limit: typeof options.limit === 'number' ? options.limit : 'dynamic',
      windowMs,
      key: keyName(options.key),
      passOnStoreError,
    } satisfies RateLimitPolicy,
    store,
    logger,
    keyFor,
    limitFor,
    policyName: nameFor,
    consume,
    rejection,
    headers,
    check: (auth: AuthContext | undefined, req?: TollgateRequest) => promised(() => attempt(auth, req)),
    attempt,
  });
}
