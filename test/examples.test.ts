/** The demo a new user runs first, and the route report of the example apps. */
import { describe, expect, it } from '@jest/globals';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describeRoutes as describeExpress } from '@tollgate/express';
import { describeRoutes as describeKoa } from '@tollgate/koa';
import { createApp as createExpressApp } from '../examples/express-app.js';
import { createApp as createKoaApp } from '../examples/koa-app.js';

const run = promisify(execFile);
const auth = { issuer: 'http://127.0.0.1:9', audience: 'https://api.tollgate.test', jwksUri: 'http://127.0.0.1:9/jwks.json' };

const expected = [
  ['GET', '/health', false, [], [], false, 0],
  ['GET', '/v1/orders', true, ['orders:read'], [], false, 1],
  ['GET', '/v1/orders/:id', true, ['orders:read'], [], false, 1],
  ['POST', '/v1/orders', true, ['orders:write'], [], false, 1],
  ['POST', '/v1/orders/:id/refund', true, ['orders:write'], [], false, 1],
  ['DELETE', '/v1/orders/:id', true, ['orders:write'], ['admin'], true, 1],
  ['GET', '/v1/admin/stats', true, [], ['admin'], false, 1],
];

describe('the example apps', () => {
  it.each([
    ['Express', () => describeExpress(createExpressApp(auth))],
    ['Koa', () => describeKoa(createKoaApp(auth))],
  ])('%s: describeRoutes lists every route with what it demands and flags the open one', (_name, describe) => {
    expect(describe().map((r) => [r.method, r.path, r.protected, r.scopes, r.roles, r.replayProtected, r.rateLimit.length])).toEqual(expected);
  });

  it.each([[[]], [['--koa']]])('npm start %j: every printed request gets the status it promises', async (extra) => {
    const tsx = new URL('../node_modules/.bin/tsx', import.meta.url).pathname;
    const { stdout } = await run(tsx, ['examples/demo.ts', '--check', ...extra], { cwd: new URL('..', import.meta.url).pathname, timeout: 60_000 });
    expect(stdout).toContain('OPEN');
    expect(stdout).not.toContain('FAIL');
    expect(stdout).toMatch(/POST\s+\/v1\/orders\/:id\/refund\s+token\/key\s+orders:write\s+-\s+urn:tollgate:acr:mfa <=300s/);
    expect(stdout.match(/^ok /gm)).toHaveLength(24);
    expect(stdout).toMatch(/^ok {3}200 GET \/v1\/orders {2}\(a machine client lists orders with its API key/m);
  });
});
