import { describe, expect, it } from '@jest/globals';
import { crc32 } from 'node:zlib';
import { ApiKeys } from '../src/api-keys/api-keys.js';
import { MemoryApiKeyStore, type ApiKeyRecord, type ApiKeyStore } from '../src/api-keys/api-key-store.js';
import { checksum, formatKey, keyPattern, parseKey } from '../src/api-keys/key-format.js';
import { isSameKey } from '../src/api-keys/key-hash.js';
import { createAuthenticator } from '../src/authenticate.js';
import { TollgateSetupError } from '../src/errors/setup-error.js';
import { isTollgateError } from '../src/errors/errors.js';

/** Keys over a store, on a clock the test moves. */
function keysOnClock(options: Partial<ConstructorParameters<typeof ApiKeys>[0]> = {}) {
  const clock = { t: Date.UTC(2026, 11, 1) };
  const store = options.store ?? new MemoryApiKeyStore();
  const apiKeys = new ApiKeys({ store, now: () => clock.t, ...options });
  return { apiKeys, store, clock };
}
const reason = async (pending: Promise<unknown>) => {
  const error = await pending.then(() => undefined, (e: unknown) => e);
  return isTollgateError(error) ? `${error.status} ${error.code} ${error.reason}` : error;
};

describe('API key format', () => {
  it('reads <prefix>_<id 16>_<secret 32><check 6>, base62, the check the CRC-32 of the rest', async () => {
    const { apiKeys } = keysOnClock({ prefix: 'acme' });
    const { key, record } = await apiKeys.create({ name: 'n', subject: 's' });
    expect(key).toMatch(/^acme_[0-9A-Za-z]{16}_[0-9A-Za-z]{38}$/);
    expect(key.startsWith(`${record.start}_`)).toBe(true);
    const body = key.slice(0, -6);
    let value = 0;
    for (const c of key.slice(-6)) value = value * 62 + '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz'.indexOf(c);
    expect(value).toBe(crc32(body));
    expect(parseKey(key, 'acme')).toEqual({ id: record.id, secret: key.slice(22, 54) });
    expect(parseKey(key, 'tg')).toBeUndefined();
    expect(checksum('')).toBe('000000');
  });

  it('gives distinct ids and secrets every time', async () => {
    const { apiKeys } = keysOnClock();
    const made = await Promise.all(Array.from({ length: 50 }, () => apiKeys.create({ name: 'n', subject: 's' })));
    expect(new Set(made.map((m) => m.record.id)).size).toBe(50);
    expect(new Set(made.map((m) => m.key.slice(20, 52))).size).toBe(50);
  });

  it('offers a secret-scanning pattern that finds keys in text and not near misses', async () => {
    const { apiKeys } = keysOnClock();
    const { key } = await apiKeys.create({ name: 'n', subject: 's' });
    const text = `config: token=${key}\nother tg_abc_def and ${key.slice(0, -1)}`;
    expect(text.match(keyPattern('tg'))).toEqual([key]);
  });
});

