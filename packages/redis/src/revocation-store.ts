import { assertRevocationTime, type RevocationStore, type RevocationSubject } from '@tollgate/core';
import type { SendCommand } from './client.js';
import { parseRedisStoreOptions, type RedisStoreOptions } from './options.js';

// Keeps the later of the stored cut-off and the new one in one atomic step, so two admins
// revoking at once can never lower a cut-off (GET then SET from the app could).
const RAISE_CUTOFF = `local current = tonumber(redis.call('GET', KEYS[1]))
if current == nil or tonumber(ARGV[1]) > current then redis.call('SET', KEYS[1], ARGV[1]) end
return 1`;

const assertTime = (value: Date, name: string): number => assertRevocationTime(value, `RedisRevocationStore.${name}`);

/**
 * A {@link RevocationStore} on Redis, shared by every instance of the app.
 *
 * A revoked token is the key `prefix + 'jti:' + jti`, expiring (`PX`) when the token does. A
 * revoked subject is the key `prefix + 'sub:' + subject` holding the cut-off in ms; it has no
 * expiry, like the memory store's (delete it to lift the revocation). `isRevoked` costs one
 * round trip: one `MGET` of both keys. Default prefix `tollgate:revoked:`. On Redis Cluster,
 * put a hash tag in the prefix (`tollgate:{revoked}:`) so both keys share a slot.
 */
export class RedisRevocationStore implements RevocationStore {
  readonly #send: SendCommand;
  readonly #prefix: string;

  constructor(options: RedisStoreOptions) {
    const parsed = parseRedisStoreOptions(options, 'RedisRevocationStore', 'tollgate:revoked:');
    this.#send = parsed.send;
    this.#prefix = parsed.prefix;
  }

  async revokeToken(jti: string, expiresAt: Date): Promise<void> {
    const ttl = Math.ceil(assertTime(expiresAt, 'revokeToken: expiresAt') - Date.now());
    if (ttl <= 0) return; // the token is dead already
    await this.#send(['SET', `${this.#prefix}jti:${jti}`, '1', 'PX', String(ttl)]);
  }

  async revokeSubject(subject: string, issuedBefore: Date): Promise<void> {
    const cutoff = assertTime(issuedBefore, 'revokeSubject: issuedBefore');
    await this.#send(['EVAL', RAISE_CUTOFF, '1', `${this.#prefix}sub:${subject}`, String(cutoff)]);
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
