import type { AnomalyStore, ClientCount, ClientWindow, FailureWindow } from '@tollgate/core';
import type { SendCommand } from './client.js';
import { parseRedisStoreOptions, type RedisStoreOptions } from './options.js';

// One token's distinct clients in one window: a HyperLogLog that expires after its window.
// Answers { distinct count before, after }.
const ADD_CLIENT = `local before = redis.call('PFCOUNT', KEYS[1])
local after = before
if redis.call('PFADD', KEYS[1], ARGV[1]) == 1 then after = redis.call('PFCOUNT', KEYS[1]) end
if redis.call('PTTL', KEYS[1]) < 0 then redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return { before, after }`;

// One client's failures: a counter that lives one window from its first failure; past max the
// client's block key is (re)set for blockMs. Both keys carry the client as a hash tag, so this
// script touches one Redis Cluster slot. Answers { failures, ms blocked by this call }.
const ADD_FAILURE = `local count = redis.call('INCR', KEYS[1])
if count == 1 or redis.call('PTTL', KEYS[1]) < 0 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
if count > tonumber(ARGV[2]) then
  redis.call('SET', KEYS[2], '1', 'PX', ARGV[3])
  return { count, tonumber(ARGV[3]) }
end
return { count, 0 }`;

function pair(reply: unknown, command: string): [number, number] {
  if (!Array.isArray(reply) || reply.length !== 2 || !reply.every((n) => typeof n === 'number' && Number.isSafeInteger(n))) {
    throw new TypeError(`Redis answered ${command} with an unexpected reply`);
  }
  return reply as [number, number];
}

/**
 * An `AnomalyStore` on Redis, so that every instance of an app sees one count: a token's
 * distinct client addresses in a HyperLogLog per window (`prefix + 'clients:' + fingerprint +
 * ':' + window`), a client's failures in a counter with expiry and its block in a key that
 * expires with the block (`prefix + '{' + client + '}:failures'` and `…:blocked`; the hash tag
 * keeps both in one Redis Cluster slot). Each call is one round trip. Default prefix
 * `tollgate:anomaly:`; a disconnected client or a command slower than `timeoutMs` (default 250)
 * rejects, which `authenticate` reports and, unless `failClosed`, passes over.
 */
export class RedisAnomalyStore implements AnomalyStore {
  readonly #send: SendCommand;
  readonly #prefix: string;

  constructor(options: RedisStoreOptions) {
    const parsed = parseRedisStoreOptions(options, 'RedisAnomalyStore', 'tollgate:anomaly:');
    this.#send = parsed.send;
    this.#prefix = parsed.prefix;
  }

  async addClient(token: string, client: string, window: ClientWindow, now: number): Promise<ClientCount> {
    const index = Math.floor(now / window.windowMs);
    // The key outlives its window by a second, so a late request still finds it.
    const ttl = (index + 1) * window.windowMs - now + 1000;
    const reply = await this.#send(['EVAL', ADD_CLIENT, '1', `${this.#prefix}clients:${token}:${index}`, client, String(Math.ceil(ttl))]);
    const [previous, count] = pair(reply, 'PFADD');
    return { previous, count };
  }

  async addFailure(client: string, window: FailureWindow, _now: number): Promise<{ count: number; blockedMs: number }> {
    const tagged = `${this.#prefix}{${client}}:`;
    const reply = await this.#send(['EVAL', ADD_FAILURE, '2', `${tagged}failures`, `${tagged}blocked`, String(window.windowMs), String(window.max), String(window.blockMs)]);
    const [count, blockedMs] = pair(reply, 'INCR');
    return { count, blockedMs };
  }

  async blockedFor(client: string, _now: number): Promise<number> {
    const reply = await this.#send(['PTTL', `${this.#prefix}{${client}}:blocked`]);
    if (typeof reply !== 'number') throw new TypeError('Redis answered PTTL with an unexpected reply');
    return reply > 0 ? reply : 0;
  }
}
