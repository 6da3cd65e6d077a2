/**
 * The contract every anomaly store must meet, run unchanged against the memory store (its clock
 * injected) and the Redis store with both clients (real time, Redis expiring the keys).
 */
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import type { AnomalyStore } from '../packages/core/src/monitoring/anomaly-store.js';
import type { MakeStore, StoreHarness } from './stores-contract.js';

const SHORT_MS = 500;

export function anomalyStoreContract(name: string, make: MakeStore<AnomalyStore>): void {
  describe(`${name}: AnomalyStore contract`, () => {
    let h: StoreHarness<AnomalyStore>;
    beforeEach(async () => { h = await make(); });
    afterEach(async () => { await h.close?.(); });
    const id = () => randomUUID();

    it('counts the distinct clients of each token, before and after each call', async () => {
      const [t1, t2] = [id(), id()];
      const window = { max: 2, windowMs: 60_000 };
      const answers = [];
      for (const client of ['10.0.0.1', '10.0.0.2', '10.0.0.1', '10.0.0.3']) answers.push(await h.store.addClient(t1, client, window, h.now()));
      expect(answers).toEqual([{ previous: 0, count: 1 }, { previous: 1, count: 2 }, { previous: 2, count: 2 }, { previous: 2, count: 3 }]);
      expect(await h.store.addClient(t2, '10.0.0.1', window, h.now())).toEqual({ previous: 0, count: 1 });
    });

    it('starts a new count in the next window', async () => {
      const token = id();
      const window = { max: 5, windowMs: SHORT_MS };
      await h.store.addClient(token, 'a', window, h.now());
      await h.store.addClient(token, 'b', window, h.now());
      await h.elapse(SHORT_MS + 100);
      expect(await h.store.addClient(token, 'c', window, h.now())).toEqual({ previous: 0, count: 1 });
    });

    it('blocks a client past max failures, for blockMs, and no other client', async () => {
      const [client, other] = [id(), id()];
      const limits = { max: 2, windowMs: 60_000, blockMs: 60_000 };
      const counted = [];
      for (let i = 0; i < 3; i += 1) counted.push(await h.store.addFailure(client, limits, h.now()));
      expect(counted).toEqual([{ count: 1, blockedMs: 0 }, { count: 2, blockedMs: 0 }, { count: 3, blockedMs: 60_000 }]);
      const left = await h.store.blockedFor(client, h.now());
      expect(left).toBeGreaterThan(50_000);
      expect(left).toBeLessThanOrEqual(60_000);
      expect(await h.store.blockedFor(other, h.now())).toBe(0);
    });

    it('lifts a block after blockMs, and forgets failures after their window', async () => {
      const client = id();
      const limits = { max: 1, windowMs: SHORT_MS, blockMs: SHORT_MS };
      await h.store.addFailure(client, limits, h.now());
      expect((await h.store.addFailure(client, limits, h.now())).blockedMs).toBe(SHORT_MS);
      expect(await h.store.blockedFor(client, h.now())).toBeGreaterThan(0);
      await h.elapse(SHORT_MS + 100);
      expect(await h.store.blockedFor(client, h.now())).toBe(0);
      expect(await h.store.addFailure(client, limits, h.now())).toEqual({ count: 1, blockedMs: 0 });
    });
  });
}
