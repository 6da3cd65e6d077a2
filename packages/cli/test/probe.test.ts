/**
 * `tollgate audit --probe`: the static report's claims checked by real requests. The first block
 * is the CI gate of this project: over every example app and fixture, no route the report calls
 * protected is reached by a request without a token, and no CORS preflight reaches the handler
 * of a protected route.
 */
import { describe, expect, it } from '@jest/globals';
import express from 'express';
import express4 from 'express4';
import Koa3 from 'koa';
import Koa2 from 'koa2';
import Router from '@koa/router';
import { attachPolicy, readPolicy, type PolicyDescriptor } from '@tollgate/core';
import * as tollgateExpress from '@tollgate/express';
import * as tollgateKoa from '@tollgate/koa';
import { probeFindings, runProbe, type Finding } from '@tollgate/cli';
import { cli, FIXTURES } from './run-cli.js';

// Never fetched: no request of the probe carries a token.
const auth = { issuer: 'https://id.tollgate.test/', audience: 'orders-api', jwksUri: 'http://127.0.0.1:9/jwks.json', algorithms: ['RS256' as const] };

interface JsonReport { routes: { method: string; path: string; protected: boolean }[]; findings: Finding[] }

async function probed(args: readonly string[]): Promise<JsonReport> {
  const run = await cli(['audit', ...args, '--probe', '--format', 'json']);
  expect(run.stderr).toBe('');
  expect(run.code).toBe(0);
  return JSON.parse(run.stdout) as JsonReport;
}

const named = (report: JsonReport, id: string) => report.findings.filter((f) => f.id === id).map((f) => `${f.method} ${f.path}: ${f.message}`);

const TARGETS: readonly (readonly string[])[] = [
  ['examples/express-app.ts'],
  ['examples/koa-app.ts'],
  [`${FIXTURES}/express-app.mjs`],
  [`${FIXTURES}/koa-app.mjs`],
  [`${FIXTURES}/express-factory.cjs`],
  [`${FIXTURES}/express-router.ts`, '--export', 'router'],
  [`${FIXTURES}/koa-router.ts`],
  [`${FIXTURES}/express-holes.mjs`],
  [`${FIXTURES}/koa-holes.mjs`],
];

describe.each(TARGETS.map((args) => [args.join(' '), args] as const))('the probe agrees with the report: %s', (_name, args) => {
  it('no request without a token reaches a route the report calls protected', async () => {
    expect(named(await probed(args), 'probe-reached-protected')).toEqual([]);
  });

  // Red until the runtime fix of issue 14 lands (a preflight must never reach a handler).
  it('no CORS preflight reaches the handler of a protected route', async () => {
    expect(named(await probed(args), 'probe-preflight-reached')).toEqual([]);
  });
});

describe('the probe sends real requests', () => {
  it('reaches the open routes of the holes fixtures, which the report calls open', async () => {
    expect(named(await probed([`${FIXTURES}/express-holes.mjs`]), 'probe-reached-open').map((f) => f.split(':')[0])).toEqual(['GET /files/*path', 'GET /admin/users', 'GET /forgiven/x', '* /legacy']);
    expect(named(await probed([`${FIXTURES}/koa-holes.mjs`]), 'probe-reached-open').map((f) => f.split(':')[0])).toEqual(['GET /files/*path', 'GET /admin/users', 'GET /api/items', '* /']);
    // The Koa router.use() guard under a prefix is case-sensitive: only the upper-case spelling passes it by.
    expect(named(await probed([`${FIXTURES}/koa-holes.mjs`]), 'probe-reached-open')).toContain('GET /api/items: A request without a token (GET /API/ITEMS) reached this route\'s handler, as the report says.');
  });
});

/** A middleware that claims to be an `authenticate` but lets everything through: a report the probe must catch. */
function lyingGuard<F extends object>(fn: F): F {
  const descriptor = readPolicy(tollgateExpress.authenticate(auth)) as PolicyDescriptor;
  return attachPolicy(fn, descriptor);
}

