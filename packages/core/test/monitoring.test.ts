/** Core monitoring: options checked at setup, client keys, bounded memory, sinks combined, metrics setup. */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { Histogram, Registry } from 'prom-client';
import {
  clientKey, combineSinks, createAuthenticator, MemoryAnomalyStore, metricsHooks, pinoAuditSink, tollgateMetrics, wantsMetrics, TollgateError,
  type AnomalyOptions, type AuditEvent, type TollgateRequest,
} from '@tollgate/core';
import { metricsEndpoint as expressMetrics } from '@tollgate/express';
import { metricsEndpoint as koaMetrics } from '@tollgate/koa';
import { createTestIssuer, type TestIssuer } from '@tollgate/testing';
import { anomalyStoreContract } from '../../../test/anomaly-store-contract.js';
import { isoTime } from '../src/monitoring/audit.js';
import { DurationHistogram } from '../src/monitoring/durations.js';

let idp: TestIssuer;
beforeAll(async () => { idp = await createTestIssuer(); });
afterAll(async () => { await idp.close(); });

const setupCode = (make: () => unknown): string | undefined => {
  try {
    make();
    return undefined;
  } catch (error) {
    return (error as { code?: string }).code;
  }
};

describe('anomalies options', () => {
  it.each<[string, unknown]>([
    ['not an object', 5],
    ['an unknown option', { clientsPerToken: { max: 1, windowMs: 1000 }, maxClients: 3 }],
    ['an unknown nested option', { clientsPerToken: { max: 1, windowMs: 1000, actoin: 'deny' } }],
    ['a zero max', { clientsPerToken: { max: 0, windowMs: 1000 } }],
    ['a max above 1000 clients per token', { clientsPerToken: { max: 1001, windowMs: 1000 } }],
    ['a fractional window', { failuresPerClient: { max: 1, windowMs: 0.5, blockMs: 1000 } }],
    ['a missing blockMs', { failuresPerClient: { max: 1, windowMs: 1000 } }],
    ['an unknown action', { clientsPerToken: { max: 1, windowMs: 1000, action: 'block' } }],
    ['a store without methods', { store: { addClient: () => 1 } }],
    ['a non-boolean failClosed', { failClosed: 'yes' }],
  ])('refuses %s at setup', (_what, anomalies) => {
    const code = setupCode(() => createAuthenticator({ ...idp.authenticateOptions(), anomalies: anomalies as AnomalyOptions }));
    expect(code).toMatch(/^ERR_TOLLGATE_(INVALID|UNKNOWN)_OPTION$/);
  });

  it('refuses a bad MemoryAnomalyStore bound', () => {
    expect(setupCode(() => new MemoryAnomalyStore({ max: 0 }))).toBe('ERR_TOLLGATE_INVALID_OPTION');
    expect(setupCode(() => new MemoryAnomalyStore({ maxSize: 5 } as never))).toBe('ERR_TOLLGATE_UNKNOWN_OPTION');
  });
});

describe('clientKey', () => {
  it.each<[string | undefined, string | undefined]>([
    [undefined, undefined],
    ['', undefined],
    ['203.0.113.7', '203.0.113.7'],
    ['::ffff:203.0.113.7', '203.0.113.7'],
    ['::FFFF:203.0.113.7', '203.0.113.7'],
    ['2001:db8:a:b:c:d:e:f', '2001:db8:a:b::/64'],
    ['2001:DB8:A:B::1', '2001:db8:a:b::/64'],
    ['2001:db8::1', '2001:db8:0:0::/64'],
    ['::1', '0:0:0:0::/64'],
    ['fe80::1%eth0', 'fe80:0:0:0::/64'],
    ['64:ff9b::192.0.2.1', '64:ff9b:0:0::/64'],
  ])('%s -> %s', (ip, key) => {
    expect(clientKey(ip)).toBe(key);
  });

  it('hashes anything that is not an address, to a short fixed-size key', () => {
    const key = clientKey(`{evil}${'x'.repeat(10_000)}`);
    expect(key).toMatch(/^hash:[\w-]{22}$/);
    expect(clientKey('not-an-address')).not.toBe(key);
    expect(clientKey('not-an-address')).toBe(clientKey('not-an-address'));
  });
});

