import { assertKnownOptions, setupError, type ApiKeyPatch, type ApiKeyRecord, type ApiKeyStore } from '@tollgate/core';

/** The part of a `pg` `Pool` (or `Client`) the store uses. */
export interface PgQueryable {
  query(text: string, values?: unknown[]): Promise<{ rows: Record<string, unknown>[]; rowCount: number | null }>;
}

/** Options of {@link PostgresApiKeyStore}. */
export interface PostgresApiKeyStoreOptions {
  /** A `pg` Pool the app creates and owns. */
  pool: PgQueryable;
  /** The table, optionally schema-qualified (`auth.api_keys`). Default `tollgate_api_keys`. */
  table?: string;
}

const NAME = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;

// The refill rule of every store, in SQL: the last refill (or creation) in ms, whether a refill
// is due at $2 (ms), and the cap as it stands after a due refill.
const LAST = '(extract(epoch from coalesce(refilled_at, created_at)) * 1000)::bigint';
const DUE = `(refill_interval_ms IS NOT NULL AND $2::bigint - ${LAST} >= refill_interval_ms)`;
const CAP = `(CASE WHEN ${DUE} THEN refill_amount ELSE remaining END)`;

function row(r: Record<string, unknown>): ApiKeyRecord {
  const record: ApiKeyRecord = {
    id: String(r.id), name: String(r.name), subject: String(r.subject), scopes: r.scopes as string[], roles: r.roles as string[],
    salt: String(r.salt), hash: String(r.hash), start: String(r.start), createdAt: r.created_at as Date,
  };
  if (r.claims !== null) record.claims = r.claims as Record<string, unknown>;
  if (r.expires_at !== null) record.expiresAt = r.expires_at as Date;
  if (r.revoked_at !== null) record.revokedAt = r.revoked_at as Date;
  if (r.last_used_at !== null) record.lastUsedAt = r.last_used_at as Date;
  if (r.rotated_from !== null) record.rotatedFrom = String(r.rotated_from);
  if (r.remaining !== null) record.remaining = Number(r.remaining);
  if (r.refill_amount !== null && r.refill_interval_ms !== null) record.refill = { amount: Number(r.refill_amount), intervalMs: Number(r.refill_interval_ms) };
  if (r.refilled_at !== null) record.refilledAt = r.refilled_at as Date;
  return record;
}

/**
 * An {@link ApiKeyStore} on PostgreSQL through `pg`: one table (created by {@link migrate}) with
 * an index on `subject`. No column holds a key or a secret: only the salt and the hash of the
 * secret. A cap is refilled and spent by one `UPDATE … RETURNING`, atomic under concurrency.
 */
export class PostgresApiKeyStore implements ApiKeyStore {
  readonly #pool: PgQueryable;
  readonly #table: string;
  readonly #index: string;

  constructor(options: PostgresApiKeyStoreOptions) {
    if (typeof options !== 'object' || options === null) setupError('ERR_TOLLGATE_INVALID_OPTION', 'PostgresApiKeyStore: options must be an object');
    assertKnownOptions(options, ['pool', 'table'], 'PostgresApiKeyStore');
    if (typeof options.pool?.query !== 'function') setupError('ERR_TOLLGATE_INVALID_OPTION', 'PostgresApiKeyStore: pool must be a pg Pool');
    const table = options.table ?? 'tollgate_api_keys';
    const parts = typeof table === 'string' ? table.split('.') : [];
    if (parts.length < 1 || parts.length > 2 || !parts.every((p) => NAME.test(p))) setupError('ERR_TOLLGATE_INVALID_OPTION', 'PostgresApiKeyStore: table must be a name or schema.name of letters, digits and _');
    this.#pool = options.pool;
    this.#table = parts.map((p) => `"${p}"`).join('.');
    this.#index = `"${parts.at(-1)!.slice(0, 50)}_subject_idx"`;
  }

  /** Creates the table and its index when they do not exist. Safe to run on every start. */
  async migrate(): Promise<void> {
    await this.#pool.query(`CREATE TABLE IF NOT EXISTS ${this.#table} (
      id text PRIMARY KEY,
      name text NOT NULL,
      subject text NOT NULL,
      scopes text[] NOT NULL,
      roles text[] NOT NULL,
      claims jsonb,
      salt text NOT NULL,
      hash text NOT NULL,
      start text NOT NULL,
      created_at timestamptz NOT NULL,
      expires_at timestamptz,
      revoked_at timestamptz,
      last_used_at timestamptz,
      rotated_from text,
      remaining bigint,
      refill_amount bigint,
      refill_interval_ms bigint,
      refilled_at timestamptz
    )`);
    await this.#pool.query(`CREATE INDEX IF NOT EXISTS ${this.#index} ON ${this.#table} (subject)`);
  }

  async get(id: string): Promise<ApiKeyRecord | undefined> {
    const { rows } = await this.#pool.query(`SELECT * FROM ${this.#table} WHERE id = $1`, [id]);
    return rows[0] === undefined ? undefined : row(rows[0]);
  }

  async put(r: ApiKeyRecord): Promise<void> {
    await this.#pool.query(
      `INSERT INTO ${this.#table} (id, name, subject, scopes, roles, claims, salt, hash, start, created_at, expires_at, revoked_at, last_used_at, rotated_from, remaining, refill_amount, refill_interval_ms, refilled_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18)`,
      [r.id, r.name, r.subject, r.scopes, r.roles, r.claims === undefined ? null : JSON.stringify(r.claims), r.salt, r.hash, r.start, r.createdAt,
        r.expiresAt ?? null, r.revokedAt ?? null, r.lastUsedAt ?? null, r.rotatedFrom ?? null, r.remaining ?? null,
        r.refill?.amount ?? null, r.refill?.intervalMs ?? null, r.refilledAt ?? null],
    );
  }

  async update(id: string, patch: ApiKeyPatch): Promise<void> {
    const columns = { expiresAt: 'expires_at', revokedAt: 'revoked_at', lastUsedAt: 'last_used_at' } as const;
    const set = (Object.keys(columns) as (keyof typeof columns)[]).filter((k) => patch[k] !== undefined);
    if (set.length === 0) return;
    await this.#pool.query(`UPDATE ${this.#table} SET ${set.map((k, i) => `${columns[k]} = $${i + 2}`).join(', ')} WHERE id = $1`, [id, ...set.map((k) => patch[k])]);
  }

  async list(filter: { subject?: string } = {}): Promise<ApiKeyRecord[]> {
    const { rows } = filter.subject === undefined
      ? await this.#pool.query(`SELECT * FROM ${this.#table} ORDER BY created_at, id`)
      : await this.#pool.query(`SELECT * FROM ${this.#table} WHERE subject = $1 ORDER BY created_at, id`, [filter.subject]);
    return rows.map(row);
  }

  async spend(id: string, now: Date): Promise<number> {
    // One statement: the row lock makes concurrent spends queue, and each re-reads the cap.
    const { rows } = await this.#pool.query(
      `UPDATE ${this.#table} SET
         refilled_at = CASE WHEN ${DUE} THEN to_timestamp((${LAST} + (($2::bigint - ${LAST}) / refill_interval_ms) * refill_interval_ms) / 1000.0) ELSE refilled_at END,
         remaining = ${CAP} - 1
       WHERE id = $1 AND remaining IS NOT NULL AND ${CAP} > 0
       RETURNING remaining`,
      [id, now.getTime()],
    );
    return rows[0] === undefined ? -1 : Number(rows[0].remaining);
  }
}
