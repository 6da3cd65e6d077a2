/**
 * `npm start`: the orders API protected by Tollgate, with the embedded dev issuer.
 * Prints ready-to-paste curl commands with freshly minted tokens, and the route report.
 * Serves Prometheus metrics on /metrics; anomaly signals are on (a failure burst blocks a client).
 *
 *   npm start                     Express on PORT (default 3000)
 *   npm start -- --koa            the Koa example instead
 *   npm start -- --check          run every printed request once, print the statuses, exit
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createTestIssuer } from '@tollgate/testing';
import { ApiKeys, MemoryApiKeyStore, tollgateMetrics, type AuthenticateOptions, type RouteDescription } from '@tollgate/core';
import { MFA } from './config.js';

const args = new Set(process.argv.slice(2));
const framework = args.has('--koa') ? 'koa' : 'express';
const check = args.has('--check');

const idp = await createTestIssuer({ audience: 'https://api.tollgate.test' });
const metrics = tollgateMetrics();
// API keys beside the JWTs: an in-memory store for the demo (RedisApiKeyStore or PostgresApiKeyStore in production).
const apiKeys = new ApiKeys({ store: new MemoryApiKeyStore() });
// Anomaly signals on: more than 5 failed authentications from one address in a minute block it
// for a minute; a token seen from more than 3 addresses is reported (see /metrics).
const auth: AuthenticateOptions = {
  ...idp.authenticateOptions(),
  apiKeys,
  audit: metrics.sink,
  anomalies: { failuresPerClient: { max: 5, windowMs: 60_000, blockMs: 60_000 }, clientsPerToken: { max: 3, windowMs: 60_000, action: 'report' } },
};

let listen: (port: number) => Server;
let routes: RouteDescription[];
if (framework === 'koa') {
  const { createApp } = await import('./koa-app.js');
  const { describeRoutes, metricsEndpoint } = await import('@tollgate/koa');
  const { default: Router } = await import('@koa/router');
  const app = createApp(auth);
  app.proxy = true; // the demo's clients are on loopback: X-Forwarded-For stands for the address a proxy saw
  app.use(new Router().get('/metrics', metricsEndpoint(metrics)).routes());
  listen = (port) => app.listen(port, '127.0.0.1');
  routes = describeRoutes(app);
} else {
  const { createApp } = await import('./express-app.js');
  const { describeRoutes, metricsEndpoint } = await import('@tollgate/express');
  const app = createApp(auth);
  app.set('trust proxy', 'loopback'); // X-Forwarded-For from loopback stands for the address a proxy saw
  app.get('/metrics', metricsEndpoint(metrics));
  listen = (port) => app.listen(port, '127.0.0.1');
  routes = describeRoutes(app);
}

function start(port: number): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = listen(port);
    server.once('listening', () => resolve(server));
    server.once('error', reject);
  });
}
const wanted = Number(process.env.PORT ?? (check ? 0 : 3000));
const server = await start(wanted).catch((error: NodeJS.ErrnoException) => {
  if (error.code !== 'EADDRINUSE') throw error;
  console.log(`Port ${wanted} is taken; using a free one.`);
  return start(0);
});
const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

const tokens = {
  reader: await idp.mint({ sub: 'alice', scope: 'orders:read' }, { expiresIn: 3600 }),
  writer: await idp.mint({ sub: 'bob', scope: 'orders:read orders:write' }, { expiresIn: 3600 }),
  writerMfa: await idp.mint({ sub: 'bob', scope: 'orders:read orders:write', acr: MFA, auth_time: Math.floor(Date.now() / 1000) }, { expiresIn: 3600 }),
  admin: await idp.mint({ sub: 'carol', scope: 'orders:read orders:write', roles: ['admin'] }, { expiresIn: 3600 }),
  expired: await idp.mint({ sub: 'alice', scope: 'orders:read' }, { expiresIn: -60 }),
  otherAudience: await idp.mint({ sub: 'alice', scope: 'orders:read', aud: 'https://another-api.example' }, { expiresIn: 3600 }),
};

const machine = await apiKeys.create({ name: 'nightly report', subject: 'svc-reports', scopes: ['orders:read'] });

const examples: { what: string; method: string; path: string; token?: string; apiKey?: string; expect: number }[] = [
  { what: 'public health check', method: 'GET', path: '/health', expect: 200 },
  { what: 'no token', method: 'GET', path: '/v1/orders', expect: 401 },
  { what: 'reader lists orders', method: 'GET', path: '/v1/orders', token: tokens.reader, expect: 200 },
  { what: 'reader may not create', method: 'POST', path: '/v1/orders', token: tokens.reader, expect: 403 },
  { what: 'writer creates an order', method: 'POST', path: '/v1/orders', token: tokens.writer, expect: 201 },
  { what: 'refund without a recent multi-factor login: step-up asked for', method: 'POST', path: '/v1/orders/1/refund', token: tokens.writer, expect: 401 },
  { what: 'refund after a multi-factor login', method: 'POST', path: '/v1/orders/1/refund', token: tokens.writerMfa, expect: 200 },
  { what: 'writer is no admin', method: 'GET', path: '/v1/admin/stats', token: tokens.writer, expect: 403 },
  { what: 'admin reads stats', method: 'GET', path: '/v1/admin/stats', token: tokens.admin, expect: 200 },
  { what: 'admin deletes an order with a one-time token', method: 'DELETE', path: '/v1/orders/1', token: tokens.admin, expect: 204 },
  { what: 'the same one-time token again: replayed', method: 'DELETE', path: '/v1/orders/1', token: tokens.admin, expect: 401 },
  { what: 'expired token', method: 'GET', path: '/v1/orders', token: tokens.expired, expect: 401 },
  { what: 'token for another audience', method: 'GET', path: '/v1/orders', token: tokens.otherAudience, expect: 401 },
  { what: 'a machine client lists orders with its API key', method: 'GET', path: '/v1/orders', apiKey: machine.key, expect: 200 },
  { what: 'the API key has no orders:write', method: 'POST', path: '/v1/orders', apiKey: machine.key, expect: 403 },
  { what: 'Prometheus metrics of every decision above', method: 'GET', path: '/metrics', expect: 200 },
];

function credentials(e: (typeof examples)[number]): Record<string, string> {
  if (e.apiKey !== undefined) return { 'X-Api-Key': e.apiKey };
  return e.token === undefined ? {} : { Authorization: `Bearer ${e.token}` };
}

// A guesser at 203.0.113.9 (as a proxy would forward it): 5 failures are answered 401, the 6th
// passes max and blocks the address, so the 7th is a 429 before any verification work.
const BURST = { from: '203.0.113.9', statuses: [401, 401, 401, 401, 401, 401, 429] };
const burstCurl = `for i in $(seq ${BURST.statuses.length}); do curl -s -o /dev/null -w '%{http_code} ' -H 'X-Forwarded-For: ${BURST.from}' -H 'Authorization: Bearer guessed.token.value' ${base}/v1/orders; done; echo`;

function curl(e: (typeof examples)[number]): string {
  const method = e.method === 'GET' ? '' : ` -X ${e.method}`;
  const body = e.method === 'POST' ? ` -H 'content-type: application/json' -d '{"item":"green tea"}'` : '';
  const header = Object.entries(credentials(e)).map(([name, value]) => ` -H '${name}: ${value}'`).join('');
  return `curl -i${method}${header}${body} ${base}${e.path}`;
}

function report(list: RouteDescription[]): string {
  const limits = (r: RouteDescription) => r.rateLimit.map((l) => `${l.limit === 'dynamic' ? 'tiered' : l.limit} per ${l.windowMs / 1000}s per ${l.key}`).join(', ') || '-';
  const stepUp = (r: RouteDescription) => r.policies.flatMap((p) => (p.kind === 'auth-level' ? [[...p.acr, p.maxAge === undefined ? '' : `<=${p.maxAge}s`].join(' ').trim()] : [])).join(', ') || '-';
  const rows = list.map((r) => [r.method, r.path, r.protected ? 'token/key' : 'OPEN', r.scopes.join(' ') || '-', r.roles.join(' ') || '-', stepUp(r), r.replayProtected ? 'yes' : '-', limits(r)]);
  const head = ['METHOD', 'PATH', 'AUTH', 'SCOPES', 'ROLES', 'STEP-UP', 'ONE-TIME', 'RATE LIMIT'];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd();
  return [line(head), ...rows.map(line)].join('\n');
}

console.log(`Tollgate demo: the ${framework === 'koa' ? 'Koa' : 'Express'} orders API on ${base}`);
console.log(`Dev issuer ${idp.issuer} (JWKS ${idp.jwksUri}), audience ${idp.audience}\n`);
console.log('Routes and what they demand:\n');
console.log(report(routes));
console.log(`\nTry these (tokens are valid for an hour; the API key ${machine.record.start}… until you stop the demo):\n`);

if (check) {
  let failed = 0;
  for (const e of examples) {
    const response = await fetch(`${base}${e.path}`, {
      method: e.method,
      headers: { ...credentials(e), 'content-type': 'application/json' },
      ...(e.method === 'POST' ? { body: JSON.stringify({ item: 'green tea' }) } : {}),
    });
    const ok = response.status === e.expect;
    if (!ok) failed++;
    console.log(`${ok ? 'ok  ' : 'FAIL'} ${response.status} ${e.method} ${e.path}  (${e.what}; expected ${e.expect})`);
  }
  for (const [i, expected] of BURST.statuses.entries()) {
    const response = await fetch(`${base}/v1/orders`, { headers: { authorization: 'Bearer guessed.token.value', 'x-forwarded-for': BURST.from } });
    const ok = response.status === expected;
    if (!ok) failed++;
    console.log(`${ok ? 'ok  ' : 'FAIL'} ${response.status} GET /v1/orders  (failure burst from ${BURST.from}, attempt ${i + 1}; expected ${expected})`);
  }
  const text = await (await fetch(`${base}/metrics`)).text();
  const burst = /tollgate_anomalies_total\{kind="failure-burst"\} 1\b/.test(text);
  if (!burst) failed++;
  console.log(`${burst ? 'ok  ' : 'FAIL'} /metrics counts the failure burst (tollgate_anomalies_total{kind="failure-burst"} 1)`);
  server.close();
  await idp.close();
  process.exitCode = failed === 0 ? 0 : 1;
} else {
  for (const e of examples) console.log(`# ${e.what} (expect ${e.expect})\n${curl(e)}\n`);
  console.log(`# a failure burst: a guesser from ${BURST.from} is blocked (expect ${BURST.statuses.join(' ')}; then see tollgate_anomalies_total on /metrics)\n${burstCurl}\n`);
  console.log('Press Ctrl+C to stop.');
  const stop = () => {
    server.close();
    void idp.close().then(() => process.exit(0));
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}