anomalyStoreContract('MemoryAnomalyStore', () => {
  let clock = 1_000_000;
  return { store: new MemoryAnomalyStore(), now: () => clock, elapse: async (ms) => { clock += ms; } };
});

describe('MemoryAnomalyStore', () => {
  it('stays bounded under 100,000 distinct client addresses, through an authenticator', async () => {
    const store = new MemoryAnomalyStore({ max: 1000 });
    const authenticator = createAuthenticator({
      ...idp.authenticateOptions(), anomalies: { store, failuresPerClient: { max: 3, windowMs: 60_000, blockMs: 60_000 }, clientsPerToken: { max: 5, windowMs: 60_000, action: 'report' } },
    });
    const token = await idp.mint();
    let refused = 0;
    for (let i = 0; i < 100_000; i += 1) {
      const ip = `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`;
      const req: TollgateRequest = { method: 'GET', url: '/', headers: { authorization: 'Bearer not.a.jwt' }, ip };
      try {
        await authenticator.attempt(req);
      } catch (error) {
        if (error instanceof TollgateError && error.status === 401) refused += 1;
      }
      // The same token from every address too (a verified-token cache hit): its set stops at max + 1.
      await authenticator.attempt({ method: 'GET', url: '/', headers: { authorization: `Bearer ${token}` }, ip });
    }
    expect(refused).toBe(100_000);
    expect(store.size).toBeLessThanOrEqual(1000 + 6);
    expect(store.size).toBeGreaterThan(900);
  }, 60_000);

  it('keeps at most max + 1 addresses per token', () => {
    const store = new MemoryAnomalyStore();
    const window = { max: 2, windowMs: 1000 };
    const seen = ['a', 'b', 'a', 'c', 'd', 'e'].map((c) => store.addClient('t', c, window, 0));
    expect(seen).toEqual([
      { previous: 0, count: 1 }, { previous: 1, count: 2 }, { previous: 2, count: 2 }, { previous: 2, count: 3 }, { previous: 3, count: 3 }, { previous: 3, count: 3 },
    ]);
    expect(store.size).toBe(3);
    expect(store.addClient('t', 'd', window, 1000)).toEqual({ previous: 0, count: 1 }); // the next window
  });

  it('counts the distinct addresses of each token in each window, as a set per token would', () => {
    const call = fc.record({ token: fc.constantFrom('t1', 't2', 't3'), client: fc.constantFrom('a', 'b', 'c', 'd', 'e'), at: fc.integer({ min: 0, max: 2999 }) });
    fc.assert(fc.property(fc.integer({ min: 1, max: 3 }), fc.array(call, { maxLength: 60 }), (max, calls) => {
      const store = new MemoryAnomalyStore();
      const model = new Map<string, { window: number; seen: Set<string> }>();
      const limits = { max, windowMs: 1000 };
      for (const { token, client, at } of calls.sort((x, y) => x.at - y.at)) {
        const window = Math.floor(at / 1000);
        let entry = model.get(token);
        if (entry === undefined || entry.window !== window) model.set(token, entry = { window, seen: new Set() });
        const previous = entry.seen.size;
        if (previous <= max) entry.seen.add(client);
        expect(store.addClient(token, client, limits, at)).toEqual({ previous, count: entry.seen.size });
      }
      expect(store.size).toBe([...model.values()].reduce((n, e) => n + e.seen.size, 0));
    }));
  });

  it('blocks past max failures in a window, for blockMs', () => {
    const store = new MemoryAnomalyStore();
    const limits = { max: 2, windowMs: 1000, blockMs: 5000 };
    expect([0, 1, 2].map((t) => store.addFailure('c', limits, t))).toEqual([{ count: 1, blockedMs: 0 }, { count: 2, blockedMs: 0 }, { count: 3, blockedMs: 5000 }]);
    expect(store.blockedFor('c', 3)).toBe(4999);
    expect(store.blockedFor('c', 5002)).toBe(0);
    expect(store.addFailure('c', limits, 5003)).toEqual({ count: 1, blockedMs: 0 }); // a new window
    expect(store.blockedFor('other', 3)).toBe(0);
  });

  it('answers blockedFor as a record per client would, for any failures, limits and times', () => {
    const step = fc.record({
      client: fc.constantFrom('a', 'b', 'c'), fail: fc.boolean(), at: fc.integer({ min: 0, max: 20_000 }),
      max: fc.integer({ min: 0, max: 2 }), blockMs: fc.constantFrom(1, 500, 3000, 9000),
    });
    fc.assert(fc.property(fc.array(step, { maxLength: 80 }), (steps) => {
      const store = new MemoryAnomalyStore();
      const model = new Map<string, { windowEnd: number; count: number; blockedUntil: number }>();
      for (const { client, fail, at, max, blockMs } of steps.sort((x, y) => x.at - y.at)) {
        if (fail) {
          let entry = model.get(client);
          if (entry === undefined || at >= entry.windowEnd) model.set(client, entry = { windowEnd: at + 1000, count: 0, blockedUntil: entry?.blockedUntil ?? 0 });
          entry.count += 1;
          const blocks = entry.count > max;
          if (blocks) entry.blockedUntil = at + blockMs;
          expect(store.addFailure(client, { max, windowMs: 1000, blockMs }, at)).toEqual({ count: entry.count, blockedMs: blocks ? blockMs : 0 });
        }
        for (const other of ['a', 'b', 'c']) expect(store.blockedFor(other, at)).toBe(Math.max(0, (model.get(other)?.blockedUntil ?? 0) - at));
      }
    }));
  });
});

