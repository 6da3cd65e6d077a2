/**
 * Redis clients for the tests, made the way the README tells users to make them: no offline
 * queue, so a command on a lost connection fails instead of waiting for Redis to come back.
 */
import { once } from 'node:events';
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { createClient } from 'redis';
import type { IORedisClientLike } from '../src/client.js';

export const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
export const REDIS = new URL(REDIS_URL);
export const REDIS_TARGET = { host: REDIS.hostname, port: Number(REDIS.port || 6379) };

/** A prefix unique to one test file's run; every key a test writes starts with it. */
export const runPrefix = (): string => `tollgate-test:${randomUUID()}:`;

const createNodeRedis = (url: string) => createClient({ url, disableOfflineQueue: true, socket: { reconnectStrategy: () => 50, connectTimeout: 1000 } });
export type NodeRedisClient = ReturnType<typeof createNodeRedis>;

/** An ioredis client that retries its connection quickly; resolves once it is ready unless `wait` is false. */
export async function ioredisClient(url = REDIS_URL, wait = true): Promise<Redis> {
  // disconnectTimeout is for the tests only: ending a client on a dead socket would wait 2 s.
  const client = new Redis(url, { enableOfflineQueue: false, maxRetriesPerRequest: 0, retryStrategy: () => 50, disconnectTimeout: 20 });
  client.on('error', () => { /* reconnects on its own; the stores reject meanwhile */ });
  if (wait && client.status !== 'ready') await once(client, 'ready');
  return client;
}

/** A node-redis client, connected unless `wait` is false (then connecting in the background). */
export async function nodeRedisClient(url = REDIS_URL, wait = true): Promise<NodeRedisClient> {
  const client = createNodeRedis(url);
  client.on('error', () => { /* reconnects on its own; the stores reject meanwhile */ });
  const connecting = client.connect();
  if (wait) await connecting;
  else connecting.catch(() => { /* still retrying in the background */ });
  return client;
}

/** Deletes every key under `prefix`. */
export async function deleteKeys(client: Redis, prefix: string): Promise<void> {
  let cursor = '0';
  do {
    const [next, keys] = await client.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
    if (keys.length > 0) await client.del(...keys);
    cursor = next;
  } while (cursor !== '0');
}

/** Ends a client of either kind, whatever state it is in. */
export function endClient(client: Redis | NodeRedisClient): void {
  // (disconnect() on an ioredis client that has already ended would arm a new timer)
  if (client instanceof Redis) { if (client.status !== 'end') client.disconnect(); }
  else if (client.isOpen) client.destroy();
}

/** Whether `promise` has settled within `ms`: `'resolved'`, `'rejected'` or `'pending'`. */
export async function settlesWithin(promise: Promise<unknown>, ms: number): Promise<'resolved' | 'rejected' | 'pending'> {
  let timer: NodeJS.Timeout | undefined;
  const pending = new Promise<'pending'>((resolve) => { timer = setTimeout(() => resolve('pending'), ms); });
  const outcome = await Promise.race([promise.then(() => 'resolved' as const, () => 'rejected' as const), pending]);
  clearTimeout(timer);
  return outcome;
}

/** An ioredis client that records every command it sends. */
export function recording(client: Redis): { client: IORedisClientLike; commands: string[][] } {
  const commands: string[][] = [];
  return {
    commands,
    client: {
      get status() { return client.status; },
      call: (command, ...args) => { commands.push([command, ...args.map(String)]); return client.call(command, ...args); },
    },
  };
}
