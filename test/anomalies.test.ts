/**
 * Anomaly signals through `authenticate({ anomalies })` on Express 4/5 and Koa 2/3: one token
 * from too many client addresses (report and deny), a burst of failures from one address (429
 * before any verification work), a revoked or replayed token used again, and a failing store.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import request from 'supertest';
import { ApiKeys, MemoryAnomalyStore, MemoryApiKeyStore, MemoryRevocationStore, revoke, type AnomalyEvent, type AnomalyOptions, type AnomalyStore, type AuditEvent, type AuthenticateOptions } from '@tollgate/core';
import { createTestIssuer, type TestIssuer } from '@tollgate/testing';
import { eachFramework, type Framework } from './harness.js';

let idp: TestIssuer;
beforeAll(async () => { idp = await createTestIssuer(); });
afterAll(async () => { await idp.close(); });

const anomaliesOf = (events: AuditEvent[]): AnomalyEvent[] => events.filter((e): e is AnomalyEvent => e.type === 'anomaly');

/** An app whose `/orders` is guarded by `authenticate` with `anomalies`, reporting to `events`. */
function appWith(framework: Framework, anomalies: AnomalyOptions, extra: Partial<AuthenticateOptions> = {}, trustProxy = true) {
  const events: AuditEvent[] = [];
  const app = framework.app([
    { method: 'get', path: '/orders', guards: (t) => [t.authenticate({ ...idp.authenticateOptions(), audit: (e) => events.push(e), anomalies, ...extra })] },
    { method: 'delete', path: '/orders', guards: (t) => [t.authenticate({ ...idp.authenticateOptions(), audit: (e) => events.push(e), anomalies, ...extra }), t.preventReplay()] },
  ], { trustProxy });
  const get = (token: string | undefined, from?: string) => {
    let r = request(app).get('/orders');
    if (from !== undefined) r = r.set('X-Forwarded-For', from);
    return token === undefined ? r : r.set('Authorization', `Bearer ${token}`);
  };
  return { app, events, get };
}

/** Stores whose every call fails: by throwing or by rejecting, each method one way in one and the other in the other. */
const brokenStores: [string, AnomalyStore][] = [
  ['throws or rejects', {
    addClient: () => { throw new Error('anomaly store down'); },
    addFailure: async () => { throw new Error('anomaly store down'); },
    blockedFor: async () => { throw new Error('anomaly store down'); },
  }],
  ['rejects or throws', {
    addClient: async () => { throw new Error('anomaly store down'); },
    addFailure: () => { throw new Error('anomaly store down'); },
    blockedFor: () => { throw new Error('anomaly store down'); },
  }],
];

