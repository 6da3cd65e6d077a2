/** Audit events from the adapters: every decision, with the fingerprint and never the token. */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import request from 'supertest';
import type { AuditEvent } from '@tollgate/core';
import { createTestIssuer, type TestIssuer } from '@tollgate/testing';
import { eachFramework, type Framework } from './harness.js';

let idp: TestIssuer;
beforeAll(async () => { idp = await createTestIssuer(); });
afterAll(async () => { await idp.close(); });

describe.each(eachFramework)('%s: audit events', (_name, framework: Framework) => {
  it('reports accepted, forbidden and rate-limited requests to the authenticate sink', async () => {
    const events: AuditEvent[] = [];
    const app = framework.app([{
      method: 'get',
      path: '/orders',
      guards: (t) => [
        t.authenticate({ ...idp.authenticateOptions(), audit: (e) => events.push(e) }),
        t.rateLimitPerToken({ limit: 1, windowMs: 60_000 }),
        t.requireScopes('orders:read'),
      ],
    }]);
    const reader = await idp.mint({ scope: 'orders:read' });
    const other = await idp.mint({ scope: 'orders:write' });
    expect((await request(app).get('/orders').set('Authorization', `Bearer ${reader}`)).status).toBe(200);
    expect((await request(app).get('/orders').set('Authorization', `Bearer ${reader}`)).status).toBe(429);
    expect((await request(app).get('/orders').set('Authorization', `Bearer ${other}`)).status).toBe(403);
    expect(events.map((e) => [e.type, 'reason' in e ? e.reason : '-'])).toEqual([
      ['authenticated', '-'], ['authenticated', '-'], ['rejected', 'rate_limited'], ['authenticated', '-'], ['forbidden', 'insufficient_scope'],
    ]);
    expect(events[2]).toMatchObject({ status: 429, path: '/orders', subject: 'user-1' });
    expect(events[2]!.fingerprint).toBe(events[0]!.fingerprint);
    expect(JSON.stringify(events)).not.toContain(reader);
  });

  it('reports a rate-limit store that fails (503) as a rejection, as every other refusal is', async () => {
    const events: AuditEvent[] = [];
    const broken = { increment: async () => { throw new Error('store down'); }, decrement: async () => {}, resetKey: async () => {} };
    const app = framework.app([{
      method: 'get',
      path: '/orders',
      guards: (t) => [
        t.authenticate({ ...idp.authenticateOptions(), audit: (e) => events.push(e) }),
        t.rateLimitPerToken({ limit: 10, windowMs: 60_000, store: broken }),
      ],
    }]);
    const response = await request(app).get('/orders').set('Authorization', `Bearer ${await idp.mint({ scope: 'orders:read' })}`);
    expect(response.status).toBe(503);
    expect(events.map((e) => [e.type, 'reason' in e ? e.reason : '-'])).toEqual([['authenticated', '-'], ['rejected', 'store_unavailable']]);
    expect(events[1]).toMatchObject({ status: 503, code: 'temporarily_unavailable', path: '/orders', subject: 'user-1' });
  });
});
