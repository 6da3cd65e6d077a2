import { LRUCache } from 'lru-cache';
import type { Challenge } from '../errors/challenge.js';
import { TollgateError } from '../errors/errors.js';
import type { RejectionReason } from '../errors/error-codes.js';
import { assertKnownOptions, nonNegative, setupError } from '../errors/setup-error.js';
import type { MaybePromise } from '../promised.js';
import type { ApiKeyRecord, ApiKeyRefill, ApiKeyStore } from './api-key-store.js';
import { CHECK_LENGTH, formatKey, ID_LENGTH, KEY_PREFIX, parseKey, randomBase62, SECRET_LENGTH, type ParsedKey } from './key-format.js';
import { hashSecret, isSameKey, newSalt, secretMatches } from './key-hash.js';

/** Options of {@link ApiKeys}. Validated once, in the constructor. */
export interface ApiKeysOptions {
  /** Where the records live. */
  store: ApiKeyStore;
  /** The key's prefix, letters and digits (`tg` gives `tg_…`). Default `tg`. */
  prefix?: string;
  /** The header that may carry a key besides `Authorization: Bearer`. Default `x-api-key`. */
  header?: string;
  /** Keys the hash (HMAC-SHA-256) with a secret kept outside the store; at least 32 bytes. Default none (SHA-256). */
  pepper?: string | Uint8Array;
  /** How long a verified record is reused before the store is asked again; a revocation elsewhere takes this long at most. 0: no cache. Default 10 000 ms. */
  cacheTtlMs?: number;
  /** Most records cached. Default 10 000. */
  cacheMax?: number;
  /** Longest wait for the store before the request is a 503. Default 1 000 ms. */
  timeoutMs?: number;
  /** The clock, ms since the epoch. Default `Date.now`. */
  now?: () => number;
}

/** What {@link ApiKeys.create} takes. */
export interface CreateApiKeyInput {
  /** A label for people (`ci-deploy`). */
  name: string;
  /** Who the key acts for: `req.auth.subject`. */
  subject: string;
  scopes?: readonly string[];
  roles?: readonly string[];
  claims?: Record<string, unknown>;
  /** Seconds until the key expires. Default: never. */
  expiresIn?: number;
  /** A usage cap: this many uses. Default: none. */
  remaining?: number;
  /** Sets the cap back to `amount` every `intervalMs`. */
  refill?: ApiKeyRefill;
}

/** A record as lists show it: without salt and hash. */
export type ApiKeyInfo = Omit<ApiKeyRecord, 'salt' | 'hash'>;

/** A new key, shown once, and its record. */
export interface CreatedApiKey {
  /** The key. It is stored nowhere: hand it over now. */
  readonly key: string;
  readonly record: ApiKeyInfo;
}

/** How a route's policy describes its API keys. */
export interface ApiKeysDescription {
  readonly prefix: string;
  readonly header: string;
  /** The store's class name (`RedisApiKeyStore`). */
  readonly store: string;
}

interface CacheEntry {
  readonly record: ApiKeyRecord;
  readonly until: number;
  /** The exact key string that matched `record`'s hash while this entry lives: it needs no parse or hash again. */
  verified?: string;
  /** When lastUsedAt was last written (or read from the store), ms since the epoch. */
  touchedAt: number;
}

const LAST_USED_INTERVAL_MS = 60_000;
const BEARER: readonly Challenge[] = Object.freeze([{ scheme: 'Bearer' }]);

/** Drops salt and hash. */
export function apiKeyInfo(record: ApiKeyRecord): ApiKeyInfo {
  const { salt: _salt, hash: _hash, ...info } = record;
  return info;
}

function storeName(store: ApiKeyStore): string {
  return (store as { constructor?: { name?: string } }).constructor?.name ?? 'custom';
}

function stringArray(value: unknown, name: string): string[] {
  if (value === undefined) return [];
  if (!Array.isArray(value) || value.some((v) => typeof v !== 'string' || v === '' || /\s/.test(v))) {
    return setupError('ERR_TOLLGATE_INVALID_OPTION', `${name} must be an array of non-empty strings without white space`);
  }
  return [...new Set(value as string[])];
}

