/**
 * Prometheus metrics through `tollgateMetrics()` + `metricsEndpoint(metrics)` on Express 4/5 and
 * Koa 2/3: every decision, key fetch, store error and anomaly is counted, with bounded labels
 * only, and the text never carries a token, subject, key id, address or path.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import request from 'supertest';
import { ApiKeys, combineSinks, MemoryApiKeyStore, MemoryRevocationStore, revoke, tollgateMetrics, type AuditEvent } from '@tollgate/core';
import * as tollgateExpress from '@tollgate/express';
import * as tollgateKoa from '@tollgate/koa';
import { createTestIssuer, type TestIssuer } from '@tollgate/testing';
import { eachFramework, type Framework } from './harness.js';

let idp: TestIssuer;
beforeAll(async () => { idp = await createTestIssuer(); });
afterAll(async () => { await idp.close(); });

/** The value of one sample line (`name{labels} value`) in the text, or 0 when absent. */
function sample(text: string, series: string): number {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? 0 : Number(line.slice(series.length + 1));
}

describe.each(eachFramework)('%s: metrics', (name, framework: Framework) => {
  const { metricsEndpoint } = name.startsWith('Koa') ? tollgateKoa : tollgateExpress;

  function appWithMetrics() {
    const metrics = tollgateMetrics();
    const events: AuditEvent[] = [];
    const revocation = new MemoryRevocationStore();
    const audit = combineSinks((e) => events.push(e), metrics.sink);
    const options = { ...idp.authenticateOptions(), audit, revocation, anomalies: { failuresPerClient: { max: 2, windowMs: 60_000, blockMs: 60_000 } } };
    const app = framework.app([
      { method: 'get', path: '/metrics', guards: () => [metricsEndpoint(metrics)] },
      { method: 'get', path: '/orders/:id', guards: (t) => [t.authenticate(options), t.requireScopes('orders:read')] },
    ], { trustProxy: true });
    return { app, events, revocation };
  }

  it('counts decisions, key fetches, durations, anomalies; serves the Prometheus text format', async () => {
    const { app, revocation } = appWithMetrics();
    const reader = await idp.mint({ sub: 'alice@example.com', scope: 'orders:read' });
    const writer = await idp.mint({ sub: 'bob-the-subject', scope: 'orders:write' });
    const revoked = await idp.mint({ sub: 'mallory-subject', scope: 'orders:read' });
    const get = (token: string | undefined, from = '192.0.2.10') => {
      const r = request(app).get('/orders/secret-order-42').set('X-Forwarded-For', from);
      return token === undefined ? r : r.set('Authorization', `Bearer ${token}`);
    };
    expect((await get(reader)).status).toBe(200);
    expect((await get(reader)).status).toBe(200);
    expect((await get(writer)).status).toBe(403);
    expect((await get(undefined)).status).toBe(401);
    await revoke(revocation, { token: revoked });
    expect((await get(revoked)).status).toBe(401);
    for (let i = 0; i < 3; i += 1) expect((await get('garbage.token.value', '192.0.2.66')).status).toBe(401);
    expect((await get(reader, '192.0.2.66')).status).toBe(429);

    const response = await request(app).get('/metrics');
    expect(response.status).toBe(200);
    expect(response.headers['content-type']).toMatch(/^text\/plain;/);
    expect(response.headers['content-type']).toContain('version=0.0.4');
    const text = response.text;
    expect(text).toContain('# TYPE tollgate_decisions_total counter');
    expect(sample(text, 'tollgate_decisions_total{decision="allow",reason="none",scheme="Bearer"}')).toBe(3);
    expect(sample(text, 'tollgate_decisions_total{decision="deny",reason="insufficient_scope",scheme="Bearer"}')).toBe(1);
    expect(sample(text, 'tollgate_decisions_total{decision="deny",reason="missing_token",scheme="none"}')).toBe(1);
    expect(sample(text, 'tollgate_decisions_total{decision="deny",reason="invalid_token",scheme="none"}')).toBe(4);
    expect(sample(text, 'tollgate_decisions_total{decision="deny",reason="rate_limited",scheme="none"}')).toBe(1);
    expect(sample(text, 'tollgate_key_fetches_total{outcome="ok"}')).toBe(1);
    expect(sample(text, 'tollgate_anomalies_total{kind="revoked-reuse"}')).toBe(1);
    expect(sample(text, 'tollgate_anomalies_total{kind="failure-burst"}')).toBe(1);
    expect(sample(text, 'tollgate_verify_duration_seconds_count{cache="miss"}')).toBe(2); // reader, writer
    expect(sample(text, 'tollgate_verify_duration_seconds_count{cache="hit"}')).toBe(1);
    expect(sample(text, 'tollgate_verify_duration_seconds_sum{cache="miss"}')).toBeGreaterThan(0);

    // Bounded labels only: no token (or a piece of one), subject, key id, address, path or fingerprint.
    for (const token of [reader, writer, revoked]) {
      expect(text).not.toContain(token);
      for (const part of token.split('.')) expect(text).not.toContain(part.slice(0, 24));
    }
    for (const secret of ['alice@example.com', 'bob-the-subject', 'mallory-subject', idp.issuer, 'secret-order-42', '192.0.2', 'garbage']) expect(text).not.toContain(secret);
    const kid = JSON.parse(Buffer.from(reader.split('.')[0]!, 'base64url').toString()).kid as string;
    expect(text).not.toContain(kid);
  });

  it.each([
    ['alone', {}],
    ['beside the anomaly signals', { anomalies: { clientsPerToken: { max: 5, windowMs: 60_000 }, failuresPerClient: { max: 5, windowMs: 60_000, blockMs: 60_000 } } }],
  ])('counts accepted requests and their durations with the metrics sink %s (told directly, no event built)', async (_, extra) => {
    const metrics = tollgateMetrics();
    const app = framework.app([
      { method: 'get', path: '/metrics', guards: () => [metricsEndpoint(metrics)] },
      { method: 'get', path: '/orders/:id', guards: (t) => [t.authenticate({ ...idp.authenticateOptions(), audit: metrics.sink, ...extra })] },
    ]);
    const token = await idp.mint({ sub: 'carol', scope: 'orders:read' });
    for (let i = 0; i < 3; i += 1) expect((await request(app).get('/orders/7').set('Authorization', `Bearer ${token}`)).status).toBe(200);
    expect((await request(app).get('/orders/7').set('Authorization', 'Bearer not.a.token')).status).toBe(401);
    const { text } = await request(app).get('/metrics');
    expect(sample(text, 'tollgate_decisions_total{decision="allow",reason="none",scheme="Bearer"}')).toBe(3);
    expect(sample(text, 'tollgate_decisions_total{decision="deny",reason="invalid_token",scheme="none"}')).toBe(1);
    expect(sample(text, 'tollgate_verify_duration_seconds_count{cache="miss"}')).toBe(1);
    expect(sample(text, 'tollgate_verify_duration_seconds_count{cache="hit"}')).toBe(2);
    expect(sample(text, 'tollgate_verify_duration_seconds_sum{cache="hit"}')).toBeGreaterThan(0);
    expect(sample(text, 'tollgate_verify_duration_seconds_bucket{le="+Inf",cache="hit"}')).toBe(2);
  });

  it('counts failed key fetches and store errors by store', async () => {
    const brokenAnomalies = { addClient: () => 0 as never, addFailure: () => 0 as never, blockedFor: async (): Promise<number> => { throw new Error('down'); } };
    const metrics = tollgateMetrics();
    const broken = { isRevoked: async () => { throw new Error('revocation store down'); }, revokeToken: async () => {}, revokeSubject: async () => {} };
    const down = await createTestIssuer();
    down.setAvailable(false);
    const { key } = await new ApiKeys({ store: new MemoryApiKeyStore() }).create({ name: 'n', subject: 's', scopes: [] });
    const brokenKeys = Object.assign(new MemoryApiKeyStore(), { get: async () => { throw new Error('key store down'); } });
    const app = framework.app([
      { method: 'get', path: '/metrics', guards: () => [metricsEndpoint(metrics)] },
      { method: 'get', path: '/a', guards: (t) => [t.authenticate({ ...idp.authenticateOptions(), audit: metrics.sink, revocation: broken })] },
      { method: 'get', path: '/b', guards: (t) => [t.authenticate({ ...down.authenticateOptions(), audit: metrics.sink })] },
      { method: 'get', path: '/c', guards: (t) => [t.authenticate({ ...idp.authenticateOptions(), audit: metrics.sink, anomalies: { store: brokenAnomalies, failuresPerClient: { max: 1, windowMs: 1000, blockMs: 1000 } } })] },
      { method: 'get', path: '/d', guards: (t) => [t.authenticate({ apiKeys: new ApiKeys({ store: brokenKeys }), audit: metrics.sink })] },
    ]);
    expect((await request(app).get('/c').set('Authorization', `Bearer ${await idp.mint()}`)).status).toBe(200);
    expect((await request(app).get('/a').set('Authorization', `Bearer ${await idp.mint()}`)).status).toBe(503);
    expect((await request(app).get('/b').set('Authorization', `Bearer ${await down.mint()}`)).status).toBe(503);
    expect((await request(app).get('/d').set('X-Api-Key', key)).status).toBe(503);
    await down.close();
    const text = (await request(app).get('/metrics')).text;
    expect(sample(text, 'tollgate_store_errors_total{store="revocation"}')).toBe(1);
    expect(sample(text, 'tollgate_store_errors_total{store="anomaly"}')).toBe(1);
    expect(sample(text, 'tollgate_store_errors_total{store="api-key"}')).toBe(1);
    expect(sample(text, 'tollgate_key_fetches_total{outcome="http_error"}')).toBe(1);
    expect(sample(text, 'tollgate_decisions_total{decision="deny",reason="temporarily_unavailable",scheme="none"}')).toBe(3);
  });
});

describe('README', () => {
  it('lists every metric tollgateMetrics() registers, and no other', async () => {
    const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
    const section = readme.slice(readme.indexOf('## Metrics and anomaly signals'));
    const table = section.slice(section.indexOf('| metric |'), section.indexOf('\n\n', section.indexOf('| metric |')));
    const listed = table.split('\n').slice(2).map((line) => /^\| `(\w+)`/.exec(line)?.[1]);
    const registered = (await tollgateMetrics().registry.getMetricsAsJSON()).map((m) => m.name);
    expect(listed.sort()).toEqual(registered.sort());
  });
});
