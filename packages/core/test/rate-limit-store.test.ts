import { describe, expect, it } from '@jest/globals';
import { MemoryRateLimitStore } from '../src/limits/rate-limit-store.js';
import { TollgateSetupError } from '../src/errors/setup-error.js';
import { describeRateLimitStoreContract } from '../../../test/fixtures/rate-limit-store-contract.js';

describeRateLimitStoreContract('MemoryRateLimitStore', {
  async create(windowMs) {
    let clock = 1_700_000_000_000;
    const store = new MemoryRateLimitStore({ now: () => clock });
    store.init({ windowMs });
    return { store, now: () => clock, close: async () => store.shutdown() };
  },
});

describe('MemoryRateLimitStore', () => {
  function storeAt(start: number, options: { max?: number } = {}) {
    const clock = { now: start };
    const store = new MemoryRateLimitStore({ ...options, now: () => clock.now });
    store.init({ windowMs: 1000 });
    return { store, clock };
  }

  it('runs a fixed window per key, reset time set by the key\'s first hit', async () => {
    const { store, clock } = storeAt(10_000);
    expect(await store.increment('a')).toEqual({ totalHits: 1, resetTime: new Date(11_000) });
    clock.now = 10_600;
    expect(await store.increment('b')).toEqual({ totalHits: 1, resetTime: new Date(11_600) });
    expect(await store.increment('a')).toEqual({ totalHits: 2, resetTime: new Date(11_000) });
    clock.now = 10_999;
    expect((await store.increment('a')).totalHits).toBe(3);
    clock.now = 11_000; // a's window is over; b's is not
    expect(await store.increment('a')).toEqual({ totalHits: 1, resetTime: new Date(12_000) });
    expect((await store.increment('b')).totalHits).toBe(2);
    expect(await store.get('b')).toEqual({ totalHits: 2, resetTime: new Date(11_600) });
    clock.now = 11_600;
    expect(await store.get('b')).toBeUndefined();
  });

  it('stays bounded: past max keys the least recently used one is forgotten', async () => {
    const { store } = storeAt(0, { max: 3 });
    for (const key of ['a', 'b', 'c']) await store.increment(key);
    await store.increment('a'); // a is now the most recently used
    await store.increment('d'); // evicts b
    expect(store.size).toBe(3);
    expect(await store.get('b')).toBeUndefined();
    expect((await store.get('a'))?.totalHits).toBe(2);
    expect((await store.get('c'))?.totalHits).toBe(1);
  });

  it('never lets decrement go below zero and forgets everything on resetAll', async () => {
    const { store } = storeAt(0);
    await store.increment('a');
    await store.decrement('a');
    await store.decrement('a');
    expect((await store.get('a'))?.totalHits).toBe(0);
    await store.increment('b');
    await store.resetAll();
    expect(store.size).toBe(0);
  });

  it('refuses to count before init() gave it a window', () => {
    expect(() => new MemoryRateLimitStore().increment('a')).toThrow('init() was not called');
  });

  it.each([
    [{ max: 0 }], [{ max: 1.5 }], [{ max: -1 }], [{ now: 42 as unknown as () => number }],
  ])('rejects bad options %j at setup', (options) => {
    expect(() => new MemoryRateLimitStore(options)).toThrow(TollgateSetupError);
  });

  it('rejects an unknown option (a typo must not leave the default bound) and options that are no object', () => {
    expect(() => new MemoryRateLimitStore({ maxKeys: 10 } as never)).toThrow(expect.objectContaining({ code: 'ERR_TOLLGATE_UNKNOWN_OPTION' }));
    expect(() => new MemoryRateLimitStore(null as never)).toThrow(expect.objectContaining({ code: 'ERR_TOLLGATE_INVALID_OPTION' }));
  });

  it('rejects a window that is not a positive number', () => {
    expect(() => new MemoryRateLimitStore().init({ windowMs: 0 })).toThrow(TollgateSetupError);
    expect(() => new MemoryRateLimitStore().init({ windowMs: Number.NaN })).toThrow(TollgateSetupError);
  });
});