function positiveInteger(value: unknown, name: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) return setupError('ERR_TOLLGATE_INVALID_OPTION', `${name} must be a non-negative integer`);
  return value;
}

/**
 * API keys that Tollgate issues: `<prefix>_<id>_<secret><check>`, stored as a salted SHA-256 (or
 * peppered HMAC) of the secret, verified in constant time, revoked and rotated. Give it to
 * `authenticate({ apiKeys })` to accept keys beside JWTs.
 */
export class ApiKeys {
  /** The key prefix. */
  readonly prefix: string;
  /** The lower-case header name that may carry a key. */
  readonly header: string;
  readonly #store: ApiKeyStore;
  /** Where the id starts and ends in a key, and a key's length: the format fixes all three. */
  readonly #idStart: number;
  readonly #keyLength: number;
  readonly #pepper: Buffer | undefined;
  readonly #ttl: number;
  readonly #timeoutMs: number;
  readonly #now: () => number;
  readonly #cache: LRUCache<string, CacheEntry> | undefined;
  /** When this instance last wrote each key's lastUsedAt. */
  readonly #touched: LRUCache<string, number>;

  constructor(options: ApiKeysOptions) {
    if (typeof options !== 'object' || options === null) setupError('ERR_TOLLGATE_INVALID_OPTION', 'ApiKeys: options are required');
    assertKnownOptions(options, ['store', 'prefix', 'header', 'pepper', 'cacheTtlMs', 'cacheMax', 'timeoutMs', 'now'], 'ApiKeys');
    const { store } = options;
    for (const method of ['get', 'put', 'update', 'list', 'spend'] as const) {
      if (typeof (store as Partial<ApiKeyStore> | undefined)?.[method] !== 'function') setupError('ERR_TOLLGATE_INVALID_OPTION', 'ApiKeys: store must be an ApiKeyStore');
    }
    const prefix = options.prefix ?? 'tg';
    if (typeof prefix !== 'string' || !KEY_PREFIX.test(prefix)) setupError('ERR_TOLLGATE_INVALID_OPTION', 'ApiKeys: prefix must be a letter and up to 15 letters or digits');
    const header = options.header ?? 'x-api-key';
    if (typeof header !== 'string' || !/^[a-z0-9-]+$/i.test(header) || header.toLowerCase() === 'authorization') {
      setupError('ERR_TOLLGATE_INVALID_OPTION', 'ApiKeys: header must be a header name other than Authorization');
    }
    if (options.pepper !== undefined) {
      const bytes = typeof options.pepper === 'string' ? Buffer.from(options.pepper, 'utf8') : options.pepper instanceof Uint8Array ? Buffer.from(options.pepper) : undefined;
      if (bytes === undefined || bytes.length < 32) setupError('ERR_TOLLGATE_WEAK_SECRET', 'ApiKeys: pepper must be a string or bytes of at least 32 bytes');
      this.#pepper = bytes;
    }
    if (options.now !== undefined && typeof options.now !== 'function') setupError('ERR_TOLLGATE_INVALID_OPTION', 'ApiKeys: now must be a function');
    this.#ttl = nonNegative(options.cacheTtlMs, 'ApiKeys.cacheTtlMs', 10_000);
    const cacheMax = nonNegative(options.cacheMax, 'ApiKeys.cacheMax', 10_000);
    if (!Number.isInteger(cacheMax) || cacheMax < 1) setupError('ERR_TOLLGATE_INVALID_OPTION', 'ApiKeys.cacheMax must be a positive integer');
    this.#timeoutMs = nonNegative(options.timeoutMs, 'ApiKeys.timeoutMs', 1000);
    if (this.#timeoutMs === 0) setupError('ERR_TOLLGATE_INVALID_OPTION', 'ApiKeys.timeoutMs must be positive');
    this.prefix = prefix;
    this.#idStart = prefix.length + 1;
    this.#keyLength = this.#idStart + ID_LENGTH + 1 + SECRET_LENGTH + CHECK_LENGTH;
    this.header = header.toLowerCase();
    this.#store = store;
    this.#now = options.now ?? Date.now;
    this.#cache = this.#ttl === 0 ? undefined : new LRUCache({ max: cacheMax });
    this.#touched = new LRUCache({ max: cacheMax });
    Object.freeze(this);
  }

  /** What a route report shows about these keys. */
  describe(): ApiKeysDescription {
    return { prefix: this.prefix, header: this.header, store: storeName(this.#store) };
  }

  /** True when `value` starts like one of these keys (`<prefix>_`): a bearer value that is not a JWT. */
  isApiKey(value: string): boolean {
    return value.length > this.prefix.length && value.startsWith(this.prefix) && value[this.prefix.length] === '_';
  }

  /** The id a well-formed key names, for audit events; `undefined` for a malformed one. */
  idOf(key: string): string | undefined {
    return parseKey(key, this.prefix)?.id;
  }

  /** Creates a key. The key is returned once and stored nowhere. */
  async create(input: CreateApiKeyInput, extra: { rotatedFrom?: string } = {}): Promise<CreatedApiKey> {
    if (typeof input !== 'object' || input === null) setupError('ERR_TOLLGATE_INVALID_OPTION', 'ApiKeys.create: input is required');
    assertKnownOptions(input, ['name', 'subject', 'scopes', 'roles', 'claims', 'expiresIn', 'remaining', 'refill'], 'ApiKeys.create');
    if (typeof input.name !== 'string' || input.name === '') setupError('ERR_TOLLGATE_INVALID_OPTION', 'ApiKeys.create: name must be a non-empty string');
    if (typeof input.subject !== 'string' || input.subject === '') setupError('ERR_TOLLGATE_INVALID_OPTION', 'ApiKeys.create: subject must be a non-empty string');
    if (input.claims !== undefined && (typeof input.claims !== 'object' || input.claims === null || Array.isArray(input.claims))) setupError('ERR_TOLLGATE_INVALID_OPTION', 'ApiKeys.create: claims must be an object');
    const now = this.#now();
    const id = randomBase62(ID_LENGTH);
    const secret = randomBase62(SECRET_LENGTH);
    const salt = newSalt();
    const record: ApiKeyRecord = {
      id, name: input.name, subject: input.subject,
      scopes: stringArray(input.scopes, 'ApiKeys.create: scopes'), roles: stringArray(input.roles, 'ApiKeys.create: roles'),
      salt, hash: hashSecret(salt, secret, this.#pepper), start: `${this.prefix}_${id}`, createdAt: new Date(now),
    };
    if (input.claims !== undefined) record.claims = structuredClone(input.claims);
    if (input.expiresIn !== undefined) {
      const seconds = nonNegative(input.expiresIn, 'ApiKeys.create: expiresIn', 0);
      if (seconds === 0 || !(now + seconds * 1000 < 8_640_000_000_000_000)) setupError('ERR_TOLLGATE_INVALID_OPTION', 'ApiKeys.create: expiresIn must be positive and within the range of a Date');
      record.expiresAt = new Date(now + seconds * 1000);
    }
    if (input.remaining !== undefined) record.remaining = positiveInteger(input.remaining, 'ApiKeys.create: remaining');
    if (input.refill !== undefined) {
      if (record.remaining === undefined) setupError('ERR_TOLLGATE_INVALID_OPTION', 'ApiKeys.create: refill needs remaining');
      const { amount, intervalMs } = input.refill;
      record.refill = { amount: positiveInteger(amount, 'ApiKeys.create: refill.amount'), intervalMs: positiveInteger(intervalMs, 'ApiKeys.create: refill.intervalMs') };
      if (record.refill.intervalMs === 0) setupError('ERR_TOLLGATE_INVALID_OPTION', 'ApiKeys.create: refill.intervalMs must be positive');
      record.refilledAt = new Date(now);
    }
    if (extra.rotatedFrom !== undefined) record.rotatedFrom = extra.rotatedFrom;
    await this.#bounded(() => this.#store.put(record));
    return { key: formatKey(this.prefix, id, secret), record: apiKeyInfo(record) };
  }

  /** Revokes a key at once on this instance, and on every other within `cacheTtlMs`. Resolves to its record, or `undefined` for an unknown id. */
  async revoke(id: string): Promise<ApiKeyInfo | undefined> {
    const record = await this.#bounded(() => this.#store.get(id));
    if (record === undefined) return undefined;
    const revokedAt = record.revokedAt ?? new Date(this.#now());
    if (record.revokedAt === undefined) await this.#bounded(() => this.#store.update(id, { revokedAt }));
    this.#cache?.delete(id);
    return apiKeyInfo({ ...record, revokedAt });
  }

  /**
   * Issues a successor with the same subject, scopes, roles, claims and cap, and lets the old key
   * expire after `graceSeconds` (or sooner, if it already would). Rejects for an unknown or revoked id.
   */
  async rotate(id: string, options: { graceSeconds?: number; expiresIn?: number } = {}): Promise<CreatedApiKey> {
    const grace = nonNegative(options.graceSeconds, 'ApiKeys.rotate: graceSeconds', 0);
    const old = await this.#bounded(() => this.#store.get(id));
    if (old === undefined || old.revokedAt !== undefined) throw new Error(`ApiKeys.rotate: no active key with id ${id}`);
    const now = this.#now();
    const lifetime = old.expiresAt === undefined ? undefined : (old.expiresAt.getTime() - old.createdAt.getTime()) / 1000;
    const expiresIn = options.expiresIn ?? lifetime;
    const next = await this.create({
      name: old.name, subject: old.subject, scopes: old.scopes, roles: old.roles,
      ...(old.claims === undefined ? {} : { claims: old.claims }),
      ...(expiresIn === undefined ? {} : { expiresIn }),
      ...(old.remaining === undefined ? {} : { remaining: old.remaining }),
      ...(old.refill === undefined ? {} : { refill: old.refill }),
    }, { rotatedFrom: id });
    const until = now + grace * 1000;
    if (old.expiresAt === undefined || old.expiresAt.getTime() > until) await this.#bounded(() => this.#store.update(id, { expiresAt: new Date(until) }));
    this.#cache?.delete(id);
    return next;
  }

  /** The keys, or one subject's, without salt and hash. */
  async list(filter: { subject?: string } = {}): Promise<ApiKeyInfo[]> {
    return (await this.#bounded(() => this.#store.list(filter))).map(apiKeyInfo);
  }

  /** Verifies a key: its record, or a {@link TollgateError} (401, 429, 503). */
  async verify(key: string): Promise<ApiKeyRecord> {
    return this.attempt(key, BEARER);
  }

  /**
   * `verify` for the authenticator's hot path: a cached key without a cap answers synchronously.
   * `challenges` go on the 401s.
   */
  attempt(key: string, challenges: readonly Challenge[]): MaybePromise<ApiKeyRecord> {
    const now = this.#now();
    // The exact key string that already matched this cached record (compared in constant time) is
    // neither parsed nor hashed again: a cache hit costs what a JWT cache hit costs. Anything
    // else, a different secret under the same id included, takes the full path below.
    if (typeof key === 'string' && key.length === this.#keyLength) {
      const entry = this.#cache?.get(key.slice(this.#idStart, this.#idStart + ID_LENGTH));
      if (entry?.verified !== undefined && now < entry.until && isSameKey(entry.verified, key)) return this.#admit(entry, now, challenges);
    }
    const parsed = typeof key === 'string' ? parseKey(key, this.prefix) : undefined;
    // A bad check or shape: refused without asking the store.
    if (parsed === undefined) throw invalidKey('The API key is malformed', 'malformed_token', challenges);
    const entry = this.#cache?.get(parsed.id);
    if (entry !== undefined && now < entry.until) return this.#accept(key, parsed, entry, now, challenges);
    return this.#load(key, parsed, now, challenges);
  }

  async #load(key: string, parsed: ParsedKey, now: number, challenges: readonly Challenge[]): Promise<ApiKeyRecord> {
    const record = await this.#bounded(() => this.#store.get(parsed.id));
    if (record === undefined) {
      // Unknown id: the same hashing work and the same answer as a wrong secret.
      secretMatches(parsed.secret, undefined, undefined, this.#pepper);
      throw invalidKey('The API key is not valid', 'invalid_key', challenges);
    }
    const touchedAt = Math.max(record.lastUsedAt?.getTime() ?? 0, this.#touched.get(record.id) ?? 0);
    const entry: CacheEntry = { record: Object.freeze(record), until: now + this.#ttl, touchedAt };
    this.#cache?.set(parsed.id, entry);
    return this.#accept(key, parsed, entry, now, challenges);
  }

  /** Checks the secret (one answer covers an unknown id and a wrong secret), then admits the key. */
  #accept(key: string, parsed: ParsedKey, entry: CacheEntry, now: number, challenges: readonly Challenge[]): MaybePromise<ApiKeyRecord> {
    const { record } = entry;
    if (!secretMatches(parsed.secret, record.salt, record.hash, this.#pepper)) throw invalidKey('The API key is not valid', 'invalid_key', challenges);
    entry.verified = key;
    return this.#admit(entry, now, challenges);
  }

  /** A key whose secret matched: refused once revoked or expired, else touched and (under a cap) spent. */
  #admit(entry: CacheEntry, now: number, challenges: readonly Challenge[]): MaybePromise<ApiKeyRecord> {
    const { record } = entry;
    if (record.revokedAt !== undefined && record.revokedAt.getTime() <= now) throw invalidKey('The API key was revoked', 'revoked', challenges);
    if (record.expiresAt !== undefined && record.expiresAt.getTime() <= now) throw invalidKey('The API key has expired', 'expired', challenges);
    if (now - entry.touchedAt >= LAST_USED_INTERVAL_MS) this.#touch(entry, now);
    return record.remaining === undefined ? record : this.#spend(record, now);
  }

  async #spend(record: ApiKeyRecord, now: number): Promise<ApiKeyRecord> {
    const left = await this.#bounded(() => this.#store.spend(record.id, new Date(now)));
    if (left < 0) throw new TollgateError('quota_exhausted', 'The API key has no uses left', { reason: 'quota_exhausted' });
    return record;
  }

  /** Writes lastUsedAt at most once a minute per key and instance, in the background; a failure is ignored. */
  #touch(entry: CacheEntry, now: number): void {
    const { id } = entry.record;
    entry.touchedAt = Math.max(entry.touchedAt, this.#touched.get(id) ?? 0);
    if (now - entry.touchedAt < LAST_USED_INTERVAL_MS) return;
    entry.touchedAt = now;
    this.#touched.set(id, now);
    this.#bounded(() => this.#store.update(id, { lastUsedAt: new Date(now) })).catch(() => { /* never fails a request */ });
  }

  /** The store's answer, or a 503 when it fails or takes longer than `timeoutMs`. */
  #bounded<T>(call: () => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const unavailable = (cause: unknown) => new TollgateError('temporarily_unavailable', 'The API key store cannot be reached right now', { reason: 'store_unavailable', store: 'api-key', headers: { 'Retry-After': '1' }, cause });
      const timer = setTimeout(() => reject(unavailable(new Error(`no answer within ${this.#timeoutMs} ms`))), this.#timeoutMs);
      timer.unref();
      // Promise.resolve().then: a store that throws synchronously is a failing store too.
      Promise.resolve().then(call).then(
        (value) => { clearTimeout(timer); resolve(value); },
        (error: unknown) => { clearTimeout(timer); reject(unavailable(error)); },
      );
    });
  }
}

function invalidKey(description: string, reason: RejectionReason, challenges: readonly Challenge[]): TollgateError {
  return new TollgateError('invalid_token', description, { reason, challenge: [...challenges] });
}
