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
  issuer?: string;
  clockTolerance?: string;
}

// C0 and C1 controls (ESC, CSI, BEL, …), DEL, line and paragraph separators and the bidi
// overrides: a jti, subject or issuer is the token's to choose, and must not drive the terminal.
const UNPRINTABLE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u200e\u200f\u202a-\u202e\u2066-\u2069]/gu;

/** `value` safe to print to a terminal: every control or bidi character as a `\u{…}` escape. */
export function printable(value: string): string {
  return value.replace(UNPRINTABLE, (c) => `\\u{${c.codePointAt(0)!.toString(16)}}`);
}

function parseDate(value: string, flag: string): Date {
  const date = /^\d+$/.test(value) ? new Date(Number(value) * 1000) : new Date(value);
  if (Number.isNaN(date.getTime())) throw new AuditInputError(`${flag} must be an ISO 8601 time or seconds since the epoch, not ${printable(JSON.stringify(value))}`);
  return date;
}

/** Turns the flags into one revocation target; exactly one of --token, --jti, --subject. */
export function revocationTarget(flags: RevokeFlags): RevocationTarget {
  const given = (['token', 'jti', 'subject'] as const).filter((k) => flags[k] !== undefined);
  if (given.length !== 1) throw new AuditInputError('tollgate revoke needs exactly one of --token, --jti or --subject');
  if (flags.token !== undefined) {
    if (flags.issuer !== undefined) throw new AuditInputError('--issuer goes with --jti or --subject; a --token is revoked for its own iss');
    return { token: flags.token };
  }
  if (flags.issuer === '') throw new AuditInputError('--issuer must not be empty');
  const issuer = flags.issuer === undefined ? {} : { issuer: flags.issuer };
  if (flags.jti !== undefined) {
    if (flags.expires === undefined) throw new AuditInputError('--jti needs --expires (the token\'s exp), so the entry is forgotten once the token is dead');
    return { jti: flags.jti, expiresAt: parseDate(flags.expires, '--expires'), ...issuer };
  }
  return { subject: flags.subject!, ...(flags.before === undefined ? {} : { issuedBefore: parseDate(flags.before, '--before') }), ...issuer };
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

/** One line saying what was written (or that nothing was), every value from the token made printable. */
export function describeRevocation(record: RevocationRecord): string {
  const of = record.issuer === undefined ? 'of every issuer' : `of issuer ${printable(record.issuer)}`;
  if (record.kind === 'subject') return `Revoked every token of subject ${printable(record.subject)} ${of} issued before ${record.issuedBefore.toISOString()}`;
  if (record.isExpired) return `Nothing written: the token with jti ${printable(record.jti)} ${of} can no longer be accepted (expired, with the clock tolerance, at ${record.expiresAt.toISOString()})`;
  return `Revoked the token with jti ${printable(record.jti)} ${of} until ${record.expiresAt.toISOString()}`;
}

/**
 * `tollgate revoke`: writes `target` (from {@link revocationTarget}) to the Redis that the apps'
 * `RedisRevocationStore` reads, through ioredis and @tollgate/redis (both resolved from the
 * working directory's project).
 */
export async function revokeInRedis(flags: Pick<RevokeFlags, 'redis' | 'prefix' | 'clockTolerance'>, target: RevocationTarget): Promise<RevocationRecord> {
  const clockTolerance = flags.clockTolerance === undefined ? undefined : Number(flags.clockTolerance);
  if (clockTolerance !== undefined && !(/^\d+$/.test(flags.clockTolerance!) && Number.isSafeInteger(clockTolerance))) {
    throw new AuditInputError(`--clock-tolerance must be a whole number of seconds, not ${printable(JSON.stringify(flags.clockTolerance))}`);
  }
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
    return await revoke(store, target, clockTolerance === undefined ? {} : { clockTolerance });
  } catch (error) {
    if (error instanceof AuditInputError) throw error;
    throw new AuditInputError(`could not revoke: ${printable(messageOf(error))}`);
  } finally {
    // QUIT lets the written command's connection close cleanly; a dead connection is just dropped.
    await client.quit().catch(() => client.disconnect());
  }
}
