/**
 * The contracts every nonce store and every revocation store must meet, run unchanged against
 * the memory stores (packages/core/test) and the Redis stores with both clients (packages/redis/test).
 *
 * Time is the harness's: a memory store's injected clock moves at once, a Redis store waits in
 * real time for short PX expiries. Expiry is then polled through the same `elapse`, so the
 * memory suites never sleep and the Redis suites sleep no longer than Redis needs.
 */
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import type { NonceStore } from '../packages/core/src/replay/nonce-store.js';
import type { RevocationStore } from '../packages/core/src/revocation/revocation.js';

/** One fresh store of an implementation, with the clock it runs on. */
export interface StoreHarness<S> {
  store: S;
  /** The store's clock, in ms. */
  now(): number;
  /** Lets `ms` pass for the store: moves its injected clock, or waits in real time. */
  elapse(ms: number): Promise<void>;
  /** Disposes of the store (not of shared clients). */
  close?(): Promise<void>;
}

/** Builds a fresh harness; called before each test. */
export type MakeStore<S> = () => StoreHarness<S> | Promise<StoreHarness<S>>;

/** The TTL of expiry tests: short, so Redis suites wait little, yet long enough that a loaded machine reads the entry before it expires. */
const SHORT_MS = 500;

/** Polls `check` until it yields true, letting time pass through the harness; false at the deadline. */
async function eventually(harness: StoreHarness<unknown>, check: () => Promise<boolean>, attempts = 100): Promise<boolean> {
  for (let i = 0; i < attempts; i += 1) {
    if (await check()) return true;
    await harness.elapse(10);
  }
  return false;
}

function useHarness<S>(makeStore: MakeStore<S>): () => StoreHarness<S> {
  let harness: StoreHarness<S> | undefined;
  beforeEach(async () => { harness = await makeStore(); });
  afterEach(async () => { await harness?.close?.(); harness = undefined; });
  return () => harness!;
}

/** Registers the shared {@link NonceStore} contract for one implementation. */
export function nonceStoreContract(name: string, makeStore: MakeStore<NonceStore>): void {
  describe(`${name}: nonce store contract`, () => {
    const current = useHarness(makeStore);
    let key: string;
    beforeEach(() => { key = `contract:${randomUUID()}`; });

    it('answers true for the first claim of a key and false for the second', async () => {
      const { store } = current();
      await expect(store.claim(key, 60_000)).resolves.toBe(true);
      await expect(store.claim(key, 60_000)).resolves.toBe(false);
    });

    it('keeps distinct keys independent', async () => {
      const { store } = current();
      await expect(store.claim(`${key}:a`, 60_000)).resolves.toBe(true);
      await expect(store.claim(`${key}:b`, 60_000)).resolves.toBe(true);
      await expect(store.claim(`${key}:a`, 60_000)).resolves.toBe(false);
      await expect(store.claim(`${key}:b`, 60_000)).resolves.toBe(false);
    });

    it('frees a key once its ttl has passed', async () => {
      const harness = current();
      await expect(harness.store.claim(key, SHORT_MS)).resolves.toBe(true);
      await expect(harness.store.claim(key, SHORT_MS)).resolves.toBe(false);
      await harness.elapse(SHORT_MS + 1);
      await expect(eventually(harness, () => harness.store.claim(key, 60_000))).resolves.toBe(true);
      // Claimed again, with a long ttl: used once more.
      await expect(harness.store.claim(key, 60_000)).resolves.toBe(false);
    });

    it('lets exactly one of 20 concurrent claims of one key win', async () => {
      const { store } = current();
      const results = await Promise.all(Array.from({ length: 20 }, () => store.claim(key, 60_000)));
      expect(results.filter((first) => first)).toHaveLength(1);
    });

    it('rejects a ttl that is not a positive, finite number', async () => {
      const { store } = current();
      for (const ttl of [0, -1, Number.NaN, Number.POSITIVE_INFINITY]) await expect(store.claim(`${key}:${ttl}`, ttl)).rejects.toThrow();
    });
  });
}

/** Options the revocation contract builds stores with. */
export interface RevocationStoreOptions {
  maxTokenLifetime?: number;
}

