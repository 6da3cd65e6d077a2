import { describe, expect, it } from '@jest/globals';
import { MemoryRevocationStore, StoreFullError } from '../src/revocation/revocation.js';
import { revocationStoreContract } from '../../../test/stores-contract.js';

/** A store on a clock that only moves when the test says so. */
function onFakeClock(max?: number, maxTokenLifetime?: number) {
  let t = 1_700_000_000_000;
  const store = new MemoryRevocationStore({ ...(max === undefined ? {} : { max }), ...(maxTokenLifetime === undefined ? {} : { maxTokenLifetime }), now: () => t });
  return { store, now: () => t, elapse: async (ms: number) => { t += ms; } };
}

revocationStoreContract('MemoryRevocationStore', (options) => onFakeClock(undefined, options?.maxTokenLifetime));

describe('MemoryRevocationStore', () => {
  it('keeps a token revoked until its expiresAt, to the millisecond', async () => {
    const { store, now, elapse } = onFakeClock();
    await store.revokeToken('j', new Date(now() + 1000));
    await elapse(999);
    await expect(store.isRevoked({ jti: 'j' })).resolves.toBe(true);
    await elapse(2);
    await expect(store.isRevoked({ jti: 'j' })).resolves.toBe(false);
  });

  it('when full of live token entries, refuses with StoreFullError and forgets none', async () => {
    const { store, now } = onFakeClock(2);
    await store.revokeToken('a', new Date(now() + 60_000));
    await store.revokeToken('b', new Date(now() + 60_000));
    await expect(store.revokeToken('c', new Date(now() + 60_000))).rejects.toBeInstanceOf(StoreFullError);
    await expect(store.isRevoked({ jti: 'a' })).resolves.toBe(true);
    await expect(store.isRevoked({ jti: 'b' })).resolves.toBe(true);
  });

  it('makes room for a token by dropping expired entries only', async () => {
    const { store, now, elapse } = onFakeClock(2);
    await store.revokeToken('short', new Date(now() + 100));
    await store.revokeToken('long', new Date(now() + 60_000));
    await elapse(101);
    await expect(store.revokeToken('new', new Date(now() + 60_000))).resolves.toBeUndefined();
    await expect(store.isRevoked({ jti: 'long' })).resolves.toBe(true);
    await expect(store.isRevoked({ jti: 'new' })).resolves.toBe(true);
  });

  it('when full of subjects, refuses a new subject but still raises a known one', async () => {
    const { store, now } = onFakeClock(1);
    await store.revokeSubject('alice', new Date(now() - 60_000));
    await expect(store.revokeSubject('bob', new Date(now()))).rejects.toBeInstanceOf(StoreFullError);
    await store.revokeSubject('alice', new Date(now()));
    await expect(store.isRevoked({ sub: 'alice', iat: Math.floor(now() / 1000) - 30 })).resolves.toBe(true);
  });

  it('when full of subjects, makes room by dropping subjects past maxTokenLifetime only', async () => {
    const { store, now, elapse } = onFakeClock(1, 60);
    await store.revokeSubject('alice', new Date(now()));
    await elapse(59_000);
    await expect(store.revokeSubject('bob', new Date(now()))).rejects.toBeInstanceOf(StoreFullError);
    await elapse(1_001);
    await expect(store.revokeSubject('bob', new Date(now()))).resolves.toBeUndefined();
    await expect(store.isRevoked({ sub: 'bob' })).resolves.toBe(true);
  });

  it('validates its options at construction', () => {
    for (const maxTokenLifetime of [0, -1, Number.POSITIVE_INFINITY, '60']) {
      expect(() => new MemoryRevocationStore({ maxTokenLifetime } as never)).toThrow(expect.objectContaining({ code: 'ERR_TOLLGATE_INVALID_OPTION' }));
    }
    expect(() => new MemoryRevocationStore(null as never)).toThrow(expect.objectContaining({ code: 'ERR_TOLLGATE_INVALID_OPTION' }));
    expect(() => new MemoryRevocationStore({ maxx: 1 } as never)).toThrow(expect.objectContaining({ code: 'ERR_TOLLGATE_UNKNOWN_OPTION' }));
    expect(() => new MemoryRevocationStore({ max: 0 })).toThrow(expect.objectContaining({ code: 'ERR_TOLLGATE_INVALID_OPTION' }));
    expect(() => new MemoryRevocationStore({ now: 'x' as never })).toThrow(expect.objectContaining({ code: 'ERR_TOLLGATE_INVALID_OPTION' }));
  });
});
