import { assertRevocationTime, maxTokenLifetimeMs, setupError, type RevocationStore, type RevocationSubject } from '@tollgate/core';
import type { SendCommand } from './client.js';
import { hasHashTag, parseRedisStoreOptions, type RedisStoreOptions } from './options.js';

// Keeps the later of the stored cut-off and the new one in one atomic step, so two admins
// revoking at once can never lower a cut-off (GET then SET from the app could). The key expires
// maxTokenLifetime after the cut-off it holds (ARGV[2], ms since the epoch), so its expiry grows with it.
const RAISE_CUTOFF = `local current = tonumber(redis.call('GET', KEYS[1]))
if current == nil or tonumber(ARGV[1]) > current then redis.call('SET', KEYS[1], ARGV[1]); redis.call('PEXPIREAT', KEYS[1], ARGV[2]) end
return 1`;

/** Options of {@link RedisRevocationStore}. */
export interface RedisRevocationStoreOptions extends RedisStoreOptions {
  /**
   * Seconds (default 86 400) a subject revocation is kept after its cut-off: the longest
   * `exp - iat` of your issuers' tokens, plus the clock tolerance.
   */
  maxTokenLifetime?: number;
}

const assertTime = (value: Date, name: string): number => assertRevocationTime(value, `RedisRevocationStore.${name}`);

/**
 * A {@link RevocationStore} on Redis, shared by every instance of the app.
 *
 * A revoked token is the key `prefix + 'jti:' + jti`, expiring (`PX`) when the token does. A
 * revoked subject is the key `prefix + 'sub:' + subject` holding the cut-off in ms, expiring
 * `maxTokenLifetime` seconds (default 24 h) after the cut-off, when every token it covers has
 * expired (delete it to lift the revocation sooner). `isRevoked` costs one
 * round trip: one `MGET` of both keys. Default prefix `tollgate:{revoked}:`: its hash tag puts
 * both keys in one Redis Cluster slot. On a cluster client, a prefix without a hash tag is a
 * setup error (the `MGET` would fail with CROSSSLOT on every request).
 */
export class RedisRevocationStore implements RevocationStore {
  readonly #send: SendCommand;
  readonly #prefix: string;
  readonly #lifetimeMs: number;

  constructor(options: RedisRevocationStoreOptions) {
    const parsed = parseRedisStoreOptions(options, 'RedisRevocationStore', 'tollgate:{revoked}:', ['maxTokenLifetime']);
    if (parsed.isCluster && !hasHashTag(parsed.prefix)) {
      setupError('ERR_TOLLGATE_INVALID_OPTION', `RedisRevocationStore: on Redis Cluster the prefix needs a hash tag, such as "tollgate:{revoked}:" (got "${parsed.prefix}")`);
    }
    this.#send = parsed.send;
    this.#prefix = parsed.prefix;
    this.#lifetimeMs = maxTokenLifetimeMs(options.maxTokenLifetime, 'RedisRevocationStore');
  }

  async revokeToken(jti: string, expiresAt: Date): Promise<void> {
    const ttl = Math.ceil(assertTime(expiresAt, 'revokeToken: expiresAt') - Date.now());
    if (ttl <= 0) return; // the token is dead already
    await this.#send(['SET', `${this.#prefix}jti:${jti}`, '1', 'PX', String(ttl)]);
  }

  async revokeSubject(subject: string, issuedBefore: Date): Promise<void> {
    const cutoff = assertTime(issuedBefore, 'revokeSubject: issuedBefore');
    const forgetAt = cutoff + this.#lifetimeMs;
    if (forgetAt <= Date.now()) return; // every token it covers has expired
    await this.#send(['EVAL', RAISE_CUTOFF, '1', `${this.#prefix}sub:${subject}`, String(cutoff), String(forgetAt)]);
  }

  async isRevoked(claims: RevocationSubject): Promise<boolean> {
    const { jti, sub, iat } = claims;
    if (jti === undefined && sub === undefined) return false;
    const keys: string[] = [];
    if (jti !== undefined) keys.push(`${this.#prefix}jti:${jti}`);
    if (sub !== undefined) keys.push(`${this.#prefix}sub:${sub}`);
    const reply = await this.#send(['MGET', ...keys]); // both keys, one round trip
    if (!Array.isArray(reply) || reply.length !== keys.length) throw new TypeError('Redis answered MGET with an unexpected reply');
    const values = reply as unknown[];
    if (jti !== undefined && values.shift() !== null) return true;
    const cutoff = values[0];
    if (sub === undefined || cutoff === null || cutoff === undefined) return false;
    const before = Number(String(cutoff));
    // Fail closed: an unreadable cut-off revokes, as does a token without iat.
    return !Number.isFinite(before) || typeof iat !== 'number' || iat * 1000 < before;
  }
}
