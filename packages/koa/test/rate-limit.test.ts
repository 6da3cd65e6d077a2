import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import type { RequestListener } from 'node:http';
import Router from '@koa/router';
import express from 'express';
import { rateLimit } from 'express-rate-limit';
import Koa3 from 'koa';
import request from 'supertest';
import { createTestIssuer, type TestIssuer } from '@tollgate/testing';
import { authenticate } from '../src/authenticate.js';
import { rateLimitPerToken } from '../src/rate-limit.js';
import { describeRateLimitScenarios } from '../../../test/fixtures/rate-limit-scenarios.js';
import { koa2Harness, koa3Harness } from '../../../test/fixtures/rate-limit-apps.js';

describeRateLimitScenarios('Koa 2', koa2Harness);
describeRateLimitScenarios('Koa 3', koa3Harness);

describe('Koa rateLimitPerToken headers', () => {
  let idp: TestIssuer;
  beforeAll(async () => { idp = await createTestIssuer(); });
  afterAll(async () => { await idp.close(); });

  it('are byte for byte what express-rate-limit 8 writes with standardHeaders "draft-8"', async () => {
    // Freeze the wall clock (only Date): both sides then compute the same reset seconds.
    jest.useFakeTimers({
      now: Date.now(),
      doNotFake: ['hrtime', 'nextTick', 'performance', 'queueMicrotask', 'setImmediate', 'clearImmediate', 'setInterval', 'clearInterval', 'setTimeout', 'clearTimeout'],
    });
    try {
      const token = await idp.mint();
      const koa = new Koa3();
      const router = new Router();
      let key = '';
      router.get('/r', authenticate(idp.authenticateOptions()), rateLimitPerToken({ limit: 2, windowMs: 90_000 }), (ctx) => {
        key = (ctx.state as { rateLimit: { key: string } }).rateLimit.key;
        ctx.body = 'ok';
      });
      koa.use(router.routes());
      const reference = express();
      reference.get('/r', rateLimit({ limit: 2, windowMs: 90_000, keyGenerator: () => key, standardHeaders: 'draft-8', legacyHeaders: false }), (_req, res) => {
        res.send('ok');
      });
      const koaApp = koa.callback();
      const send = async (app: RequestListener) => request(app).get('/r').set('Authorization', `Bearer ${token}`);
      for (const status of [200, 200, 429]) {
        const ours = await send(koaApp);
        const theirs = await send(reference as unknown as RequestListener);
        expect([ours.status, theirs.status]).toEqual([status, status]);
        const limitHeaders = (response: request.Response) => Object.entries(response.headers).filter(([h]) => h.startsWith('ratelimit') || h === 'retry-after').sort();
        expect(limitHeaders(ours)).toEqual(limitHeaders(theirs));
        expect(limitHeaders(ours).length).toBe(status === 429 ? 3 : 2);
      }
    } finally {
      jest.useRealTimers();
    }
  });
});
