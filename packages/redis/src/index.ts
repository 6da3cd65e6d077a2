export { RedisNonceStore } from './nonce-store.js';
export { RedisRevocationStore, type RedisRevocationStoreOptions } from './revocation-store.js';
export { RedisAnomalyStore } from './anomaly-store.js';
export { RedisUnavailableError, type IORedisClientLike, type NodeRedisClientLike, type RedisClientLike } from './client.js';
export type { RedisStoreOptions } from './options.js';
export { RedisApiKeyStore } from './api-key-store.js';
