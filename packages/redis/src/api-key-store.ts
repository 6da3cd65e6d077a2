import type { ApiKeyPatch, ApiKeyRecord, ApiKeyStore } from '@tollgate/core';
import type { SendCommand } from './client.js';
import { parseRedisStoreOptions, requireHashTagOnCluster, type RedisStoreOptions } from './options.js';

// Inserts the hash and indexes its id, unless the id exists: one atomic step.
const PUT = `if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('HSET', KEYS[1], unpack(ARGV, 2))
redis.call('SADD', KEYS[2], ARGV[1])
redis.call('SADD', KEYS[3], ARGV[1])
return 1`;

// Changes fields of an existing record only: an update never creates a half record.
const UPDATE = `if redis.call('EXISTS', KEYS[1]) == 1 then redis.call('HSET', KEYS[1], unpack(ARGV)) end
return 1`;

// Refills the cap when due, then spends one use, in one atomic step. -1: nothing left, or no cap.
const SPEND = `local v = redis.call('HMGET', KEYS[1], 'remaining', 'refillAmount', 'refillIntervalMs', 'refilledAt', 'createdAt')
if not v[1] then return -1 end
local remaining = tonumber(v[1])
local now = tonumber(ARGV[1])
if v[2] and v[3] then
  local interval = tonumber(v[3])
  local last = tonumber(v[4] or v[5])
  if now - last >= interval then
    remaining = tonumber(v[2])
    redis.call('HSET', KEYS[1], 'refilledAt', string.format('%d', last + math.floor((now - last) / interval) * interval), 'remaining', string.format('%d', remaining))
  end
end
if remaining <= 0 then return -1 end
redis.call('HSET', KEYS[1], 'remaining', string.format('%d', remaining - 1))
return remaining - 1`;

const DATES = ['createdAt', 'expiresAt', 'revokedAt', 'lastUsedAt', 'refilledAt'] as const;

function toFields(record: ApiKeyRecord): string[] {
  const fields: [string, string | undefined][] = [
    ['id', record.id], ['name', record.name], ['subject', record.subject], ['scopes', JSON.stringify(record.scopes)], ['roles', JSON.stringify(record.roles)],
    ['claims', record.claims === undefined ? undefined : JSON.stringify(record.claims)], ['salt', record.salt], ['hash', record.hash], ['start', record.start],
    ['rotatedFrom', record.rotatedFrom], ['remaining', record.remaining?.toString()],
    ['refillAmount', record.refill?.amount.toString()], ['refillIntervalMs', record.refill?.intervalMs.toString()],
    ...DATES.map((d): [string, string | undefined] => [d, record[d]?.getTime().toString()]),
  ];
  return fields.filter((f): f is [string, string] => f[1] !== undefined).flat();
}

/** HGETALL's reply as a record of strings: a flat array (RESP2) or a map (RESP3). */
function replyFields(reply: unknown): Record<string, string> {
  const out: Record<string, string> = Object.create(null) as Record<string, string>;
  if (Array.isArray(reply)) {
    for (let i = 0; i + 1 < reply.length; i += 2) out[String(reply[i])] = String(reply[i + 1]);
  } else if (reply instanceof Map) {
    for (const [k, v] of reply) out[String(k)] = String(v);
  } else if (reply !== null && typeof reply === 'object') {
    for (const [k, v] of Object.entries(reply)) out[k] = String(v);
  } else {
    throw new TypeError('Redis answered HGETALL with an unexpected reply');
  }
  return out;
}

