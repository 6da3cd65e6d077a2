import { assertKnownOptions, setupError } from '@tollgate/core';
import { commandSender, isRedisClient, isRedisCluster, type RedisClientLike, type SendCommand } from './client.js';

/** Options shared by the Redis stores. */
export interface RedisStoreOptions {
  /** An ioredis instance or a node-redis v4+ client. Create it with its offline queue off (see the README). */
  client: RedisClientLike;
  /** Prefix of every key the store writes. */
  prefix?: string;
  /** Milliseconds a command may take before it rejects (and the request gets a 503). Default 250. */
  timeoutMs?: number;
}

/** What a store keeps of its options once they are checked. */
export interface ParsedRedisStoreOptions {
  readonly send: SendCommand;
  readonly prefix: string;
  /** True for an ioredis `Cluster` or a node-redis cluster. */
  readonly isCluster: boolean;
}

/**
 * Whether every key made as `prefix + suffix` hashes to one Redis Cluster slot, whatever the
 * suffix: the prefix holds a complete, non-empty hash tag (`{…}`), the first `{` of the key.
 */
export function hasHashTag(prefix: string): boolean {
  const open = prefix.indexOf('{');
  return open >= 0 && prefix.indexOf('}', open + 1) > open + 1;
}

/**
 * Refuses, at setup, a prefix without a hash tag on a cluster client, for a store whose commands
 * touch several keys at once (they would fail with CROSSSLOT on every request).
 */
export function requireHashTagOnCluster(parsed: ParsedRedisStoreOptions, what: string, example: string): void {
  if (parsed.isCluster && !hasHashTag(parsed.prefix)) {
    setupError('ERR_TOLLGATE_INVALID_OPTION', `${what}: on Redis Cluster the prefix needs a hash tag, such as "${example}" (got "${parsed.prefix}")`);
  }
}

const KNOWN = ['client', 'prefix', 'timeoutMs'];

/** Validates a store's options once, at construction: a misconfiguration throws, it never fails open later. */
export function parseRedisStoreOptions(options: RedisStoreOptions, what: string, defaultPrefix: string, moreKnown: readonly string[] = []): ParsedRedisStoreOptions {
  if (typeof options !== 'object' || options === null) setupError('ERR_TOLLGATE_INVALID_OPTION', `${what}: options must be an object`);
  assertKnownOptions(options, [...KNOWN, ...moreKnown], what);
  if (!isRedisClient(options.client)) setupError('ERR_TOLLGATE_INVALID_OPTION', `${what}: client must be an ioredis instance or a node-redis client`);
  const prefix = options.prefix ?? defaultPrefix;
  if (typeof prefix !== 'string') setupError('ERR_TOLLGATE_INVALID_OPTION', `${what}: prefix must be a string`);
  const timeoutMs = options.timeoutMs ?? 250;
  if (typeof timeoutMs !== 'number' || !Number.isFinite(timeoutMs) || timeoutMs <= 0) {
    setupError('ERR_TOLLGATE_INVALID_OPTION', `${what}: timeoutMs must be a positive number`);
  }
  return Object.freeze({ send: commandSender(options.client, timeoutMs), prefix, isCluster: isRedisCluster(options.client) });
}
