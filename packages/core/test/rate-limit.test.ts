import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { createHash } from 'node:crypto';
import { createAuthenticator, fingerprint, TollgateError, TollgateSetupError, type AuthContext } from '@tollgate/core';
import { createTestIssuer, type TestIssuer } from '@tollgate/testing';
import { createRateLimiter, type RateLimitOptions } from '../src/limits/rate-limit.js';
import { MemoryRateLimitStore, type ClientRateLimitInfo, type RateLimitStore } from '../src/limits/rate-limit-store.js';

let idp: TestIssuer;
let authenticator: ReturnType<typeof createAuthenticator>;
beforeAll(async () => {
  idp = await createTestIssuer();
  authenticator = createAuthenticator(idp.authenticateOptions());
});
afterAll(async () => { await idp.close(); });

/** A real auth context: a minted token verified by core's authenticator. */
async function authFor(claims: Record<string, unknown> = {}, omit: string[] = []): Promise<AuthContext> {
  const token = await idp.mint(claims, { omit });
  return authenticator.authenticate({ method: 'GET', url: '/', headers: { authorization: `Bearer ${token}` } });
}

const pk = (key: string) => Buffer.from(createHash('sha256').update(key).digest('hex').slice(0, 12)).toString('base64');

/** A store that records calls, around a real memory store. */
function recordingStore(overrides: Partial<RateLimitStore> = {}) {
  const inner = new MemoryRateLimitStore();
  const calls: string[] = [];
  const store: RateLimitStore = {
    init: (options) => { calls.push(`init:${options.windowMs}`); inner.init(options); },
    increment: (key) => { calls.push(`increment:${key}`); return inner.increment(key); },
    decrement: (key) => inner.decrement(key),
    resetKey: (key) => inner.resetKey(key),
    ...overrides,
  };
  return { store, calls };
}

describe('rateLimitPerToken options', () => {
  it.each<[string, unknown, string]>([
    ['no options', undefined, 'ERR_TOLLGATE_INVALID_OPTION'],
    ['an unknown option', { limit: 1, windowMs: 1000, max: 5 }, 'ERR_TOLLGATE_UNKNOWN_OPTION'],
    ['no limit', { windowMs: 1000 }, 'ERR_TOLLGATE_INVALID_OPTION'],
    ['limit 0', { limit: 0, windowMs: 1000 }, 'ERR_TOLLGATE_INVALID_OPTION'],
    ['a negative limit', { limit: -1, windowMs: 1000 }, 'ERR_TOLLGATE_INVALID_OPTION'],
    ['a fractional limit', { limit: 1.5, windowMs: 1000 }, 'ERR_TOLLGATE_INVALID_OPTION'],
    ['a string limit', { limit: '10', windowMs: 1000 }, 'ERR_TOLLGATE_INVALID_OPTION'],
    ['no windowMs', { limit: 1 }, 'ERR_TOLLGATE_INVALID_OPTION'],
    ['windowMs 0', { limit: 1, windowMs: 0 }, 'ERR_TOLLGATE_INVALID_OPTION'],
    ['windowMs Infinity', { limit: 1, windowMs: Infinity }, 'ERR_TOLLGATE_INVALID_OPTION'],
    ['an unknown key', { limit: 1, windowMs: 1000, key: 'ip' }, 'ERR_TOLLGATE_INVALID_OPTION'],
    ['a store without increment', { limit: 1, windowMs: 1000, store: { decrement() {}, resetKey() {} } }, 'ERR_TOLLGATE_INVALID_OPTION'],
    ['a legacy incr store', { limit: 1, windowMs: 1000, store: { incr() {}, decrement() {}, resetKey() {} } }, 'ERR_TOLLGATE_INVALID_OPTION'],
    ['a non-boolean passOnStoreError', { limit: 1, windowMs: 1000, passOnStoreError: 'yes' }, 'ERR_TOLLGATE_INVALID_OPTION'],
    ['a non-string prefix', { limit: 1, windowMs: 1000, prefix: 7 }, 'ERR_TOLLGATE_INVALID_OPTION'],
  ])('rejects %s at setup', (_name, options, code) => {
    expect(() => createRateLimiter(options as RateLimitOptions)).toThrow(expect.objectContaining({ name: 'TollgateSetupError', code }));
  });

  it('refuses one store for two limiters, so each limiter keeps its own budget', () => {
    const store = new MemoryRateLimitStore();
    createRateLimiter({ limit: 1, windowMs: 1000, store });
    expect(() => createRateLimiter({ limit: 5, windowMs: 1000, store })).toThrow(expect.objectContaining({ code: 'ERR_TOLLGATE_STORE_REUSED' }));
  });

  it('does not claim a store when the setup fails', () => {
    const store = new MemoryRateLimitStore();
    expect(() => createRateLimiter({ limit: 0, windowMs: 1000, store })).toThrow(TollgateSetupError);
    expect(() => createRateLimiter({ limit: 1, windowMs: 1000, store })).not.toThrow();
  });

  it('describes itself for route reports', () => {
    expect(createRateLimiter({ limit: 10, windowMs: 60_000 }).policy).toEqual({ kind: 'rate-limit', limit: 10, windowMs: 60_000, key: 'token', passOnStoreError: false });
    expect(createRateLimiter({ limit: () => 1, windowMs: 1000, key: 'subject', passOnStoreError: true }).policy)
      .toEqual({ kind: 'rate-limit', limit: 'dynamic', windowMs: 1000, key: 'subject', passOnStoreError: true });
    expect(createRateLimiter({ limit: 1, windowMs: 1000, key: () => 'x' }).policy.key).toBe('custom');
  });
});

