import type { ApiKeyStore } from '@tollgate/core';
import { AuditInputError, messageOf } from './audit-input-error.js';

/** Where `tollgate keys` finds the store: exactly one of --redis or --postgres. */
export interface KeyStoreFlags {
  redis?: string;
  postgres?: string;
  /** The RedisApiKeyStore key prefix. */
  prefix?: string;
  /** The PostgresApiKeyStore table. */
  table?: string;
}

/** An open store and how to let go of its connection. */
export interface OpenKeyStore {
  readonly store: ApiKeyStore;
  close(): Promise<void>;
}

async function load<T>(what: string, importer: () => Promise<T>): Promise<T> {
  try {
    return await importer();
  } catch (error) {
    throw new AuditInputError(`tollgate keys needs ${what} installed: ${messageOf(error)}`);
  }
}

/**
 * Connects to the store the apps read (ioredis + @tollgate/redis, or pg + @tollgate/postgres,
 * resolved from the working directory's project). A PostgreSQL table is created if missing.
 */
export async function openKeyStore(flags: KeyStoreFlags): Promise<OpenKeyStore> {
  if ((flags.redis === undefined) === (flags.postgres === undefined)) throw new AuditInputError('tollgate keys needs exactly one of --redis URL or --postgres URL');
  if (flags.redis !== undefined) {
    if (flags.table !== undefined) throw new AuditInputError('--table is for --postgres; --redis takes --prefix');
    const { Redis } = await load('ioredis', () => import('ioredis'));
    const { RedisApiKeyStore } = await load('@tollgate/redis', () => import('@tollgate/redis'));
    const client = new Redis(flags.redis, { lazyConnect: true, enableOfflineQueue: false, maxRetriesPerRequest: 0, connectTimeout: 3000, retryStrategy: () => null, disconnectTimeout: 100 });
    client.on('error', () => { /* reported through connect() or the command */ });
    try {
      await client.connect();
    } catch (error) {
      client.disconnect();
      throw new AuditInputError(`cannot reach Redis: ${messageOf(error)}`);
    }
    const store = new RedisApiKeyStore({ client, ...(flags.prefix === undefined ? {} : { prefix: flags.prefix }), timeoutMs: 3000 });
    return { store, close: async () => { await client.quit().catch(() => client.disconnect()); } };
  }
  if (flags.prefix !== undefined) throw new AuditInputError('--prefix is for --redis; --postgres takes --table');
  const pg = await load('pg', () => import('pg'));
  const { PostgresApiKeyStore } = await load('@tollgate/postgres', () => import('@tollgate/postgres'));
  const pool = new pg.default.Pool({ connectionString: flags.postgres, max: 1, connectionTimeoutMillis: 3000 });
  pool.on('error', () => { /* reported through the query */ });
  const store = new PostgresApiKeyStore({ pool, ...(flags.table === undefined ? {} : { table: flags.table }) });
  try {
    await store.migrate();
  } catch (error) {
    await pool.end().catch(() => {});
    throw new AuditInputError(`cannot use PostgreSQL: ${messageOf(error)}`);
  }
  return { store, close: () => pool.end() };
}