describe('ApiKeys', () => {
  it('stores a salted hash, never the key or the secret; two keys never share a salt', async () => {
    const { apiKeys, store } = keysOnClock();
    const a = await apiKeys.create({ name: 'n', subject: 's' });
    const b = await apiKeys.create({ name: 'n', subject: 's' });
    const rows = JSON.stringify(await store.list());
    for (const { key } of [a, b]) {
      expect(rows).not.toContain(key);
      expect(rows).not.toContain(key.slice(20, 52)); // the secret
    }
    const [ra, rb] = await store.list();
    expect(ra!.salt).not.toBe(rb!.salt);
    expect(Buffer.from(ra!.salt, 'base64url')).toHaveLength(16);
    expect(a.record).not.toHaveProperty('hash');
    expect(a.record).not.toHaveProperty('salt');
  });

  it('keys the hash with a pepper: the same records do not verify without it', async () => {
    const store = new MemoryApiKeyStore();
    const pepper = 'a pepper of at least thirty-two bytes!!';
    const { apiKeys } = keysOnClock({ store, pepper });
    const { key } = await apiKeys.create({ name: 'n', subject: 's' });
    await expect(apiKeys.verify(key)).resolves.toMatchObject({ subject: 's' });
    expect(await reason(new ApiKeys({ store }).verify(key))).toBe('401 invalid_token invalid_key');
    expect(() => new ApiKeys({ store, pepper: 'short' })).toThrow(TollgateSetupError);
  });

  it('lets a revocation on one instance reach another within cacheTtlMs, and at once with cacheTtlMs 0', async () => {
    const store = new MemoryApiKeyStore();
    const clock = { t: Date.UTC(2026, 11, 1) };
    const a = new ApiKeys({ store, now: () => clock.t, cacheTtlMs: 10_000 });
    const b = new ApiKeys({ store, now: () => clock.t, cacheTtlMs: 10_000 });
    const uncached = new ApiKeys({ store, now: () => clock.t, cacheTtlMs: 0 });
    const { key, record } = await a.create({ name: 'n', subject: 's' });
    await b.verify(key);
    await a.revoke(record.id);
    expect(await reason(a.verify(key))).toBe('401 invalid_token revoked');
    expect(await reason(uncached.verify(key))).toBe('401 invalid_token revoked');
    clock.t += 9_999;
    await expect(b.verify(key)).resolves.toMatchObject({ id: record.id }); // b's cache, within the ttl
    clock.t += 1;
    expect(await reason(b.verify(key))).toBe('401 invalid_token revoked');
  });

  it('on a cache hit skips the hash only for the very key that matched: another secret under the same id is still refused', async () => {
    const { apiKeys } = keysOnClock();
    const { key, record } = await apiKeys.create({ name: 'n', subject: 's' });
    const parsed = parseKey(key, apiKeys.prefix)!;
    const flipped = parsed.secret.startsWith('A') ? `B${parsed.secret.slice(1)}` : `A${parsed.secret.slice(1)}`;
    const forged = formatKey(apiKeys.prefix, parsed.id, flipped);
    await expect(apiKeys.verify(key)).resolves.toMatchObject({ id: record.id }); // now cached, with the key that matched
    await expect(apiKeys.verify(key)).resolves.toMatchObject({ id: record.id });
    expect(await reason(apiKeys.verify(forged))).toBe('401 invalid_token invalid_key');
    await expect(apiKeys.verify(key)).resolves.toMatchObject({ id: record.id });
    await apiKeys.revoke(record.id);
    expect(await reason(apiKeys.verify(key))).toBe('401 invalid_token revoked');
  });

  it('once a key is cached, a near copy (another check, another case, one character more or less) still takes the full path and is refused', async () => {
    const { apiKeys } = keysOnClock();
    const { key, record } = await apiKeys.create({ name: 'n', subject: 's' });
    await expect(apiKeys.verify(key)).resolves.toMatchObject({ id: record.id });
    const last = key.at(-1)!;
    const nearCopies = [
      key.slice(0, -1) + (last === '0' ? '1' : '0'), // same id and secret, bad check
      key.slice(0, -7) + (key.at(-7) === 'a' ? 'A' : 'a') + key.slice(-6), // the secret's last character changed
      `${key}0`, key.slice(0, -1), ` ${key.slice(1)}`,
    ];
    for (const copy of nearCopies) expect(await reason(apiKeys.verify(copy))).toMatch(/^401 invalid_token (malformed_token|invalid_key)$/);
    await expect(apiKeys.verify(key)).resolves.toMatchObject({ id: record.id });
  });

  it('compares a presented key with the cached one by content only: same length and characters', () => {
    expect(isSameKey('tg_abc', 'tg_abc')).toBe(true);
    expect(isSameKey('tg_abc', 'tg_abd')).toBe(false);
    expect(isSameKey('tg_abc', 'ug_abc')).toBe(false);
    expect(isSameKey('tg_abc', 'tg_ab')).toBe(false);
    expect(isSameKey('tg_abc', 'tg_abcc')).toBe(false);
    expect(isSameKey('', '')).toBe(true);
  });

  it('rotates: a new key with the same grants, the old one alive only for the grace', async () => {
    const { apiKeys, clock } = keysOnClock();
    const old = await apiKeys.create({ name: 'deploy', subject: 'svc', scopes: ['a'], roles: ['r'], claims: { plan: 'pro' } });
    const next = await apiKeys.rotate(old.record.id, { graceSeconds: 3600 });
    expect(next.key).not.toBe(old.key);
    expect(next.record).toMatchObject({ name: 'deploy', subject: 'svc', scopes: ['a'], roles: ['r'], claims: { plan: 'pro' }, rotatedFrom: old.record.id });
    await expect(apiKeys.verify(old.key)).resolves.toBeDefined();
    clock.t += 3_600_000;
    expect(await reason(apiKeys.verify(old.key))).toBe('401 invalid_token expired');
    await expect(apiKeys.verify(next.key)).resolves.toMatchObject({ id: next.record.id });
  });

  it('never lengthens the old key\'s life when rotating, and refuses to rotate a revoked key', async () => {
    const { apiKeys, store } = keysOnClock();
    const old = await apiKeys.create({ name: 'n', subject: 's', expiresIn: 60 });
    await apiKeys.rotate(old.record.id, { graceSeconds: 86_400 });
    expect((await store.get(old.record.id))!.expiresAt).toEqual(old.record.expiresAt);
    await apiKeys.revoke(old.record.id);
    await expect(apiKeys.rotate(old.record.id)).rejects.toThrow(/no active key/);
    await expect(apiKeys.rotate('unknown')).rejects.toThrow(/no active key/);
  });

  it('writes lastUsedAt at most once a minute per key', async () => {
    const store = new MemoryApiKeyStore();
    const updates: unknown[] = [];
    const original = store.update.bind(store);
    store.update = async (id, patch) => { updates.push(patch); return original(id, patch); };
    const { apiKeys, clock } = keysOnClock({ store });
    const { key, record } = await apiKeys.create({ name: 'n', subject: 's' });
    for (let i = 0; i < 5; i++) { await apiKeys.verify(key); clock.t += 10_000; }
    expect(updates).toHaveLength(1);
    clock.t += 20_000;
    await apiKeys.verify(key);
    expect(updates).toHaveLength(2);
    await new Promise((r) => setImmediate(r));
    expect((await store.get(record.id))!.lastUsedAt).toEqual(new Date(clock.t));
  });

  it('lists records without salt or hash, with the display prefix', async () => {
    const { apiKeys } = keysOnClock();
    const { record } = await apiKeys.create({ name: 'n', subject: 'alice' });
    await apiKeys.create({ name: 'n', subject: 'bob' });
    const listed = await apiKeys.list({ subject: 'alice' });
    expect(listed).toEqual([record]);
    expect(Object.keys(listed[0]!)).not.toContain('hash');
    expect(listed[0]!.start).toBe(`tg_${record.id}`);
  });

  it('answers 503 when the store takes longer than timeoutMs', async () => {
    const store = new MemoryApiKeyStore();
    const { apiKeys } = keysOnClock({ store, timeoutMs: 50 });
    const { key } = await apiKeys.create({ name: 'n', subject: 's' });
    const hanging = new ApiKeys({ store: Object.assign(Object.create(store) as MemoryApiKeyStore, { get: () => new Promise<ApiKeyRecord>(() => {}) }), timeoutMs: 50 });
    expect(await reason(hanging.verify(key))).toBe('503 temporarily_unavailable store_unavailable');
  });

  it('answers 503, not 401 or a crash, when the store throws synchronously; a throwing lastUsedAt write is ignored', async () => {
    const store = new MemoryApiKeyStore();
    const { apiKeys } = keysOnClock({ store });
    const { key } = await apiKeys.create({ name: 'n', subject: 's' });
    const delegate = (override: Partial<ApiKeyStore>): ApiKeyStore => ({
      get: (id) => store.get(id), put: (r) => store.put(r), update: (id, p) => store.update(id, p), list: (f) => store.list(f), spend: (id, now) => store.spend(id, now), ...override,
    });
    const throwing = delegate({ get: () => { throw new Error('pool destroyed'); } });
    expect(await reason(new ApiKeys({ store: throwing }).verify(key))).toBe('503 temporarily_unavailable store_unavailable');
    const badUpdates = delegate({ update: () => { throw new Error('read-only'); } });
    await expect(new ApiKeys({ store: badUpdates }).verify(key)).resolves.toMatchObject({ subject: 's' });
  });

  it('validates its options at setup', () => {
    const store = new MemoryApiKeyStore();
    for (const bad of [{ store, prefix: 'has_underscore' }, { store, prefix: '' }, { store, header: 'authorization' }, { store, cacheTtlMs: -1 }, { store, timeoutMs: 0 }, { store: {} }, { store, typo: 1 }]) {
      expect(() => new ApiKeys(bad as never)).toThrow(TollgateSetupError);
    }
    expect(() => createAuthenticator({ apiKeys: {} as never })).toThrow(TollgateSetupError);
    // dpop.required refuses plain bearer credentials; an API key is one, so the two cannot meet.
    expect(() => createAuthenticator({ apiKeys: new ApiKeys({ store }), secret: 'x'.repeat(32), issuer: 'i', audience: 'a', dpop: { required: true, origin: 'https://api.example' } })).toThrow(/dpop.required/);
  });

  it('gives the authenticator a context with scheme api-key, keyId, subject, scopes, roles, claims and expiry', async () => {
    const { apiKeys } = keysOnClock();
    const { key, record } = await apiKeys.create({ name: 'n', subject: 'svc', scopes: ['a', 'b'], roles: ['r'], claims: { plan: 'pro' }, expiresIn: 3600 });
    const authenticator = createAuthenticator({ apiKeys });
    const auth = await authenticator.authenticate({ method: 'GET', url: '/x', headers: { 'x-api-key': key } });
    expect(auth).toMatchObject({ scheme: 'api-key', keyId: record.id, subject: 'svc', scopes: ['a', 'b'], roles: ['r'], expiresAt: record.expiresAt });
    expect(auth.claims).toMatchObject({ plan: 'pro', sub: 'svc' });
    expect(auth.fingerprint).not.toContain(key.slice(20, 52));
    expect(authenticator.policy).toMatchObject({ apiKeys: { prefix: 'tg', header: 'x-api-key', store: 'MemoryApiKeyStore' } });
    // A cache hit reuses the context built for the cached record.
    await expect(authenticator.authenticate({ method: 'GET', url: '/x', headers: { authorization: `Bearer ${key}` } })).resolves.toBe(auth);
    await expect(apiKeys.create({ name: 'n', subject: 's', expiresIn: 1e15 })).rejects.toThrow(TollgateSetupError);
    expect(await reason(apiKeys.verify(42 as unknown as string))).toBe('401 invalid_token malformed_token');
  });
});