describe.each(eachFramework)('%s: anomaly signals', (_name, framework: Framework) => {
  it('many-clients, action report: a token from a third address is reported once and still served', async () => {
    const { events, get } = appWith(framework, { clientsPerToken: { max: 2, windowMs: 60_000, action: 'report' } });
    const token = await idp.mint();
    for (const from of ['203.0.113.1', '203.0.113.2', '203.0.113.1']) expect((await get(token, from)).status).toBe(200);
    expect(anomaliesOf(events)).toEqual([]);
    expect((await get(token, '203.0.113.3')).status).toBe(200);
    expect((await get(token, '203.0.113.4')).status).toBe(200);
    const signals = anomaliesOf(events);
    expect(signals).toHaveLength(1);
    expect(signals[0]).toMatchObject({ kind: 'many-clients', action: 'report', client: '203.0.113.3', count: 3, subject: 'user-1', path: '/orders' });
    expect(JSON.stringify(events)).not.toContain(token);
    // Another token is counted on its own.
    expect((await get(await idp.mint(), '203.0.113.9')).status).toBe(200);
  });

  it('many-clients, action deny: past max the token is refused (401) from every address for the window', async () => {
    const { events, get } = appWith(framework, { clientsPerToken: { max: 2, windowMs: 60_000, action: 'deny' } });
    const token = await idp.mint();
    expect((await get(token, '198.51.100.1')).status).toBe(200);
    expect((await get(token, '198.51.100.2')).status).toBe(200);
    const third = await get(token, '198.51.100.3');
    expect(third.status).toBe(401);
    expect(third.headers['www-authenticate']).toContain('error="invalid_token"');
    expect(JSON.stringify(third.body)).not.toContain(token);
    expect((await get(token, '198.51.100.1')).status).toBe(401);
    expect(anomaliesOf(events)).toEqual([expect.objectContaining({ kind: 'many-clients', action: 'deny', client: '198.51.100.3' })]);
    expect(events.filter((e) => e.type === 'rejected').map((e) => 'reason' in e && e.reason)).toEqual(['many_clients', 'many_clients']);
    // The refusal is not an allow as well: no `authenticated` event for the refused requests.
    expect(events.filter((e) => e.type === 'authenticated')).toHaveLength(2);
    expect((await get(await idp.mint(), '198.51.100.1')).status).toBe(200);
  });

  it('many-clients counts an IPv6 /64 as one client and an IPv4-mapped address as its IPv4 address', async () => {
    const { events, get } = appWith(framework, { clientsPerToken: { max: 1, windowMs: 60_000, action: 'deny' } });
    const token = await idp.mint();
    expect((await get(token, '2001:db8:1:2::1')).status).toBe(200);
    expect((await get(token, '2001:db8:1:2:ffff::9')).status).toBe(200);
    expect((await get(token, '2001:db8:1:3::1')).status).toBe(401);
    const other = await idp.mint();
    expect((await get(other, '192.0.2.7')).status).toBe(200);
    expect((await get(other, '::ffff:192.0.2.7')).status).toBe(200);
    expect(anomaliesOf(events).map((e) => e.client)).toEqual(['2001:db8:1:3::/64']);
  });

  it('failure-burst: past max failures the address gets 429 + Retry-After before any verification work, then recovers', async () => {
    let clock = Date.now();
    const { events, get } = appWith(framework, { failuresPerClient: { max: 3, windowMs: 60_000, blockMs: 30_000 } }, { now: () => clock });
    const jwksBefore = idp.jwksRequests;
    for (let i = 0; i < 4; i += 1) expect((await get(`not.a.jwt${i}`, '192.0.2.50')).status).toBe(401);
    expect(anomaliesOf(events)).toEqual([expect.objectContaining({ kind: 'failure-burst', action: 'block', client: '192.0.2.50', count: 4 })]);
    // A valid token from the blocked address: refused without verifying (no key set is fetched).
    const token = await idp.mint({}, { header: { kid: 'never-seen-kid' } });
    const blocked = await get(token, '192.0.2.50');
    expect(blocked.status).toBe(429);
    expect(blocked.headers['retry-after']).toBe('30');
    expect(idp.jwksRequests).toBe(jwksBefore);
    expect(events.at(-1)).toMatchObject({ type: 'rejected', status: 429, code: 'rate_limited', reason: 'client_blocked' });
    // Other addresses are not affected, a missing token does not count as a failure.
    expect((await get(await idp.mint(), '192.0.2.51')).status).toBe(200);
    for (let i = 0; i < 5; i += 1) expect((await get(undefined, '192.0.2.52')).status).toBe(401);
    expect((await get(await idp.mint(), '192.0.2.52')).status).toBe(200);
    clock += 30_001;
    expect((await get(await idp.mint(), '192.0.2.50')).status).toBe(200);
  });

  it('failure-burst: guessing API keys blocks the address too, the real key included, and only that address', async () => {
    const apiKeys = new ApiKeys({ store: new MemoryApiKeyStore() });
    const { key } = await apiKeys.create({ name: 'n', subject: 'svc', scopes: [] });
    const { events, get } = appWith(framework, { failuresPerClient: { max: 3, windowMs: 60_000, blockMs: 30_000 } }, { apiKeys });
    const parsed = key.split('_');
    for (let i = 0; i < 4; i += 1) expect((await get(`${parsed[0]}_${parsed[1]}_guess${i}`, '192.0.2.60')).status).toBe(401);
    expect(anomaliesOf(events)).toEqual([expect.objectContaining({ kind: 'failure-burst', action: 'block', client: '192.0.2.60' })]);
    expect((await get(key, '192.0.2.60')).status).toBe(429);
    expect((await get(key, '192.0.2.61')).status).toBe(200);
  });

  it('failure-burst: without trust proxy, a rotating X-Forwarded-For cannot pose as many clients', async () => {
    const { get } = appWith(framework, { failuresPerClient: { max: 2, windowMs: 60_000, blockMs: 60_000 } }, {}, false);
    for (let i = 0; i < 3; i += 1) expect((await get('bad.token.here', `10.0.${i}.1`)).status).toBe(401);
    expect((await get(await idp.mint(), '10.9.9.9')).status).toBe(429);
  });

  it('failure-burst: odd forwarded values never crash a request and count as one client each', async () => {
    const { get } = appWith(framework, { failuresPerClient: { max: 1, windowMs: 60_000, blockMs: 60_000 } });
    const odd = `{}${'x'.repeat(5000)}\u00e9`;
    expect((await get('bad.token.here', odd)).status).toBe(401);
    expect((await get('bad.token.here', odd)).status).toBe(401);
    expect((await get(await idp.mint(), odd)).status).toBe(429);
    expect((await get(await idp.mint(), 'not-an-address')).status).toBe(200);
  });

  it('revoked-reuse: a revoked token, or a replayed one, presented again is signalled', async () => {
    const revocation = new MemoryRevocationStore();
    const { events, app, get } = appWith(framework, {}, { revocation });
    const token = await idp.mint();
    expect((await get(token)).status).toBe(200);
    await revoke(revocation, { token });
    expect((await get(token)).status).toBe(401);
    const once = await idp.mint();
    expect((await request(app).delete('/orders').set('Authorization', `Bearer ${once}`)).status).toBe(200);
    expect((await request(app).delete('/orders').set('Authorization', `Bearer ${once}`)).status).toBe(401);
    expect(anomaliesOf(events).map((e) => [e.kind, e.action])).toEqual([['revoked-reuse', 'report'], ['revoked-reuse', 'report']]);
    expect(anomaliesOf(events)[1]).toMatchObject({ subject: 'user-1', path: '/orders', method: 'DELETE' });
  });

  it.each(brokenStores)('a failing anomaly store (%s) is reported and skipped: requests are judged by the other checks', async (_how, brokenStore) => {
    const { events, get } = appWith(framework, { store: brokenStore, clientsPerToken: { max: 1, windowMs: 60_000, action: 'deny' }, failuresPerClient: { max: 1, windowMs: 60_000, blockMs: 60_000 } });
    expect((await get(await idp.mint(), '192.0.2.1')).status).toBe(200);
    expect((await get('bad.token.here', '192.0.2.1')).status).toBe(401);
    expect((await get('bad.token.here', '192.0.2.1')).status).toBe(401);
    const errors = events.filter((e) => e.type === 'store-error');
    expect(errors.length).toBeGreaterThanOrEqual(3);
    expect(errors[0]).toMatchObject({ store: 'anomaly', path: '/orders' });
  });

  it.each(brokenStores)('failClosed: a failing anomaly store (%s) answers 503 with Retry-After, never a 500', async (_how, brokenStore) => {
    const { events, get } = appWith(framework, { store: brokenStore, failuresPerClient: { max: 1, windowMs: 60_000, blockMs: 60_000 }, failClosed: true });
    const response = await get(await idp.mint(), '192.0.2.1');
    expect(response.status).toBe(503);
    expect(response.headers['retry-after']).toBe('1');
    expect(JSON.stringify(response.body)).not.toContain('anomaly store down');
    expect(events.at(-1)).toMatchObject({ type: 'rejected', status: 503, reason: 'store_unavailable', store: 'anomaly' });
    const clients = appWith(framework, { store: brokenStore, clientsPerToken: { max: 1, windowMs: 60_000, action: 'report' }, failClosed: true });
    expect((await clients.get(await idp.mint(), '192.0.2.1')).status).toBe(503);
  });

  it('one memory store serves several authenticators', async () => {
    const store = new MemoryAnomalyStore();
    const a = appWith(framework, { store, failuresPerClient: { max: 1, windowMs: 60_000, blockMs: 60_000 } });
    const b = appWith(framework, { store, failuresPerClient: { max: 1, windowMs: 60_000, blockMs: 60_000 } });
    expect((await a.get('bad.token.here', '192.0.2.99')).status).toBe(401);
    expect((await b.get('bad.token.here', '192.0.2.99')).status).toBe(401);
    expect((await a.get(await idp.mint(), '192.0.2.99')).status).toBe(429);
  });
});
