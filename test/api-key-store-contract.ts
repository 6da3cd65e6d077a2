/**
 * The contract every ApiKeyStore meets, run unchanged against memory, Redis (both clients) and
 * PostgreSQL by test/api-key-stores.test.ts.
 */
import { describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import type { ApiKeyRecord, ApiKeyStore } from '../packages/core/src/api-keys/api-key-store.js';

/** A fresh, empty store of one implementation. */
export type MakeApiKeyStore = () => ApiKeyStore | Promise<ApiKeyStore>;

const T0 = Date.UTC(2026, 11, 1, 12, 0, 0, 123);

/** A record as ApiKeys writes it (salt and hash are opaque strings to a store). */
export function sampleRecord(overrides: Partial<ApiKeyRecord> = {}): ApiKeyRecord {
  const id = randomUUID().replaceAll('-', '').slice(0, 16);
  return {
    id, name: 'ci deploy', subject: `svc-${randomUUID()}`, scopes: ['orders:read', 'orders:write'], roles: ['deployer'],
    claims: { plan: 'pro', limits: { burst: 3 } }, salt: 'c2FsdHNhbHRzYWx0c2FsdA', hash: 'aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g',
    start: `tg_${id}`, createdAt: new Date(T0), ...overrides,
  };
}

/** Registers the contract for one implementation. */
export function apiKeyStoreContract(name: string, makeStore: MakeApiKeyStore): void {
  describe(`${name}: API-key store contract`, () => {
    it('gives back what was put, field for field, and undefined for an unknown id', async () => {
      const store = await makeStore();
      const record = sampleRecord({ expiresAt: new Date(T0 + 86_400_000), rotatedFrom: 'Abc0123456789xyz', remaining: 10, refill: { amount: 10, intervalMs: 60_000 }, refilledAt: new Date(T0) });
      await store.put(record);
      await expect(store.get(record.id)).resolves.toEqual(record);
      const bare = sampleRecord({ claims: undefined, scopes: [], roles: [] });
      delete bare.claims;
      await store.put(bare);
      await expect(store.get(bare.id)).resolves.toEqual(bare);
      await expect(store.get('Unknown000000000')).resolves.toBeUndefined();
    });

    it('refuses to put an id that exists, and keeps the first record', async () => {
      const store = await makeStore();
      const record = sampleRecord();
      await store.put(record);
      await expect(store.put({ ...record, subject: 'mallory', hash: 'b3RoZXI' })).rejects.toThrow();
      await expect(store.get(record.id)).resolves.toEqual(record);
    });

    it('updates only the given fields, and never creates a record for an unknown id', async () => {
      const store = await makeStore();
      const record = sampleRecord();
      await store.put(record);
      await store.update(record.id, { revokedAt: new Date(T0 + 1000) });
      await store.update(record.id, { lastUsedAt: new Date(T0 + 2000), expiresAt: new Date(T0 + 3000) });
      await expect(store.get(record.id)).resolves.toEqual({ ...record, revokedAt: new Date(T0 + 1000), lastUsedAt: new Date(T0 + 2000), expiresAt: new Date(T0 + 3000) });
      await store.update('Unknown000000000', { revokedAt: new Date(T0) });
      await expect(store.get('Unknown000000000')).resolves.toBeUndefined();
    });

    it('lists every record, or one subject\'s', async () => {
      const store = await makeStore();
      const a1 = sampleRecord({ subject: 'alice' });
      const a2 = sampleRecord({ subject: 'alice', createdAt: new Date(T0 + 1) });
      const b = sampleRecord({ subject: 'bob' });
      for (const r of [a1, a2, b]) await store.put(r);
      const ids = (list: ApiKeyRecord[]) => list.map((r) => r.id).sort();
      expect(ids(await store.list())).toEqual([a1.id, a2.id, b.id].sort());
      expect(ids(await store.list({ subject: 'alice' }))).toEqual([a1.id, a2.id].sort());
      await expect(store.list({ subject: 'carol' })).resolves.toEqual([]);
      expect((await store.list({ subject: 'bob' }))[0]).toEqual(b);
    });

    it('spends a cap one use at a time, never below zero, and answers -1 once it is spent or absent', async () => {
      const store = await makeStore();
      const capped = sampleRecord({ remaining: 2 });
      const uncapped = sampleRecord();
      await store.put(capped);
      await store.put(uncapped);
      const now = new Date(T0 + 5000);
      await expect(store.spend(capped.id, now)).resolves.toBe(1);
      await expect(store.spend(capped.id, now)).resolves.toBe(0);
      await expect(store.spend(capped.id, now)).resolves.toBe(-1);
      await expect(store.spend(capped.id, now)).resolves.toBe(-1);
      expect((await store.get(capped.id))?.remaining).toBe(0);
      await expect(store.spend(uncapped.id, now)).resolves.toBe(-1);
      await expect(store.spend('Unknown000000000', now)).resolves.toBe(-1);
    });

    it('refills a cap to its amount once an interval has passed, counted from the last refill', async () => {
      const store = await makeStore();
      const record = sampleRecord({ remaining: 1, refill: { amount: 3, intervalMs: 60_000 }, refilledAt: new Date(T0) });
      await store.put(record);
      await expect(store.spend(record.id, new Date(T0 + 1000))).resolves.toBe(0);
      await expect(store.spend(record.id, new Date(T0 + 59_999))).resolves.toBe(-1);
      await expect(store.spend(record.id, new Date(T0 + 150_000))).resolves.toBe(2); // refilled at T0 + 120 s
      expect((await store.get(record.id))?.refilledAt).toEqual(new Date(T0 + 120_000));
      await expect(store.spend(record.id, new Date(T0 + 179_999))).resolves.toBe(1);
      await expect(store.spend(record.id, new Date(T0 + 180_000))).resolves.toBe(2);
    });

    it('lets exactly as many of 20 concurrent spends through as the cap holds', async () => {
      const store = await makeStore();
      const record = sampleRecord({ remaining: 5 });
      await store.put(record);
      const results = await Promise.all(Array.from({ length: 20 }, () => store.spend(record.id, new Date(T0 + 1000))));
      expect(results.filter((r) => r >= 0).sort()).toEqual([0, 1, 2, 3, 4]);
      expect(results.filter((r) => r === -1)).toHaveLength(15);
    });
  });
}
