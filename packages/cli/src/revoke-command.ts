import { revoke, type RevocationRecord, type RevocationTarget } from '@tollgate/core';
import { AuditInputError, messageOf } from './audit-input-error.js';

/** Flags of `tollgate revoke`. */
export interface RevokeFlags {
  redis: string;
  prefix?: string;
  token?: string;
  jti?: string;
  expires?: string;
  subject?: string;
  before?: string;
}

function parseDate(value: string, flag: string): Date {
  const date = /^\d+$/.test(value) ? new Date(Number(value) * 1000) : new Date(value);
  if (Number.isNaN(date.getTime())) throw new AuditInputError(`${flag} must be an ISO 8601 time or seconds since the epoch, not ${JSON.stringify(value)}`);
  return date;
}

/** Turns the flags into one revocation target; exactly one of --token, --jti, --subject. */
export function revocationTarget(flags: RevokeFlags): RevocationTarget {
  const given = (['token', 'jti', 'subject'] as const).filter((k) => flags[k] !== undefined);
  if (given.length !== 1) throw new AuditInputError('tollgate revoke needs exactly one of --token, --jti or --subject');
  if (flags.token !== undefined) return { token: flags.token };
  if (flags.jti !== undefined) {
    if (flags.expires === undefined) throw new AuditInputError('--jti needs --expires (the token\'s exp), so the entry is forgotten once the token is dead');
    return { jti: flags.jti, expiresAt: parseDate(flags.expires, '--expires') };
  }
  return { subject: flags.subject!, ...(flags.before === undefined ? {} : { issuedBefore: parseDate(flags.before, '--before') }) };
}

/** The one token `--token -` reads from standard input (trimmed), so it never sits in argv or shell history. */
export async function tokenFromStdin(readStdin: (() => Promise<string>) | undefined): Promise<string> {
  if (readStdin === undefined) throw new AuditInputError('--token - reads the token from standard input, which is not available here');
  let text: string;
  try {
    text = (await readStdin()).trim();
  } catch (error) {
    throw new AuditInputError(`--token -: ${messageOf(error)}`);
  }
  if (text === '') throw new AuditInputError('--token -: standard input holds no token');
  if (/\s/.test(text)) throw new AuditInputError('--token -: standard input must hold exactly one token');
  return text;
}

/** One line saying what was written. */
export function describeRevocation(record: RevocationRecord): string {
  return record.kind === 'token'
    ? `Revoked the token with jti ${record.jti} until ${record.expiresAt.toISOString()}`
    : `Revoked every token of subject ${record.subject} issued before ${record.issuedBefore.toISOString()}`;
}

/**
 * `tollgate revoke`: writes `target` (from {@link revocationTarget}) to the Redis that the apps'
 * `RedisRevocationStore` reads, through ioredis and @tollgate/redis (both resolved from the
 * working directory's project).
 */
export async function revokeInRedis(flags: Pick<RevokeFlags, 'redis' | 'prefix'>, target: RevocationTarget): Promise<RevocationRecord> {
  let Redis: typeof import('ioredis').Redis;
  let RedisRevocationStore: typeof import('@tollgate/redis').RedisRevocationStore;
  try {
    ({ Redis } = await import('ioredis'));
    ({ RedisRevocationStore } = await import('@tollgate/redis'));
  } catch (error) {
    throw new AuditInputError(`tollgate revoke needs ioredis and @tollgate/redis installed: ${messageOf(error)}`);
  }
  const client = new Redis(flags.redis, { lazyConnect: true, enableOfflineQueue: false, maxRetriesPerRequest: 0, connectTimeout: 3000, retryStrategy: () => null, disconnectTimeout: 100 });
  client.on('error', () => { /* reported through connect() or the command */ });
  try {
    await client.connect();
    const store = new RedisRevocationStore({ client, ...(flags.prefix === undefined ? {} : { prefix: flags.prefix }), timeoutMs: 3000 });
    return await revoke(store, target);
  } catch (error) {
    if (error instanceof AuditInputError) throw error;
    throw new AuditInputError(`could not revoke: ${messageOf(error)}`);
  } finally {
    // QUIT lets the written command's connection close cleanly; a dead connection is just dropped.
    await client.quit().catch(() => client.disconnect());
  }
}
