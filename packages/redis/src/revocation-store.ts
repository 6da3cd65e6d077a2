import { assertRevocationTime, isBeforeCutoff, maxTokenLifetimeMs, revocationKey, revocationKeysOf, type RevocationStore, type RevocationSubject } from '@tollgate/core';
import type { SendCommand } from './client.js';
import { parseRedisStoreOptions, requireHashTagOnCluster, type RedisStoreOptions } from './options.js';

// Extends a token entry to ARGV[1] ms from now unless it already lives at least that long, in one
// atomic step: a second revocation (a forged token with an earlier exp) can never shorten it.
// PTTL is -2 for a missing key (written) and -1 for one without expiry (kept: it lives forever).
const EXTEND_ENTRY = `local ttl = redis.call('PTTL', KEYS[1])
if ttl == -2 or (ttl >= 0 and ttl < tonumber(ARGV[1])) then redis.call('SET', KEYS[1], '1', 'PX', ARGV[1]) return 1 end
return 0`;

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
 * Keys are `prefix` plus core's `revocationKey`: `jti:*:<jti>` for a token revoked under every
 * issuer, `jti:i<length>:<issuer>:<jti>` for one issuer, and `sub:…` alike for subjects. A token
 * entry expires (`PX`) when the token can no longer be accepted, and is only ever extended, by
 * one Lua script. A subject entry holds the cut-off in ms, only ever raised, and expires
 * `maxTokenLifetime` seconds (default 24 h) after the cut-off, when every token it covers has
 * expired (delete it to lift the revocation sooner). `isRevoked` costs one round trip: one `MGET`
 * of the token's and its subject's keys. Default prefix `tollgate:{revoked}:`: its hash tag puts
 * all keys in one Redis Cluster slot. On a cluster client, a prefix without a hash tag is a setup
 * error (the `MGET` would fail with CROSSSLOT on every request).
 */
export class RedisRevocationStore implements RevocationStore {
  readonly #send: SendCommand;
  readonly #prefix: string;
  readonly #lifetimeMs: number;

  constructor(options: RedisRevocationStoreOptions) {
    const parsed = parseRedisStoreOptions(options, 'RedisRevocationStore', 'tollgate:{revoked}:', ['maxTokenLifetime']);
    requireHashTagOnCluster(parsed, 'RedisRevocationStore', 'tollgate:{revoked}:');
    this.#send = parsed.send;
    this.#prefix = parsed.prefix;
    this.#lifetimeMs = maxTokenLifetimeMs(options.maxTokenLifetime, 'RedisRevocationStore');
  }

  async revokeToken(jti: string, expiresAt: Date, issuer?: string): Promise<void> {
    const key = this.#prefix + revocationKey('jti', jti, issuer);
    const ttl = Math.ceil(assertTime(expiresAt, 'revokeToken: expiresAt') - Date.now());
    if (ttl <= 0) return; // the token is dead already
    await this.#send(['EVAL', EXTEND_ENTRY, '1', key, String(ttl)]);
  }

  async revokeSubject(subject: string, issuedBefore: Date, issuer?: string): Promise<void> {
    const key = this.#prefix + revocationKey('sub', subject, issuer);
    const cutoff = assertTime(issuedBefore, 'revokeSubject: issuedBefore');
    const forgetAt = cutoff + this.#lifetimeMs;
    if (forgetAt <= Date.now()) return; // every token it covers has expired
    await this.#send(['EVAL', RAISE_CUTOFF, '1', key, String(cutoff), String(forgetAt)]);
  }

  async isRevoked(claims: RevocationSubject): Promise<boolean> {
    const { jti, sub } = revocationKeysOf(claims);
    const keys = [...jti, ...sub].map((key) => this.#prefix + key);
    if (keys.length === 0) return false;
    const reply = await this.#send(['MGET', ...keys]); // every key, one round trip
    if (!Array.isArray(reply) || reply.length !== keys.length) throw new TypeError('Redis answered MGET with an unexpected reply');
    const values = reply as unknown[];
    if (values.slice(0, jti.length).some((value) => value !== null)) return true;
    return values.slice(jti.length).some((value) => value !== null && value !== undefined && isBeforeCutoff(Number(String(value)), claims.iat));
  }
}
