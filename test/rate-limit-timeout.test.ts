/**
 * A rate-limit store that answers slowly (or never) must not hold the request: after
 * `storeTimeoutMs` it is a 503, as for the other stores, in Express 4/5 and Koa 2/3 alike.
 */
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import request from 'supertest';
import type { RateLimitStore } from '@tollgate/core';
import { createTestIssuer, type TestIssuer } from '@tollgate/testing';
import { eachFramework, type Framework } from './harness.js';

let idp: TestIssuer;
beforeAll(async () => { idp = await createTestIssuer(); });
afterAll(async () => { await idp.close(); });

/** A store whose calls never settle; init too, when asked. */
const hanging = (options: { init?: boolean } = {}): RateLimitStore => ({
  ...(options.init === true ? { init: () => new Promise<void>(() => { /* never */ }) } : {}),
  increment: () => new Promise(() => { /* never */ }),
  decrement: () => new Promise(() => { /* never */ }),
  resetKey: () => new Promise(() => { /* never */ }),
});

describe.each(eachFramework)('%s: a rate-limit store that does not answer', (_name, framework: Framework) => {
  const app = (store: RateLimitStore, passOnStoreError = false) => framework.app([
    { method: 'get', path: '/limited', guards: (t) => [t.authenticate(idp.authenticateOptions()), t.rateLimitPerToken({ limit: 5, windowMs: 60_000, store, storeTimeoutMs: 100, passOnStoreError })] },
  ]);

  it.each([['increment', {}], ['init', { init: true }]])('answers 503 with Retry-After when %s hangs', async (_what, options) => {
    // The test's own timeout is far longer: without the store timeout the request would hang past it.
    const response = await request(app(hanging(options))).get('/limited').set('Authorization', `Bearer ${await idp.mint()}`).timeout(10_000);
    expect(response.status).toBe(503);
    expect(response.headers['retry-after']).toBe('1');
  });

  it('lets the request through under passOnStoreError', async () => {
    const log = jest.spyOn(console, 'error').mockImplementation(() => {});
    try {
      const response = await request(app(hanging(), true)).get('/limited').set('Authorization', `Bearer ${await idp.mint()}`).timeout(10_000);
      expect(response.status).toBe(200);
    } finally {
      log.mockRestore();
    }
  });
});