describe('sinks and metrics', () => {
  it('combineSinks hands every event to each sink, even when one throws, and keeps the metrics mark', () => {
    const got: string[] = [];
    const metrics = tollgateMetrics();
    const plain = combineSinks(() => { throw new Error('broken sink'); }, (e) => got.push(e.type));
    const event: AuditEvent = { type: 'store-error', time: new Date(0).toISOString(), method: 'GET', path: '/', store: 'anomaly' };
    plain(event);
    expect(got).toEqual(['store-error']);
    expect(wantsMetrics(plain)).toBe(false);
    expect(wantsMetrics(combineSinks(plain, metrics.sink))).toBe(true);
    // Only a sink that reads nothing else of an accepted request may be told of it without the event.
    expect(typeof metricsHooks(metrics.sink)?.accepted).toBe('function');
    expect(metricsHooks(combineSinks(plain, metrics.sink))?.accepted).toBeUndefined();
    expect(setupCode(() => combineSinks(plain, 'nope' as never))).toBe('ERR_TOLLGATE_INVALID_OPTION');
  });

  it('DurationHistogram serves what a prom-client Histogram fed the same durations serves, recorded or observed', async () => {
    const BUCKETS = [0.001, 0.01, 0.1, 1];
    /** `series -> value` of a registry's text, for the one histogram in it. */
    const samples = async (registry: Registry): Promise<Map<string, number>> => new Map((await registry.metrics()).split('\n')
      .filter((line) => line.startsWith('d_'))
      .map((line) => [line.slice(0, line.lastIndexOf(' ')), Number(line.slice(line.lastIndexOf(' ') + 1))]));
    const duration = fc.oneof(fc.constantFrom(0, ...BUCKETS, 5), fc.double({ min: 0, max: 10, noNaN: true }));
    await fc.assert(fc.asyncProperty(fc.array(fc.record({ hit: fc.boolean(), seconds: duration, recorded: fc.boolean() }), { maxLength: 40 }), async (calls) => {
      const ours = new Registry();
      const reference = new Registry();
      const durations = new DurationHistogram({ name: 'd_seconds', help: 'h', buckets: BUCKETS, registers: [ours] });
      const plain = new Histogram({ name: 'd_seconds', help: 'h', buckets: BUCKETS, labelNames: ['cache'] as const, registers: [reference] });
      const record = { hit: durations.recorder('hit'), miss: durations.recorder('miss') };
      for (const { hit, seconds, recorded } of calls) {
        const cache = hit ? 'hit' : 'miss';
        if (recorded) record[cache](seconds);
        else durations.observe({ cache }, seconds);
        plain.observe({ cache }, seconds);
      }
      const got = await samples(ours);
      const want = await samples(reference);
      expect([...got.keys()].sort()).toEqual([...want.keys()].sort());
      for (const [series, value] of want) expect(got.get(series)).toBeCloseTo(value, 9);
      expect((await ours.getMetricsAsJSON())[0]!.values.length).toBe(want.size);
    }));
    const registry = new Registry();
    const durations = new DurationHistogram({ name: 'd_seconds', help: 'h', buckets: BUCKETS, registers: [registry] });
    const hit = durations.recorder('hit');
    hit(0.01); // a bound is its own bucket's (le is "less or equal")
    hit(Number.NaN); // not a duration: ignored, as prom-client would refuse it
    expect((await samples(registry)).get('d_seconds_bucket{le="0.01",cache="hit"}')).toBe(1);
    expect((await samples(registry)).get('d_seconds_bucket{le="0.001",cache="hit"}')).toBe(0);
    expect((await samples(registry)).get('d_seconds_count{cache="hit"}')).toBe(1);
    durations.reset();
    expect((await samples(registry)).size).toBe(0);
    hit(2);
    expect((await samples(registry)).get('d_seconds_bucket{le="+Inf",cache="hit"}')).toBe(1);
  });

  it('writes event times exactly as Date#toISOString does, whatever the order of the times', () => {
    const ms = fc.oneof(fc.integer({ min: -8.64e15, max: 8.64e15 }), fc.integer({ min: 1.7e12, max: 1.8e12 }), fc.double({ min: -8.64e15, max: 8.64e15, noNaN: true }));
    fc.assert(fc.property(fc.array(ms, { minLength: 1, maxLength: 20 }), (times) => {
      for (const t of times) expect(isoTime(t)).toBe(new Date(t).toISOString());
    }), { numRuns: 300 });
    for (const t of [0, -1, 999, 1000, -1000, -1001, 8.64e15, -8.64e15, 1764892800123.9]) expect(isoTime(t)).toBe(new Date(t).toISOString());
    expect(() => isoTime(Number.NaN)).toThrow(RangeError);
    expect(() => isoTime(8.64e15 + 1)).toThrow(RangeError);
  });

  it('counts each decision once, however often the registry is read', async () => {
    const metrics = tollgateMetrics();
    const allow: AuditEvent = { type: 'authenticated', time: new Date(0).toISOString(), method: 'GET', path: '/', scopes: [], cached: true, scheme: 'Bearer' };
    const deny: AuditEvent = { type: 'rejected', time: new Date(0).toISOString(), method: 'GET', path: '/', status: 401, code: 'invalid_token', reason: 'expired' };
    const count = async (labels: string) => (await metrics.registry.metrics()).match(new RegExp(`^tollgate_decisions_total\\{${labels}\\} (\\d+)$`, 'm'))?.[1];
    for (let i = 0; i < 3; i++) metrics.sink(allow);
    expect(await count('decision="allow",reason="none",scheme="Bearer"')).toBe('3');
    expect(await count('decision="allow",reason="none",scheme="Bearer"')).toBe('3');
    metrics.sink(allow);
    metrics.sink({ ...allow, scheme: 'api-key' });
    metrics.sink({ ...allow, scheme: '/etc/passwd' });
    metrics.sink(deny);
    metrics.sink(deny);
    expect(await count('decision="allow",reason="none",scheme="Bearer"')).toBe('4');
    expect(await count('decision="allow",reason="none",scheme="api-key"')).toBe('1');
    expect(await count('decision="allow",reason="none",scheme="other"')).toBe('1');
    expect(await count('decision="deny",reason="invalid_token",scheme="none"')).toBe('2');
    expect(await count('decision="allow",reason="none",scheme="DPoP"')).toBeUndefined(); // no decision, no series
  });

  it('counts any interleaving of decisions under the right labels', async () => {
    const kinds = [
      { event: { type: 'authenticated', scheme: 'Bearer' }, labels: 'decision="allow",reason="none",scheme="Bearer"' },
      { event: { type: 'authenticated', scheme: 'api-key' }, labels: 'decision="allow",reason="none",scheme="api-key"' },
      // Two schemes outside the list, one of them spelled like the label they both get.
      { event: { type: 'authenticated', scheme: 'other' }, labels: 'decision="allow",reason="none",scheme="other"' },
      { event: { type: 'authenticated', scheme: 'Basic' }, labels: 'decision="allow",reason="none",scheme="other"' },
      { event: { type: 'rejected', status: 401, code: 'invalid_token', reason: 'expired', scheme: 'Bearer' }, labels: 'decision="deny",reason="invalid_token",scheme="Bearer"' },
      { event: { type: 'rejected', status: 401, code: 'invalid_token', reason: 'expired' }, labels: 'decision="deny",reason="invalid_token",scheme="none"' },
      { event: { type: 'rejected', status: 429, code: 'rate_limited', reason: 'rate_limited', scheme: 'Bearer' }, labels: 'decision="deny",reason="rate_limited",scheme="Bearer"' },
      { event: { type: 'forbidden', status: 403, code: 'insufficient_scope', reason: 'insufficient_scope', missing: ['a'], scheme: 'Bearer' }, labels: 'decision="deny",reason="insufficient_scope",scheme="Bearer"' },
    ] as const;
    await fc.assert(fc.asyncProperty(fc.array(fc.nat({ max: kinds.length - 1 }), { maxLength: 60 }), async (sequence) => {
      const metrics = tollgateMetrics();
      for (const i of sequence) metrics.sink({ time: new Date(0).toISOString(), method: 'GET', path: '/', scopes: [], cached: true, ...kinds[i]!.event } as AuditEvent);
      const text = await metrics.registry.metrics();
      kinds.forEach(({ labels }) => {
        const expected = sequence.filter((k) => kinds[k]!.labels === labels).length;
        const found = text.match(new RegExp(`^tollgate_decisions_total\\{${labels}\\} (\\d+)$`, 'm'))?.[1];
        expect(found).toBe(expected === 0 ? undefined : String(expected));
      });
    }), { numRuns: 100 });
  });

  it('key fetches that fail to connect are counted as network errors', async () => {
    const metrics = tollgateMetrics();
    const refused: typeof fetch = async () => { throw new TypeError('fetch failed'); };
    const authenticator = createAuthenticator({ ...idp.authenticateOptions(), audit: metrics.sink, fetch: refused });
    await expect(authenticator.authenticate({ method: 'GET', url: '/', headers: { authorization: `Bearer ${await idp.mint()}` } })).rejects.toMatchObject({ status: 503 });
    expect(await metrics.registry.metrics()).toContain('tollgate_key_fetches_total{outcome="network_error"} 1');
  });

  it('tollgateMetrics registers in a given registry once, and checks its options', async () => {
    const registry = new Registry();
    const metrics = tollgateMetrics({ registry });
    expect(metrics.registry).toBe(registry);
    expect(await registry.metrics()).toContain('tollgate_anomalies_total');
    expect(setupCode(() => tollgateMetrics({ registry }))).toBe('ERR_TOLLGATE_INVALID_OPTION');
    expect(setupCode(() => tollgateMetrics({ registry: {} as Registry }))).toBe('ERR_TOLLGATE_INVALID_OPTION');
    expect(setupCode(() => tollgateMetrics({ register: registry } as never))).toBe('ERR_TOLLGATE_UNKNOWN_OPTION');
    expect(setupCode(() => expressMetrics({} as never))).toBe('ERR_TOLLGATE_INVALID_OPTION');
    expect(setupCode(() => koaMetrics(undefined as never))).toBe('ERR_TOLLGATE_INVALID_OPTION');
  });

  it('an unmarked sink gets no durations', async () => {
    const events: AuditEvent[] = [];
    const authenticator = createAuthenticator({ ...idp.authenticateOptions(), audit: (e) => events.push(e) });
    await authenticator.authenticate({ method: 'GET', url: '/', headers: { authorization: `Bearer ${await idp.mint()}` } });
    expect(events.map((e) => e.type)).toEqual(['authenticated']);
    expect(events[0]).not.toHaveProperty('duration');
  });

  it('pinoAuditSink writes the new events at the right level', () => {
    const lines: [string, string][] = [];
    const sink = pinoAuditSink({ info: (_o, msg) => lines.push(['info', msg ?? '']), warn: (_o, msg) => lines.push(['warn', msg ?? '']) });
    const base = { time: new Date(0).toISOString(), method: 'GET', path: '/' };
    sink({ ...base, type: 'anomaly', kind: 'failure-burst', action: 'block' });
    sink({ ...base, type: 'store-error', store: 'anomaly' });
    sink({ ...base, type: 'authenticated', scopes: [], cached: false });
    expect(lines.map(([level]) => level)).toEqual(['warn', 'warn', 'info']);
    expect(lines[0]![1]).toContain('failure-burst');
  });
});
