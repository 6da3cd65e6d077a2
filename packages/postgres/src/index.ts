export { PostgresApiKeyStore, type PgQueryable, type PostgresApiKeyStoreOptions } from './api-key-store.js';