/** Registers the shared {@link RevocationStore} contract for one implementation. */
export function revocationStoreContract(name: string, makeStore: (options?: RevocationStoreOptions) => ReturnType<MakeStore<RevocationStore>>): void {
  describe(`${name}: revocation store contract`, () => {
    const current = useHarness(() => makeStore());
    let id: string;
    beforeEach(() => { id = randomUUID(); });
    const seconds = (ms: number) => Math.floor(ms / 1000);

    it('revokes a token by jti until its expiresAt, then forgets it', async () => {
      const harness = current();
      const { store } = harness;
      await store.revokeToken(`jti-${id}`, new Date(harness.now() + SHORT_MS));
      await expect(store.isRevoked({ jti: `jti-${id}` })).resolves.toBe(true);
      await expect(store.isRevoked({ jti: `other-${id}` })).resolves.toBe(false);
      await harness.elapse(SHORT_MS + 1);
      await expect(eventually(harness, async () => !(await store.isRevoked({ jti: `jti-${id}` })))).resolves.toBe(true);
    });

    it('ignores a token revocation whose expiresAt has passed', async () => {
      const harness = current();
      await harness.store.revokeToken(`jti-${id}`, new Date(harness.now() - 1000));
      await expect(harness.store.isRevoked({ jti: `jti-${id}` })).resolves.toBe(false);
    });

    it('revokes the tokens of a subject issued before the cut-off, not those issued after', async () => {
      const harness = current();
      const cutoff = harness.now();
      await harness.store.revokeSubject(`alice-${id}`, new Date(cutoff));
      await expect(harness.store.isRevoked({ sub: `alice-${id}`, iat: seconds(cutoff) - 60 })).resolves.toBe(true);
      await expect(harness.store.isRevoked({ sub: `alice-${id}`, iat: seconds(cutoff) + 60 })).resolves.toBe(false);
      await expect(harness.store.isRevoked({ sub: `alice-${id}`, jti: `jti-${id}`, iat: seconds(cutoff) - 60 })).resolves.toBe(true);
    });

    it('counts a token of a revoked subject without iat as revoked', async () => {
      const harness = current();
      await harness.store.revokeSubject(`alice-${id}`, new Date(harness.now()));
      await expect(harness.store.isRevoked({ sub: `alice-${id}` })).resolves.toBe(true);
      await expect(harness.store.isRevoked({ sub: `alice-${id}`, jti: `jti-${id}` })).resolves.toBe(true);
    });

    it('leaves other subjects, and tokens of no revoked subject, unaffected', async () => {
      const harness = current();
      const cutoff = harness.now();
      await harness.store.revokeSubject(`alice-${id}`, new Date(cutoff));
      await expect(harness.store.isRevoked({ sub: `bob-${id}`, iat: seconds(cutoff) - 60 })).resolves.toBe(false);
      await expect(harness.store.isRevoked({ sub: `bob-${id}` })).resolves.toBe(false);
      await expect(harness.store.isRevoked({ jti: `jti-${id}`, iat: seconds(cutoff) - 60 })).resolves.toBe(false);
      await expect(harness.store.isRevoked({})).resolves.toBe(false);
    });

    it('keeps the latest subject cut-off: an earlier one never lowers it', async () => {
      const harness = current();
      const cutoff = harness.now();
      await harness.store.revokeSubject(`alice-${id}`, new Date(cutoff));
      await harness.store.revokeSubject(`alice-${id}`, new Date(cutoff - 3_600_000));
      await expect(harness.store.isRevoked({ sub: `alice-${id}`, iat: seconds(cutoff) - 60 })).resolves.toBe(true);
    });

    it('keeps jti and subject revocations apart, even for equal strings', async () => {
      const harness = current();
      const cutoff = harness.now();
      await harness.store.revokeToken(`x-${id}`, new Date(cutoff + 60_000));
      await harness.store.revokeSubject(`y-${id}`, new Date(cutoff));
      await expect(harness.store.isRevoked({ sub: `x-${id}`, iat: seconds(cutoff) - 60 })).resolves.toBe(false);
      await expect(harness.store.isRevoked({ jti: `y-${id}` })).resolves.toBe(false);
    });

    it('never shortens a token entry: a later revocation with an earlier expiresAt changes nothing', async () => {
      const harness = current();
      const { store } = harness;
      await store.revokeToken(`jti-${id}`, new Date(harness.now() + 3_600_000));
      await store.revokeToken(`jti-${id}`, new Date(harness.now() + SHORT_MS));
      await harness.elapse(SHORT_MS * 2);
      await expect(store.isRevoked({ jti: `jti-${id}` })).resolves.toBe(true);
    });

    it('extends a token entry when a later revocation reaches further', async () => {
      const harness = current();
      const { store } = harness;
      await store.revokeToken(`jti-${id}`, new Date(harness.now() + SHORT_MS));
      await store.revokeToken(`jti-${id}`, new Date(harness.now() + 3_600_000));
      await harness.elapse(SHORT_MS * 2);
      await expect(store.isRevoked({ jti: `jti-${id}` })).resolves.toBe(true);
    });

    it('scopes entries to their issuer: the same jti or sub of another issuer is not revoked', async () => {
      const harness = current();
      const { store } = harness;
      const cutoff = harness.now();
      await store.revokeToken(`jti-${id}`, new Date(cutoff + 60_000), 'https://a.example');
      await store.revokeSubject(`user-${id}`, new Date(cutoff), 'https://a.example');
      const iat = seconds(cutoff) - 60;
      await expect(store.isRevoked({ iss: 'https://a.example', jti: `jti-${id}` })).resolves.toBe(true);
      await expect(store.isRevoked({ iss: 'https://a.example', sub: `user-${id}`, iat })).resolves.toBe(true);
      await expect(store.isRevoked({ iss: 'https://b.example', jti: `jti-${id}` })).resolves.toBe(false);
      await expect(store.isRevoked({ iss: 'https://b.example', sub: `user-${id}`, iat })).resolves.toBe(false);
      await expect(store.isRevoked({ jti: `jti-${id}`, sub: `user-${id}`, iat })).resolves.toBe(false);
    });

    it('applies an entry without issuer to the tokens of every issuer', async () => {
      const harness = current();
      const cutoff = harness.now();
      await harness.store.revokeToken(`jti-${id}`, new Date(cutoff + 60_000));
      await harness.store.revokeSubject(`user-${id}`, new Date(cutoff));
      await expect(harness.store.isRevoked({ iss: 'https://a.example', jti: `jti-${id}` })).resolves.toBe(true);
      await expect(harness.store.isRevoked({ iss: 'https://b.example', sub: `user-${id}`, iat: seconds(cutoff) - 60 })).resolves.toBe(true);
    });

    it('cannot be confused by separators in issuers and values, by an issuer named *, or by long values', async () => {
      const harness = current();
      const { store } = harness;
      const later = new Date(harness.now() + 60_000);
      await store.revokeToken(`b:${id}`, later, 'a');
      await store.revokeToken(`x-${id}`, later, '*');
      const long = 'j'.repeat(300);
      await store.revokeToken(`${long}1-${id}`, later, 'a');
      await expect(store.isRevoked({ iss: 'a', jti: `b:${id}` })).resolves.toBe(true);
      await expect(store.isRevoked({ iss: 'a:b', jti: id })).resolves.toBe(false);
      await expect(store.isRevoked({ iss: `a:b:${id}`, jti: '' })).resolves.toBe(false);
      await expect(store.isRevoked({ iss: 'c', jti: `x-${id}` })).resolves.toBe(false);
      await expect(store.isRevoked({ iss: '*', jti: `x-${id}` })).resolves.toBe(true);
      await expect(store.isRevoked({ iss: 'a', jti: `${long}1-${id}` })).resolves.toBe(true);
      await expect(store.isRevoked({ iss: 'a', jti: `${long}2-${id}` })).resolves.toBe(false);
    });

    describe('maxTokenLifetime', () => {
      const shortLived = useHarness(() => makeStore({ maxTokenLifetime: 1 }));
      const LIFETIME_MS = 1000;

      it('forgets a subject revocation maxTokenLifetime after its cut-off, not before', async () => {
        const harness = shortLived();
        const cutoff = harness.now();
        await harness.store.revokeSubject(`alice-${id}`, new Date(cutoff));
        await expect(harness.store.isRevoked({ sub: `alice-${id}`, iat: seconds(cutoff) - 1 })).resolves.toBe(true);
        await expect(harness.store.isRevoked({ sub: `alice-${id}` })).resolves.toBe(true);
        await harness.elapse(LIFETIME_MS + 1);
        await expect(eventually(harness, async () => !(await harness.store.isRevoked({ sub: `alice-${id}`, iat: seconds(cutoff) - 1 })))).resolves.toBe(true);
        await expect(harness.store.isRevoked({ sub: `alice-${id}` })).resolves.toBe(false);
      });

      it('ignores a subject cut-off older than maxTokenLifetime: no token it covers is alive', async () => {
        const harness = shortLived();
        await harness.store.revokeSubject(`alice-${id}`, new Date(harness.now() - 2 * LIFETIME_MS));
        await expect(harness.store.isRevoked({ sub: `alice-${id}` })).resolves.toBe(false);
      });

      it('a later cut-off keeps the revocation for maxTokenLifetime after the later one', async () => {
        const harness = shortLived();
        const first = harness.now() - LIFETIME_MS / 2;
        await harness.store.revokeSubject(`alice-${id}`, new Date(first));
        await harness.store.revokeSubject(`alice-${id}`, new Date(harness.now()));
        await harness.elapse(LIFETIME_MS / 2 + 50); // past the first cut-off's lifetime
        await expect(harness.store.isRevoked({ sub: `alice-${id}` })).resolves.toBe(true);
      });

      it('defaults to 24 hours', async () => {
        const harness = current();
        const hour = 3_600_000;
        await harness.store.revokeSubject(`recent-${id}`, new Date(harness.now() - 23 * hour));
        await harness.store.revokeSubject(`old-${id}`, new Date(harness.now() - 25 * hour));
        await expect(harness.store.isRevoked({ sub: `recent-${id}` })).resolves.toBe(true);
        await expect(harness.store.isRevoked({ sub: `old-${id}` })).resolves.toBe(false);
      });
    });

    it('rejects an invalid Date instead of revoking nothing', async () => {
      const { store } = current();
      await expect(store.revokeToken(`jti-${id}`, new Date(Number.NaN))).rejects.toThrow(TypeError);
      await expect(store.revokeSubject(`alice-${id}`, new Date(Number.NaN))).rejects.toThrow(TypeError);
    });
  });
}
