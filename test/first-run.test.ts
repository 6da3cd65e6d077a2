/**
 * The quick starts on their first run, as a newcomer runs them: a real Express app (4 and 5) with
 * NODE_ENV production and development (Jest's own `test` makes Express keep quiet, so it is
 * replaced here), bad tokens of every kind, and everything written to the log captured.
 * Without `errorHandler()` Express's final handler logs each refusal: one line, never a stack
 * trace (the `jose` cause behind a forged token included). With it, nothing is logged at all and
 * the answer is problem+json. Koa never logs an error that is `expose`d.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it, jest } from '@jest/globals';
import type { RequestListener } from 'node:http';
import { format } from 'node:util';
import express4 from 'express4';
import express5 from 'express';
import Koa3 from 'koa';
import Koa2 from 'koa2';
import Router from '@koa/router';
import request from 'supertest';
import { SignJWT } from 'jose';
import * as tollgateExpress from '@tollgate/express';
import * as tollgateKoa from '@tollgate/koa';
import { createTestIssuer, type TestIssuer } from '@tollgate/testing';

let idp: TestIssuer;
beforeAll(async () => { idp = await createTestIssuer(); });
afterAll(async () => { await idp.close(); });

const savedEnv = process.env.NODE_ENV;
afterEach(() => {
  process.env.NODE_ENV = savedEnv;
  jest.restoreAllMocks();
});

/** Everything the app writes through console.error/warn/log and to stderr, as Node would print it. */
function captureLog(): string[] {
  const lines: string[] = [];
  for (const method of ['error', 'warn', 'log'] as const) {
    jest.spyOn(console, method).mockImplementation((...args: unknown[]) => { lines.push(format(...args)); });
  }
  jest.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
    lines.push(String(chunk));
    return true;
  });
  return lines;
}

/** Express's final handler logs on a later turn of the event loop than the answer: wait for it. */
const settle = () => new Promise((resolve) => setTimeout(resolve, 20));

const STACK_FRAME = /^\s+at .+/m;
const UNREACHABLE_JWKS = 'http://127.0.0.1:1/.well-known/jwks.json';

/** One request of each refusal the pipeline makes, with the status it must get. */
async function badRequests(): Promise<Array<{ what: string; path: string; token?: string; status: number }>> {
  const forged = await new SignJWT({ sub: 'mallory', iss: idp.issuer, aud: idp.audience, exp: Math.floor(Date.now() / 1000) + 60 })
    .setProtectedHeader({ alg: 'RS256', kid: idp.jwks().keys[0]!.kid! })
    .sign(await idp.foreignKey());
  const limited = await idp.mint({ scope: 'orders:read' });
  return [
    { what: 'no token', path: '/orders', status: 401 },
    { what: 'malformed token', path: '/orders', token: 'not.a.jwt', status: 401 },
    { what: 'forged signature (a jose cause with a stack)', path: '/orders', token: forged, status: 401 },
    { what: 'expired', path: '/orders', token: await idp.mint({ exp: Math.floor(Date.now() / 1000) - 3600 }), status: 401 },
    { what: 'missing scope', path: '/orders', token: await idp.mint({ scope: 'profile' }), status: 403 },
    { what: 'within the limit', path: '/orders', token: limited, status: 200 },
    { what: 'over the limit', path: '/orders', token: limited, status: 429 },
    { what: 'key source unreachable (a fetch cause with a stack)', path: '/unreachable', token: await idp.mint(), status: 503 },
  ];
}

type Express = typeof express5;

function expressApp(express: Express, withErrorHandler: boolean): RequestListener {
  const { authenticate, errorHandler, rateLimitPerToken, requireScopes } = tollgateExpress;
  const app = express();
  app.get('/orders', authenticate(idp.authenticateOptions()), requireScopes('orders:read'),
    rateLimitPerToken({ limit: 1, windowMs: 60_000 }), (_req, res) => { res.json({ ok: true }); });
  app.get('/unreachable', authenticate({ ...idp.authenticateOptions(), jwksUri: UNREACHABLE_JWKS }), (_req, res) => { res.json({ ok: true }); });
  if (withErrorHandler) app.use(errorHandler());
  return app as unknown as RequestListener;
}

describe.each([['Express 4', express4 as unknown as Express], ['Express 5', express5]])('%s quick start, first run', (_name, express) => {
  describe.each(['production', 'development'])('NODE_ENV=%s', (env) => {
    it('without errorHandler(): each refusal is at most one log line, never a stack trace, never the token', async () => {
      process.env.NODE_ENV = env;
      const app = expressApp(express, false);
      const log = captureLog();
      for (const bad of await badRequests()) {
        const before = log.length;
        const call = request(app).get(bad.path);
        const response = await (bad.token === undefined ? call : call.set('Authorization', `Bearer ${bad.token}`));
        expect([bad.what, response.status]).toEqual([bad.what, bad.status]);
        expect(response.text).not.toMatch(STACK_FRAME);
        await settle();
        const written = log.slice(before).join('');
        expect([bad.what, written]).not.toEqual([bad.what, expect.stringMatching(STACK_FRAME)]);
        expect(written.trim().split('\n').length).toBeLessThanOrEqual(1);
        if (bad.token !== undefined) expect(written).not.toContain(bad.token);
      }
      expect(log.join('')).toContain('TollgateError'); // Express did log: the test saw its final handler at work
    });

    it('with errorHandler() last, as the README ends: problem+json and nothing in the log', async () => {
      process.env.NODE_ENV = env;
      const app = expressApp(express, true);
      const log = captureLog();
      for (const bad of await badRequests()) {
        const call = request(app).get(bad.path);
        const response = await (bad.token === undefined ? call : call.set('Authorization', `Bearer ${bad.token}`));
        expect([bad.what, response.status]).toEqual([bad.what, bad.status]);
        if (bad.status !== 200) expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
        await settle();
        expect([bad.what, log]).toEqual([bad.what, []]);
      }
    });
  });
});

describe.each([['Koa 2', Koa2], ['Koa 3', Koa3]])('%s quick start, first run', (_name, Koa) => {
  it.each(['production', 'development'])('NODE_ENV=%s: refusals reach no log (they are exposed errors)', async (env) => {
    process.env.NODE_ENV = env;
    const { authenticate, rateLimitPerToken, requireScopes } = tollgateKoa;
    const router = new Router();
    router.get('/orders', authenticate(idp.authenticateOptions()), requireScopes('orders:read'),
      rateLimitPerToken({ limit: 1, windowMs: 60_000 }), (ctx) => { ctx.body = { ok: true }; });
    router.get('/unreachable', authenticate({ ...idp.authenticateOptions(), jwksUri: UNREACHABLE_JWKS }), (ctx) => { ctx.body = { ok: true }; });
    const app = new Koa().use(router.routes());
    const log = captureLog();
    for (const bad of await badRequests()) {
      const call = request(app.callback()).get(bad.path);
      const response = await (bad.token === undefined ? call : call.set('Authorization', `Bearer ${bad.token}`));
      expect([bad.what, response.status]).toEqual([bad.what, bad.status]);
      await settle();
    }
    expect(log).toEqual([]);
  });
});
