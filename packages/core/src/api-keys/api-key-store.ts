import { StoreFullError } from '../revocation/revocation.js';
import { storeBounds } from '../errors/setup-error.js';

/** A usage cap's refill: `remaining` is set back to `amount` once every `intervalMs`. */
export interface ApiKeyRefill {
  readonly amount: number;
  readonly intervalMs: number;
}

/**
 * What a store holds about one API key: never the key, never the secret. `hash` is SHA-256 (or
 * HMAC-SHA-256 with a pepper) over the `salt` bytes followed by the secret, both base64url.
 */
export interface ApiKeyRecord {
  id: string;
  name: string;
  subject: string;
  scopes: string[];
  roles: string[];
  /** Extra claims (e.g. `plan`) for `requireClaims` and rate-limit tiers. */
  claims?: Record<string, unknown>;
  salt: string;
  hash: string;
  /** The display prefix: the first characters of the key (`<prefix>_<id>`), safe to show in lists. */
  start: string;
  createdAt: Date;
  expiresAt?: Date;
  revokedAt?: Date;
  lastUsedAt?: Date;
  /** The id of the key this one replaced. */
  rotatedFrom?: string;
  /** A usage cap: uses left. Absent: no cap. */
  remaining?: number;
  /** Refills the cap. */
  refill?: ApiKeyRefill;
  /** When the cap was last refilled (the refill clock starts at `createdAt`). */
  refilledAt?: Date;
}

/** The fields `update` may change. */
export type ApiKeyPatch = Partial<Pick<ApiKeyRecord, 'expiresAt' | 'revokedAt' | 'lastUsedAt'>>;

/** Where API-key records live. Memory, Redis and PostgreSQL stores pass one contract suite. */
export interface ApiKeyStore {
  /** The record, or `undefined` for an unknown id. */
  get(id: string): Promise<ApiKeyRecord | undefined>;
  /** Inserts a record; an existing id is an error. */
  put(record: ApiKeyRecord): Promise<void>;
  /** Changes the given fields of an existing record; an unknown id is left alone (nothing is created). */
  update(id: string, patch: ApiKeyPatch): Promise<void>;
  /** Every record, or those of one subject. */
  list(filter?: { subject?: string }): Promise<ApiKeyRecord[]>;
  /**
   * Spends one use of a capped key, refilling it first when a refill is due, in one atomic step.
   * Resolves to the uses left after this one, or -1 when none was left (or the key has no cap).
   */
  spend(id: string, now: Date): Promise<number>;
}

/**
 * The cap of `record` at `now`, refills applied: the count and the time of the last refill. Every
 * store implements this same rule (Redis in its script, PostgreSQL in its UPDATE).
 */
export function refilledCap(record: Pick<ApiKeyRecord, 'remaining' | 'refill' | 'refilledAt' | 'createdAt'>, now: number): { remaining: number; refilledAt: number | undefined } {
  const remaining = record.remaining ?? 0;
  const { refill } = record;
  const last = (record.refilledAt ?? record.createdAt).getTime();
  if (refill === undefined || now - last < refill.intervalMs) return { remaining, refilledAt: record.refilledAt?.getTime() };
  return { remaining: refill.amount, refilledAt: last + Math.floor((now - last) / refill.intervalMs) * refill.intervalMs };
}

/** A copy that shares nothing with the original (Dates and nested objects included). */
function copy(record: ApiKeyRecord): ApiKeyRecord {
  return structuredClone(record);
}

/** Options of {@link MemoryApiKeyStore}. */
export interface MemoryApiKeyStoreOptions {
  /** Most records held; a `put` beyond it rejects (nothing is evicted). Default 100 000. */
  max?: number;
}

/**
 * An in-process {@link ApiKeyStore}, for one instance, tests and demos. Bounded: when full, a new
 * key is refused rather than an existing one forgotten.
 */
export class MemoryApiKeyStore implements ApiKeyStore {
  readonly #records = new Map<string, ApiKeyRecord>();
  readonly #max: number;

  constructor(options: MemoryApiKeyStoreOptions = {}) {
    this.#max = storeBounds(options, 'MemoryApiKeyStore', 100_000).max;
  }

  async get(id: string): Promise<ApiKeyRecord | undefined> {
    const record = this.#records.get(id);
    return record === undefined ? undefined : copy(record);
  }

  async put(record: ApiKeyRecord): Promise<void> {
    if (this.#records.has(record.id)) throw new Error(`MemoryApiKeyStore: the id ${record.id} exists`);
    if (this.#records.size >= this.#max) throw new StoreFullError('MemoryApiKeyStore is full');
    this.#records.set(record.id, copy(record));
  }

  async update(id: string, patch: ApiKeyPatch): Promise<void> {
    const record = this.#records.get(id);
    if (record === undefined) return;
    for (const field of ['expiresAt', 'revokedAt', 'lastUsedAt'] as const) {
      const value = patch[field];
      if (value !== undefined) record[field] = new Date(value.getTime());
    }
  }

  async list(filter: { subject?: string } = {}): Promise<ApiKeyRecord[]> {
    return [...this.#records.values()].filter((r) => filter.subject === undefined || r.subject === filter.subject).map(copy);
  }

  async spend(id: string, now: Date): Promise<number> {
    const record = this.#records.get(id);
    if (record?.remaining === undefined) return -1;
    const cap = refilledCap(record, now.getTime());
    if (cap.refilledAt !== undefined) record.refilledAt = new Date(cap.refilledAt);
    record.remaining = Math.max(cap.remaining - 1, 0);
    return cap.remaining > 0 ? cap.remaining - 1 : -1;
  }
}
