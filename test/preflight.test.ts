/**
 * CORS preflights, against Express 4, Express 5, Koa 2 and Koa 3. A preflight carries no token,
 * so one that reaches `authenticate` or `protect` is answered there (204) and never reaches a
 * handler, not even one registered with `all` or `use`. CORS keeps working with `cors` /
 * `@koa/cors` in front of `authenticate`, and through `protect`'s `cors` option.
 */
import type { RequestListener } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import request from 'supertest';
import express4 from 'express4';
import express5 from 'express';
import Koa2 from 'koa2';
import Koa3 from 'koa';
import Router from '@koa/router';
import cors from 'cors';
import koaCors from '@koa/cors';
import * as tollgateExpress from '@tollgate/express';
import * as tollgateKoa from '@tollgate/koa';
import { createTestIssuer, type TestIssuer } from '@tollgate/testing';

let idp: TestIssuer;
beforeAll(async () => {
  idp = await createTestIssuer();
});
afterAll(async () => {
  await idp.close();
});

const ORIGIN = 'https://app.example';

/** One app under test, and how often a handler ran. */
interface Built {
  server: RequestListener;
  reached(): number;
}

/** `front`: CORS middleware before Tollgate; `option`: handed to `protect`; `continue`: in front, passing preflights on. */
type CorsSetup = 'none' | 'front' | 'option' | 'continue';

interface Apps {
  /** `authenticate` in front of handlers registered with `all` and `use`. */
  authenticated(setup: CorsSetup): Built;
  /** `protect` over handlers registered with `all` and `use`. */
  protected(setup: CorsSetup): Built;
}

function expressApps(express: typeof express5): Apps {
  const build = (setup: CorsSetup, guard: 'authenticate' | 'protect'): Built => {
    let reached = 0;
    const app = express();
    if (setup === 'front' || setup === 'continue') app.use(cors({ origin: ORIGIN, preflightContinue: setup === 'continue' }));
    if (guard === 'authenticate') app.use(tollgateExpress.authenticate(idp.authenticateOptions()));
    app.all('/orders', (_req, res) => { reached++; res.json({ handler: 'all' }); });
    app.use((_req, res) => { reached++; res.json({ handler: 'use' }); });
    if (guard === 'protect') tollgateExpress.protect(app, { ...idp.authenticateOptions(), ...(setup === 'option' ? { cors: cors({ origin: ORIGIN }) } : {}) });
    return { server: app as unknown as RequestListener, reached: () => reached };
  };
  return { authenticated: (setup) => build(setup, 'authenticate'), protected: (setup) => build(setup, 'protect') };
}

function koaApps(Koa: typeof Koa3): Apps {
  const build = (setup: CorsSetup, guard: 'authenticate' | 'protect'): Built => {
    let reached = 0;
    const app = new Koa();
    app.silent = true;
    if (setup === 'front') app.use(koaCors({ origin: ORIGIN }));
    if (guard === 'authenticate') app.use(tollgateKoa.authenticate(idp.authenticateOptions()));
    const router = new Router();
    router.all('/orders', (ctx) => { reached++; ctx.body = { handler: 'all' }; });
    app.use(router.routes());
    app.use((ctx) => { reached++; ctx.body = { handler: 'use' }; });
    if (guard === 'protect') tollgateKoa.protect(app, { ...idp.authenticateOptions(), ...(setup === 'option' ? { cors: koaCors({ origin: ORIGIN }) } : {}) });
    return { server: app.callback() as unknown as RequestListener, reached: () => reached };
  };
  return { authenticated: (setup) => build(setup, 'authenticate'), protected: (setup) => build(setup, 'protect') };
}

const frameworks = [
  ['Express 4', expressApps(express4 as unknown as typeof express5)],
  ['Express 5', expressApps(express5)],
  ['Koa 2', koaApps(Koa2 as unknown as typeof Koa3)],
  ['Koa 3', koaApps(Koa3)],
] as const;

const preflight = (server: RequestListener, path = '/orders') => request(server).options(path)
  .set('Origin', ORIGIN).set('Access-Control-Request-Method', 'DELETE').set('Access-Control-Request-Headers', 'authorization');

/** What a browser needs from a preflight: a 2xx with the CORS grant. */
function expectGranted(response: request.Response): void {
  expect(response.status).toBe(204);
  expect(response.headers['access-control-allow-origin']).toBe(ORIGIN);
  expect(response.headers['access-control-allow-methods']).toContain('DELETE');
}

describe.each(frameworks)('%s: CORS preflights', (_name, apps: Apps) => {
  it.each(['authenticated', 'protected'] as const)('%s: a preflight is answered 204 and never reaches a handler registered with all or use', async (kind) => {
    const app = apps[kind]('none');
    for (const path of ['/orders', '/elsewhere']) {
      const response = await preflight(app.server, path);
      expect(response.status).toBe(204);
      expect(response.text).toBe('');
      expect(response.headers['access-control-allow-origin']).toBeUndefined(); // Tollgate grants no CORS by itself
    }
    expect(app.reached()).toBe(0);
    // A plain OPTIONS is no preflight: it needs a token like any other request.
    expect((await request(app.server).options('/orders')).status).toBe(401);
    expect(app.reached()).toBe(0);
    // the control case: a request with a token reaches the handler
    expect((await request(app.server).delete('/orders').set('Authorization', `Bearer ${await idp.mint()}`)).body).toEqual({ handler: 'all' });
    expect(app.reached()).toBe(1);
  });

  it('authenticate with CORS middleware in front: the browser-visible preflight succeeds, the handler never runs', async () => {
    const app = apps.authenticated('front');
    const response = await preflight(app.server);
    expectGranted(response);
    expect(response.headers['access-control-allow-headers']).toBe('authorization');
    expect(app.reached()).toBe(0);
    const actual = await request(app.server).delete('/orders').set('Origin', ORIGIN).set('Authorization', `Bearer ${await idp.mint()}`);
    expect(actual.status).toBe(200);
    expect(actual.headers['access-control-allow-origin']).toBe(ORIGIN);
  });

  it('protect with its cors option: the preflight succeeds with CORS headers, the handler never runs', async () => {
    const app = apps.protected('option');
    expectGranted(await preflight(app.server));
    expect(app.reached()).toBe(0);
    expect((await request(app.server).delete('/orders').set('Authorization', `Bearer ${await idp.mint()}`)).status).toBe(200);
    expect((await request(app.server).delete('/orders')).status).toBe(401);
  });
});

describe.each(frameworks.slice(0, 2))('%s: cors({ preflightContinue: true }) in front', (_name, apps: Apps) => {
  it('Tollgate ends the preflight with 204 and keeps the CORS headers set before it', async () => {
    const app = apps.authenticated('continue');
    const response = await preflight(app.server);
    expect(response.status).toBe(204);
    expect(response.headers['access-control-allow-origin']).toBe(ORIGIN);
    expect(app.reached()).toBe(0);
  });
});

describe('protect validates its cors option at setup', () => {
  it.each([
    ['Express', () => tollgateExpress.protect(express5(), { ...idp.authenticateOptions(), cors: 'yes' as unknown as express5.RequestHandler })],
    ['Koa', () => tollgateKoa.protect(new Koa3(), { ...idp.authenticateOptions(), cors: {} as unknown as Koa3.Middleware })],
  ])('%s', (_name, make) => {
    expect(make).toThrow(expect.objectContaining({ code: 'ERR_TOLLGATE_INVALID_OPTION' }));
  });
});
