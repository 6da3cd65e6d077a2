import { ApiKeys, type ApiKeyInfo, type CreatedApiKey } from '@tollgate/core';
import { AuditInputError, messageOf } from './audit-input-error.js';
import { openKeyStore, type KeyStoreFlags } from './keys-store.js';

/** Flags every `tollgate keys` subcommand takes. */
export interface KeysFlags extends KeyStoreFlags {
  /** The key's own prefix (`tg`). */
  keyPrefix?: string;
  /** The name of an environment variable holding the apps' pepper. */
  pepperEnv?: string;
  json?: boolean;
}

/** Flags of `tollgate keys create`. */
export interface CreateFlags extends KeysFlags {
  name: string;
  subject: string;
  scopes?: string;
  roles?: string;
  claims?: string;
  expiresIn?: string;
  remaining?: string;
  refill?: string;
}

const UNITS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86_400 };

/** Seconds from `90`, `90s`, `30m`, `24h` or `7d`. */
export function parseDuration(value: string, flag: string): number {
  const match = /^(\d+)([smhd]?)$/.exec(value);
  if (match === null || Number(match[1]) <= 0) throw new AuditInputError(`${flag} must be a positive duration such as 3600, 30m, 24h or 90d, not ${JSON.stringify(value)}`);
  return Number(match[1]) * UNITS[match[2] || 's']!;
}

const list = (value: string | undefined) => (value === undefined ? undefined : value.split(',').map((s) => s.trim()).filter((s) => s !== ''));

function count(value: string, flag: string): number {
  if (!/^\d+$/.test(value)) throw new AuditInputError(`${flag} must be a whole number, not ${JSON.stringify(value)}`);
  return Number(value);
}

/** Runs `action` on an ApiKeys over the flagged store, and closes the connection. */
export async function withApiKeys<T>(flags: KeysFlags, env: Readonly<Record<string, string | undefined>>, action: (apiKeys: ApiKeys) => Promise<T>): Promise<T> {
  let pepper: string | undefined;
  if (flags.pepperEnv !== undefined) {
    pepper = env[flags.pepperEnv];
    if (pepper === undefined || pepper === '') throw new AuditInputError(`--pepper-env: the environment variable ${flags.pepperEnv} is not set`);
  }
  const { store, close } = await openKeyStore(flags);
  try {
    let apiKeys: ApiKeys;
    try {
      apiKeys = new ApiKeys({ store, ...(flags.keyPrefix === undefined ? {} : { prefix: flags.keyPrefix }), ...(pepper === undefined ? {} : { pepper }), cacheTtlMs: 0, timeoutMs: 5000 });
    } catch (error) {
      throw new AuditInputError(messageOf(error));
    }
    return await action(apiKeys);
  } catch (error) {
    if (error instanceof AuditInputError) throw error;
    throw new AuditInputError(messageOf(error));
  } finally {
    await close().catch(() => {});
  }
}

/** `create`'s input from its flags. */
export function createInput(flags: CreateFlags): Parameters<ApiKeys['create']>[0] {
  let claims: Record<string, unknown> | undefined;
  if (flags.claims !== undefined) {
    try {
      claims = JSON.parse(flags.claims) as Record<string, unknown>;
    } catch {
      throw new AuditInputError('--claims must be a JSON object');
    }
    if (claims === null || typeof claims !== 'object' || Array.isArray(claims)) throw new AuditInputError('--claims must be a JSON object');
  }
  let refill: { amount: number; intervalMs: number } | undefined;
  if (flags.refill !== undefined) {
    const [amount, every] = flags.refill.split('/');
    if (amount === undefined || every === undefined) throw new AuditInputError('--refill must read AMOUNT/INTERVAL, such as 1000/1d');
    refill = { amount: count(amount, '--refill'), intervalMs: parseDuration(every, '--refill') * 1000 };
  }
  return {
    name: flags.name, subject: flags.subject,
    ...(flags.scopes === undefined ? {} : { scopes: list(flags.scopes)! }),
    ...(flags.roles === undefined ? {} : { roles: list(flags.roles)! }),
    ...(claims === undefined ? {} : { claims }),
    ...(flags.expiresIn === undefined ? {} : { expiresIn: parseDuration(flags.expiresIn, '--expires-in') }),
    ...(flags.remaining === undefined ? {} : { remaining: count(flags.remaining, '--remaining') }),
    ...(refill === undefined ? {} : { refill }),
  };
}

/** What `create` and `rotate` print: the key once, with a warning, or JSON for scripts. */
export function describeCreated(created: CreatedApiKey, json: boolean | undefined): string {
  if (json === true) return `${JSON.stringify({ key: created.key, record: created.record })}\n`;
  const { record } = created;
  return [
    `Created API key ${record.id} (${record.name}) for ${record.subject}${record.rotatedFrom === undefined ? '' : `, replacing ${record.rotatedFrom}`}`,
    `Scopes: ${record.scopes.join(' ') || '-'}  Roles: ${record.roles.join(' ') || '-'}  Expires: ${record.expiresAt?.toISOString() ?? 'never'}`,
    'The key, shown this once (only a salted hash is stored):',
    created.key,
    '',
  ].join('\n');
}

function status(info: ApiKeyInfo, now: number): string {
  if (info.revokedAt !== undefined) return 'revoked';
  if (info.expiresAt !== undefined && info.expiresAt.getTime() <= now) return 'expired';
  return info.expiresAt === undefined ? 'active' : `until ${info.expiresAt.toISOString()}`;
}

/** `list`'s table (or JSON): id, display prefix, name, subject, grants, status, last use; never a hash or salt. */
export function formatKeyList(infos: readonly ApiKeyInfo[], json: boolean | undefined, now = Date.now()): string {
  if (json === true) return `${JSON.stringify(infos)}\n`;
  if (infos.length === 0) return 'No API keys.\n';
  const head = ['ID', 'START', 'NAME', 'SUBJECT', 'SCOPES', 'ROLES', 'STATUS', 'LAST USED', 'REMAINING'];
  const rows = infos.map((i) => [i.id, `${i.start}…`, i.name, i.subject, i.scopes.join(' ') || '-', i.roles.join(' ') || '-', status(i, now), i.lastUsedAt?.toISOString() ?? '-', i.remaining?.toString() ?? '-']);
  const widths = head.map((h, c) => Math.max(h.length, ...rows.map((r) => r[c]!.length)));
  return `${[head, ...rows].map((r) => r.map((cell, c) => cell.padEnd(widths[c]!)).join('  ').trimEnd()).join('\n')}\n`;
}