interface Case {
  use(path: string, ...fns: unknown[]): void;
  probe(): ReturnType<typeof tollgateExpress.probeRoutes>;
  /** A lying guard, the real authenticate, and a path the probe cannot fill. */
  lying: unknown;
  authenticate: unknown;
  optional: string;
}

function expressCase(app: express.Express, optional: string): Case {
  return {
    use: (path, ...fns) => { app.get(path, ...(fns as express.RequestHandler[])); },
    probe: () => tollgateExpress.probeRoutes(app),
    lying: lyingGuard((_req: unknown, _res: unknown, next: () => void) => next()),
    authenticate: tollgateExpress.authenticate(auth),
    optional,
  };
}

function koaCase(Koa: typeof Koa3): Case {
  const app = new Koa();
  const router = new Router();
  app.use(tollgateKoa.errorHandler());
  app.use(router.routes());
  return {
    use: (path, ...fns) => { router.get(path, ...(fns as Parameters<typeof router.get>[1][])); },
    probe: () => tollgateKoa.probeRoutes(app),
    lying: lyingGuard((_ctx: unknown, next: () => Promise<void>) => next()),
    authenticate: tollgateKoa.authenticate(auth),
    optional: '/legacy{/:id}',
  };
}

describe.each([
  ['Express 4', () => expressCase(express4() as unknown as express.Express, '/legacy/:id?')],
  ['Express 5', () => expressCase(express(), '/legacy{/:id}')],
  ['Koa 2', () => koaCase(Koa2 as unknown as typeof Koa3)],
  ['Koa 3', () => koaCase(Koa3)],
] as const)('%s: probeRoutes and runProbe', (_name, build: () => Case) => {
  it('reports a route the report calls protected that a request without a token reaches', async () => {
    const c = build();
    let ran = 0;
    c.use('/orders', c.lying, () => { ran++; });
    c.use('/ok', c.authenticate, () => { ran++; });
    const target = c.probe();
    expect(target.routes.map((r) => r.protected)).toEqual([true, true]);
    const findings = probeFindings(target.routes, await runProbe(target));
    expect(findings.map((f) => `${f.severity} ${f.id} ${f.method} ${f.path}`)).toEqual(['high probe-reached-protected GET /orders']);
    expect(ran).toBe(0);
  });

  it('never runs the app\'s handlers, and says when it cannot build a URL', async () => {
    const c = build();
    let ran = 0;
    c.use('/open/:id', () => { ran++; });
    c.use(c.optional, () => { ran++; });
    const target = c.probe();
    const result = await runProbe(target);
    expect(result.probes[0]?.plain).toMatchObject({ method: 'GET', url: '/open/probe', status: 200, reached: [0] });
    expect(probeFindings(target.routes, result).map((f) => `${f.id} ${f.path}`)).toEqual(['probe-reached-open /open/:id', `probe-not-sent ${c.optional}`]);
    expect(ran).toBe(0);
  });
});

describe.each([
  ['Express 4', express4 as unknown as typeof express],
  ['Express 5', express],
] as const)('%s: the probe and param callbacks', (_name, framework) => {
  it('runs no param callback of the app, of the route\'s router or of its mount path', async () => {
    let ran = 0;
    const app = framework();
    const tenant = framework.Router();
    tenant.param('invoiceId', (_req, _res, next) => { ran++; next(); });
    tenant.get('/invoices/:invoiceId', () => { ran++; });
    app.param('tenantId', (_req, _res, next) => { ran++; next(); });
    app.use('/tenants/:tenantId', tenant);
    const target = tollgateExpress.probeRoutes(app);
    const result = await runProbe(target);
    expect(result.probes[0]?.plain).toMatchObject({ url: '/tenants/probe/invoices/probe', reached: [0] });
    expect(ran).toBe(0);
  });
});
