import { assertTtl, type NonceStore } from '@tollgate/core';
import type { SendCommand } from './client.js';
import { parseRedisStoreOptions, type RedisStoreOptions } from './options.js';

/**
 * A {@link NonceStore} on Redis, for apps that run on several instances. A claim is one
 * atomic `SET key 1 NX PX ttl`: of any number of concurrent uses across the fleet exactly one
 * wins, and the key vanishes when the token or proof it protects can no longer be accepted.
 *
 * Keys are `prefix + key` (default prefix `tollgate:nonce:`). A disconnected client or a
 * command slower than `timeoutMs` (default 250) rejects, so the request gets a 503.
 */
export class RedisNonceStore implements NonceStore {
  readonly kind = 'redis';
  readonly #send: SendCommand;
  readonly #prefix: string;

  constructor(options: RedisStoreOptions) {
    const parsed = parseRedisStoreOptions(options, 'RedisNonceStore', 'tollgate:nonce:');
    this.#send = parsed.send;
    this.#prefix = parsed.prefix;
  }

  async claim(key: string, ttlMs: number): Promise<boolean> {
    assertTtl(ttlMs);
    // NX: only the first SET writes and answers OK; every later one answers nil.
    const reply = await this.#send(['SET', this.#prefix + key, '1', 'NX', 'PX', String(Math.ceil(ttlMs))]);
    if (reply === 'OK') return true;
    if (reply === null || reply === undefined) return false;
    // Anything else is not an answer to SET NX: fail closed (the replay guard answers 503).
    throw new TypeError('Redis answered SET NX with an unexpected reply');
  }
}