describe('createRateLimiter', () => {
  it('inits the store once with windowMs, as express-rate-limit does, and waits for it before counting', async () => {
    let finishInit!: () => void;
    const { store, calls } = recordingStore();
    const inner = store.init!;
    store.init = (options) => {
      calls.push('init started');
      return new Promise<void>((resolve) => { finishInit = () => { void inner(options); resolve(); }; });
    };
    const limiter = createRateLimiter({ limit: 5, windowMs: 30_000, store });
    const auth = await authFor();
    const pending = limiter.check(auth);
    await new Promise((resolve) => setImmediate(resolve));
    expect(calls).toEqual(['init started']);
    finishInit();
    await pending;
    await limiter.check(auth);
    expect(calls).toEqual(['init started', 'init:30000', `increment:token:${auth.fingerprint}`, `increment:token:${auth.fingerprint}`]);
  });

  it('retries a failed init, so a store that was down at startup recovers', async () => {
    let up = false;
    const { store } = recordingStore();
    const inner = store.init!;
    store.init = async (options) => {
      if (!up) throw new Error('ECONNREFUSED');
      await inner(options);
    };
    const limiter = createRateLimiter({ limit: 5, windowMs: 1000, store });
    const auth = await authFor();
    await expect(limiter.check(auth)).rejects.toMatchObject({ status: 503, reason: 'store_unavailable' });
    up = true;
    await expect(limiter.check(auth)).resolves.toMatchObject({ allowed: true, info: { used: 1 } });
  });

  it('fails closed without an auth context: 401, nothing counted', async () => {
    const { store, calls } = recordingStore();
    const limiter = createRateLimiter({ limit: 5, windowMs: 1000, store });
    await expect(limiter.check(undefined)).rejects.toMatchObject({ status: 401, code: 'missing_token', reason: 'not_authenticated' });
    expect(calls).toEqual(['init:1000']);
  });

  it('lets exactly `limit` requests through per window, then answers 429 with Retry-After and RateLimit headers', async () => {
    const limiter = createRateLimiter({ limit: 3, windowMs: 60_000 });
    const auth = await authFor();
    const key = `token:${auth.fingerprint}`;
    const allowed = [];
    for (let i = 0; i < 3; i++) allowed.push(await limiter.check(auth));
    expect(allowed.map((d) => d.info?.remaining)).toEqual([2, 1, 0]);
    const headers = allowed[0]!.headers;
    expect(Object.keys(headers)).toEqual(['RateLimit', 'RateLimit-Policy']);
    expect(headers['RateLimit']).toMatch(/^"3-in-1min"; r=2; t=(60|59)$/);
    expect(headers['RateLimit-Policy']).toBe(`"3-in-1min"; q=3; w=60; pk=:${pk(key)}:`);

    const refused = await limiter.check(auth).then(() => undefined, (error: unknown) => error);
    expect(refused).toBeInstanceOf(TollgateError);
    const error = refused as TollgateError;
    expect(error).toMatchObject({ status: 429, code: 'rate_limited', reason: 'rate_limited', expose: true });
    const t = /t=(\d+)$/.exec(error.headers['RateLimit']!)![1]!;
    expect(error.headers).toEqual({
      RateLimit: `"3-in-1min"; r=0; t=${t}`,
      'RateLimit-Policy': `"3-in-1min"; q=3; w=60; pk=:${pk(key)}:`,
      'Retry-After': t,
    });
    expect(Number(t)).toBeGreaterThan(0);
    expect(Number(t)).toBeLessThanOrEqual(60);
  });

  it('gives each context and each limiter its own key and policy, on the first request and every one after', async () => {
    const [alice, bob] = [await authFor({ sub: 'alice' }), await authFor({ sub: 'bob' })];
    const perToken = createRateLimiter({ limit: 7, windowMs: 60_000, prefix: 'a:' });
    const perSubject = createRateLimiter({ limit: 10, windowMs: 1_000, key: 'subject' });
    const dynamic = createRateLimiter({ limit: () => 7, windowMs: 60_000, prefix: 'a:' }); // the path without the kept policy
    const policy = async (limiter: ReturnType<typeof createRateLimiter>, auth: AuthContext) => (await limiter.check(auth)).headers['RateLimit-Policy'];
    for (let round = 0; round < 3; round++) {
      for (const auth of [alice, bob]) {
        expect(await policy(perToken, auth)).toBe(`"7-in-1min"; q=7; w=60; pk=:${pk(`a:token:${auth.fingerprint}`)}:`);
        expect(await policy(perToken, auth)).toBe(await policy(dynamic, auth));
        expect(await policy(perSubject, auth)).toBe(`"10-in-1sec"; q=10; w=1; pk=:${pk(`subject:${fingerprint(`${auth.issuer}\u0000${auth.subject}`)}`)}:`);
      }
    }
    expect((await perToken.check(alice)).info).toMatchObject({ key: `a:token:${alice.fingerprint}`, used: 7, remaining: 0 });
    await expect(perToken.check(alice)).rejects.toMatchObject({ status: 429, headers: { 'RateLimit-Policy': `"7-in-1min"; q=7; w=60; pk=:${pk(`a:token:${alice.fingerprint}`)}:` } });
  });

  it('attempt() counts synchronously with the memory store, and waits only for a store that is async', async () => {
    const limiter = createRateLimiter({ limit: 1, windowMs: 60_000 });
    const auth = await authFor();
    await limiter.check(auth); // the store's init has run
    const second = await authFor();
    const decision = limiter.attempt(second);
    expect(decision).not.toBeInstanceOf(Promise);
    expect(decision).toMatchObject({ allowed: true, info: { used: 1, remaining: 0 } });
    expect(() => limiter.attempt(second)).toThrow(expect.objectContaining({ status: 429, reason: 'rate_limited' }));
    const inner = new MemoryRateLimitStore();
    const asyncStore: RateLimitStore = { init: (o) => inner.init(o), increment: async (key) => inner.increment(key), decrement: async () => {}, resetKey: async () => {} };
    const slow = createRateLimiter({ limit: 1, windowMs: 60_000, store: asyncStore });
    await slow.check(auth);
    const pending = slow.attempt(auth);
    expect(pending).toBeInstanceOf(Promise);
    await expect(pending).rejects.toMatchObject({ status: 429 });
    const refused = limiter.check(second);
    expect(refused).toBeInstanceOf(Promise);
    await expect(refused).rejects.toMatchObject({ status: 429 });
  });

  it('consume() reports a refusal as a decision, not a rejection', async () => {
    const limiter = createRateLimiter({ limit: 1, windowMs: 1000 });
    expect(await limiter.consume('k', 1)).toMatchObject({ allowed: true, error: undefined, info: { limit: 1, used: 1, remaining: 0, key: 'k' } });
    const refused = await limiter.consume('k', 1);
    expect(refused).toMatchObject({ allowed: false, info: { used: 2, remaining: 0 } });
    expect(refused.error).toMatchObject({ status: 429 });
    expect(refused.headers['Retry-After']).toBe('1');
  });

  it('names draft-8 policies by limit and window', () => {
    const name = (windowMs: number) => createRateLimiter({ limit: 10, windowMs }).policyName(10);
    expect([name(1500), name(60_000), name(3_600_000), name(7_200_000), name(86_400_000), name(172_800_000)])
      .toEqual(['10-in-1.5sec', '10-in-1min', '10-in-1hr', '10-in-2hrs', '10-in-1day', '10-in-2days']);
  });

  describe('keys', () => {
    it('"token" counts by the fingerprint, never the raw token', async () => {
      const auth = await authFor();
      const key = await createRateLimiter({ limit: 1, windowMs: 1000 }).keyFor(auth);
      expect(key).toBe(`token:${fingerprint(auth.token)}`);
      expect(key).not.toContain(auth.token.split('.')[2]!);
    });

    it('"subject" joins tokens of one subject within its issuer, without the raw subject in the key', async () => {
      const limiter = createRateLimiter({ limit: 1, windowMs: 1000, key: 'subject' });
      const [a, b, c] = await Promise.all([authFor({ sub: 'alice@example.com' }), authFor({ sub: 'alice@example.com' }), authFor({ sub: 'bob' })]);
      const keyA = await limiter.keyFor(a!);
      expect(keyA).toBe(`subject:${fingerprint(`${idp.issuer}\u0000alice@example.com`)}`);
      expect(await limiter.keyFor(b!)).toBe(keyA);
      expect(await limiter.keyFor(c!)).not.toBe(keyA);
      expect(keyA).not.toContain('alice');
    });

    it('"subject" and "client" fall back to the fingerprint when the claim is missing, never one shared bucket', async () => {
      const subjectless = await Promise.all([authFor({}, ['sub']), authFor({}, ['sub'])]);
      const bySubject = createRateLimiter({ limit: 1, windowMs: 1000, key: 'subject' });
      expect(await bySubject.keyFor(subjectless[0]!)).toBe(`token:${subjectless[0]!.fingerprint}`);
      expect(await bySubject.keyFor(subjectless[1]!)).toBe(`token:${subjectless[1]!.fingerprint}`);
      const byClient = createRateLimiter({ limit: 1, windowMs: 1000, key: 'client' });
      const [web, web2, none] = await Promise.all([authFor({ client_id: 'web' }), authFor({ azp: 'web' }), authFor()]);
      expect(await byClient.keyFor(web!)).toBe(`client:${fingerprint(`${idp.issuer}\u0000web`)}`);
      expect(await byClient.keyFor(web2!)).toBe(await byClient.keyFor(web!));
      expect(await byClient.keyFor(none!)).toBe(`token:${none!.fingerprint}`);
    });

    it('a key function names the bucket (sync or async); no string falls back to the fingerprint', async () => {
      const limiter = createRateLimiter({ limit: 1, windowMs: 1000, key: async (auth) => auth.claims.tenant as string | undefined });
      const [acme, none] = await Promise.all([authFor({ tenant: 'acme' }), authFor()]);
      expect(await limiter.keyFor(acme!)).toBe('custom:acme');
      expect(await limiter.keyFor(none!)).toBe(`token:${none!.fingerprint}`);
      const empty = createRateLimiter({ limit: 1, windowMs: 1000, key: () => '' });
      expect(await empty.keyFor(acme!)).toBe(`token:${acme!.fingerprint}`);
    });

    it('prefix namespaces every key', async () => {
      const auth = await authFor();
      const { store, calls } = recordingStore();
      const limiter = createRateLimiter({ limit: 1, windowMs: 1000, store, prefix: 'orders:' });
      await limiter.check(auth);
      expect(calls).toContain(`increment:orders:token:${auth.fingerprint}`);
    });
  });

  describe('limits', () => {
    it('tiers by a claim, with a sync or async function', async () => {
      const limiter = createRateLimiter({ limit: async (auth) => (auth.claims.plan === 'pro' ? 3 : 1), windowMs: 1000 });
      const [pro, free] = await Promise.all([authFor({ plan: 'pro' }), authFor({ plan: 'free' })]);
      expect(await limiter.limitFor(pro!)).toBe(3);
      expect(await limiter.limitFor(free!)).toBe(1);
      await limiter.check(free!);
      await expect(limiter.check(free!)).rejects.toMatchObject({ status: 429 });
      for (let i = 0; i < 3; i++) await limiter.check(pro!);
      await expect(limiter.check(pro!)).rejects.toMatchObject({ status: 429 });
    });

    it('a limit of 0 from the function refuses every request', async () => {
      const limiter = createRateLimiter({ limit: () => 0, windowMs: 1000 });
      await expect(limiter.check(await authFor())).rejects.toMatchObject({ status: 429 });
    });

    it.each([[undefined], [-1], [2.5], ['10'], [Number.NaN]])('a limit function returning %p fails the request (never lets it through) and counts nothing', async (value) => {
      const { store, calls } = recordingStore();
      const limiter = createRateLimiter({ limit: () => value as number, windowMs: 1000, store });
      await expect(limiter.check(await authFor())).rejects.toMatchObject({ name: 'TollgateSetupError', code: 'ERR_TOLLGATE_INVALID_OPTION' });
      expect(calls).toEqual(['init:1000']);
    });
  });

  describe('store failures', () => {
    const failing = (): RateLimitStore => ({
      increment: () => Promise.reject(new Error('connect ECONNREFUSED 127.0.0.1:1 secret-host')),
      decrement() {},
      resetKey() {},
    });

    it('fail closed: 503 temporarily_unavailable with Retry-After, the store error kept as cause only', async () => {
      const limiter = createRateLimiter({ limit: 5, windowMs: 1000, store: failing() });
      const error = await limiter.check(await authFor()).then(() => undefined, (e: unknown) => e as TollgateError);
      expect(error).toMatchObject({ status: 503, code: 'temporarily_unavailable', reason: 'store_unavailable', headers: { 'Retry-After': '1' } });
      expect(error!.description).not.toContain('secret-host');
      expect((error!.cause as Error).message).toContain('ECONNREFUSED');
    });

    it('let the request through without headers when passOnStoreError is true, and log it', async () => {
      const log = jest.spyOn(console, 'error').mockImplementation(() => {});
      try {
        const limiter = createRateLimiter({ limit: 5, windowMs: 1000, store: failing(), passOnStoreError: true });
        expect(await limiter.check(await authFor())).toEqual({ allowed: true, info: undefined, headers: {}, error: undefined });
        expect(log).toHaveBeenCalledTimes(1);
      } finally {
        log.mockRestore();
      }
    });

    it('give a store storeTimeoutMs to answer, then fail closed with the 503', async () => {
      const store: RateLimitStore = { increment: () => new Promise(() => { /* never */ }), decrement() {}, resetKey() {} };
      const limiter = createRateLimiter({ limit: 5, windowMs: 1000, store, storeTimeoutMs: 50 });
      const error = await limiter.check(await authFor()).then(() => undefined, (e: unknown) => e as TollgateError);
      expect(error).toMatchObject({ status: 503, reason: 'store_unavailable' });
      expect((error!.cause as Error).message).toMatch(/did not answer within 50 ms/);
    });

    it.each([0, -1, 1.5, '100'])('refuse storeTimeoutMs %p at setup', (storeTimeoutMs) => {
      expect(() => createRateLimiter({ limit: 5, windowMs: 1000, storeTimeoutMs: storeTimeoutMs as number })).toThrow(expect.objectContaining({ code: 'ERR_TOLLGATE_INVALID_OPTION' }));
    });

    it.each<[string, unknown]>([
      ['no count', { resetTime: new Date() }],
      ['a zero count', { totalHits: 0, resetTime: new Date() }],
      ['a string count', { totalHits: '1', resetTime: new Date() }],
      ['a bad reset time', { totalHits: 1, resetTime: 'soon' }],
      ['nothing', undefined],
    ])('treat a store answering %s as failed (503), not as an allow', async (_name, answer) => {
      const store: RateLimitStore = { increment: async () => answer as ClientRateLimitInfo, decrement() {}, resetKey() {} };
      const limiter = createRateLimiter({ limit: 5, windowMs: 1000, store });
      await expect(limiter.check(await authFor())).rejects.toMatchObject({ status: 503, reason: 'store_unavailable' });
    });
  });
});
