import { describe, expect, it } from '@jest/globals';
import { MemoryNonceStore } from '../src/replay/nonce-store.js';
import { StoreFullError } from '../src/revocation/revocation.js';
import { TollgateSetupError } from '../src/errors/setup-error.js';
import { nonceStoreContract } from '../../../test/stores-contract.js';

/** A store on a clock that only moves when the test says so. */
function onFakeClock(max?: number) {
  let t = 1_700_000_000_000;
  const store = new MemoryNonceStore({ ...(max === undefined ? {} : { max }), now: () => t });
  return { store, now: () => t, elapse: async (ms: number) => { t += ms; } };
}

nonceStoreContract('MemoryNonceStore', () => onFakeClock());

describe('MemoryNonceStore', () => {
  it('remembers a key for its whole ttl and frees it right after', async () => {
    const { store, elapse } = onFakeClock();
    await expect(store.claim('k', 1000)).resolves.toBe(true);
    await elapse(999);
    await expect(store.claim('k', 1000)).resolves.toBe(false);
    await elapse(2);
    await expect(store.claim('k', 1000)).resolves.toBe(true);
  });

  it('when full of live entries, refuses with StoreFullError instead of evicting a live key', async () => {
    const { store } = onFakeClock(3);
    for (const key of ['a', 'b', 'c']) await expect(store.claim(key, 60_000)).resolves.toBe(true);
    await expect(store.claim('d', 60_000)).rejects.toBeInstanceOf(StoreFullError);
    // Every live key is still remembered: eviction would have reopened a replay.
    for (const key of ['a', 'b', 'c']) await expect(store.claim(key, 60_000)).resolves.toBe(false);
  });

  it('when full, makes room by dropping stale entries only', async () => {
    const { store, elapse } = onFakeClock(3);
    await store.claim('short', 100);
    await store.claim('long-1', 60_000);
    await store.claim('long-2', 60_000);
    await elapse(101);
    await expect(store.claim('new', 60_000)).resolves.toBe(true);
    await expect(store.claim('long-1', 60_000)).resolves.toBe(false);
    await expect(store.claim('long-2', 60_000)).resolves.toBe(false);
    await expect(store.claim('another', 60_000)).rejects.toBeInstanceOf(StoreFullError);
  });

  it('validates its options at construction', () => {
    expect(() => new MemoryNonceStore({ maxx: 10 } as never)).toThrow(expect.objectContaining({ code: 'ERR_TOLLGATE_UNKNOWN_OPTION' }));
    for (const max of [0, -1, 1.5, Number.NaN]) expect(() => new MemoryNonceStore({ max })).toThrow(TollgateSetupError);
    expect(() => new MemoryNonceStore({ now: 5 as never })).toThrow(expect.objectContaining({ code: 'ERR_TOLLGATE_INVALID_OPTION' }));
  });
});