function fromFields(f: Record<string, string>): ApiKeyRecord | undefined {
  if (f.id === undefined) return undefined;
  const date = (name: string) => (f[name] === undefined ? undefined : new Date(Number(f[name])));
  const record: ApiKeyRecord = {
    id: f.id, name: f.name ?? '', subject: f.subject ?? '', scopes: JSON.parse(f.scopes ?? '[]') as string[], roles: JSON.parse(f.roles ?? '[]') as string[],
    salt: f.salt ?? '', hash: f.hash ?? '', start: f.start ?? '', createdAt: date('createdAt')!,
  };
  if (f.claims !== undefined) record.claims = JSON.parse(f.claims) as Record<string, unknown>;
  for (const d of ['expiresAt', 'revokedAt', 'lastUsedAt', 'refilledAt'] as const) {
    const value = date(d);
    if (value !== undefined) record[d] = value;
  }
  if (f.rotatedFrom !== undefined) record.rotatedFrom = f.rotatedFrom;
  if (f.remaining !== undefined) record.remaining = Number(f.remaining);
  if (f.refillAmount !== undefined && f.refillIntervalMs !== undefined) record.refill = { amount: Number(f.refillAmount), intervalMs: Number(f.refillIntervalMs) };
  return record;
}

/**
 * An {@link ApiKeyStore} on Redis, shared by every instance of the app. A record is the hash
 * `prefix + 'key:' + id` (salt and hash of the secret, never the key); ids are indexed in the
 * sets `prefix + 'all'` and `prefix + 'subject:' + subject`. `put` and `spend` are one script
 * each, so an insert never overwrites and a cap is refilled and spent atomically. The default
 * prefix `tollgate:{apikeys}:` carries a hash tag: on Redis Cluster every key of the store shares
 * a slot, as a script touching several keys needs: on a cluster client, a prefix without a
 * `{…}` tag is a setup error.
 */
export class RedisApiKeyStore implements ApiKeyStore {
  readonly #send: SendCommand;
  readonly #prefix: string;

  constructor(options: RedisStoreOptions) {
    const parsed = parseRedisStoreOptions(options, 'RedisApiKeyStore', 'tollgate:{apikeys}:');
    requireHashTagOnCluster(parsed, 'RedisApiKeyStore', 'tollgate:{apikeys}:');
    this.#send = parsed.send;
    this.#prefix = parsed.prefix;
  }

  #key(id: string): string {
    return `${this.#prefix}key:${id}`;
  }

  async get(id: string): Promise<ApiKeyRecord | undefined> {
    return fromFields(replyFields(await this.#send(['HGETALL', this.#key(id)])));
  }

  async put(record: ApiKeyRecord): Promise<void> {
    const reply = await this.#send(['EVAL', PUT, '3', this.#key(record.id), `${this.#prefix}all`, `${this.#prefix}subject:${record.subject}`, record.id, ...toFields(record)]);
    if (Number(reply) !== 1) throw new Error(`RedisApiKeyStore: the id ${record.id} exists`);
  }

  async update(id: string, patch: ApiKeyPatch): Promise<void> {
    const fields = (['expiresAt', 'revokedAt', 'lastUsedAt'] as const).flatMap((d) => (patch[d] === undefined ? [] : [d, String(patch[d].getTime())]));
    if (fields.length === 0) return;
    await this.#send(['EVAL', UPDATE, '1', this.#key(id), ...fields]);
  }

  async list(filter: { subject?: string } = {}): Promise<ApiKeyRecord[]> {
    const index = filter.subject === undefined ? `${this.#prefix}all` : `${this.#prefix}subject:${filter.subject}`;
    const ids = await this.#send(['SMEMBERS', index]);
    if (!Array.isArray(ids) && !(ids instanceof Set)) throw new TypeError('Redis answered SMEMBERS with an unexpected reply');
    const records = await Promise.all([...(ids as Iterable<unknown>)].map((id) => this.get(String(id))));
    return records.filter((r): r is ApiKeyRecord => r !== undefined && (filter.subject === undefined || r.subject === filter.subject)).sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime());
  }

  async spend(id: string, now: Date): Promise<number> {
    const reply = Number(await this.#send(['EVAL', SPEND, '1', this.#key(id), String(now.getTime())]));
    if (!Number.isInteger(reply)) throw new TypeError('Redis answered the spend script with an unexpected reply');
    return reply;
  }
}
