import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cli, FIXTURES, golden, ROOT } from './run-cli.js';

let dir: string;
beforeAll(async () => { dir = await mkdtemp(join(tmpdir(), 'tollgate-cli-')); });
afterAll(async () => { await rm(dir, { recursive: true, force: true }); });

interface JsonReport {
  target: { module: string; export: string; framework: string; kind: string };
  routes: { method: string; path: string; protected: boolean }[];
  findings: { id: string; severity: string }[];
}
const json = (stdout: string) => JSON.parse(stdout) as JsonReport;
const routesOf = (r: JsonReport) => r.routes.map((x) => `${x.method} ${x.path}${x.protected ? '' : ' (open)'}`);

describe('--fail-on', () => {
  it('exits 1 when a finding of a listed severity exists, 0 otherwise', async () => {
    const app = `${FIXTURES}/express-router.ts`; // two medium findings, nothing else
    expect((await cli(['audit', app, '--export', 'router', '--fail-on', 'medium'])).code).toBe(1);
    expect((await cli(['audit', app, '--export', 'router', '--fail-on', 'high,low'])).code).toBe(0);
    expect((await cli(['audit', app, '--export', 'router'])).code).toBe(0);
  });

  it('info counts only when listed', async () => {
    const args = ['audit', `${FIXTURES}/express-factory.cjs`, '--allow-public', '/ping'];
    expect((await cli([...args, '--fail-on', 'high'])).code).toBe(0);
    expect((await cli([...args, '--fail-on', 'info'])).code).toBe(1);
  });

  it('a router without findings passes every severity', async () => {
    const run = await cli(['audit', `${FIXTURES}/koa-router.ts`, '--fail-on', 'high,medium,low,info']);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('No findings.');
  });

  it('an unknown severity is a usage error (exit 2)', async () => {
    const run = await cli(['audit', `${FIXTURES}/koa-router.ts`, '--fail-on', 'critical']);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('unknown severity "critical"');
  });
});

describe('loading the module', () => {
  it('ESM: the default export, an Express app', async () => {
    const report = json((await cli(['audit', `${FIXTURES}/express-app.mjs`, '--format', 'json'])).stdout);
    expect(report.target).toEqual({ module: `${FIXTURES}/express-app.mjs`, export: 'default', framework: 'express', kind: 'app' });
  });

  it('CommonJS: module.exports is an async factory, awaited', async () => {
    const report = json((await cli(['audit', `${FIXTURES}/express-factory.cjs`, '--format', 'json'])).stdout);
    expect(report.target.kind).toBe('app');
    expect(routesOf(report)).toEqual(['GET /ping (open)', 'PUT /settings']);
  });

  it('TypeScript: a named export with --export, an Express Router', async () => {
    const report = json((await cli(['audit', `${FIXTURES}/express-router.ts`, '--export', 'router', '--format', 'json'])).stdout);
    expect(report.target).toEqual({ module: `${FIXTURES}/express-router.ts`, export: 'router', framework: 'express', kind: 'router' });
    expect(routesOf(report)).toEqual(['GET /admin/users', 'PATCH /admin/users/:id']);
  });

  it('TypeScript: a @koa/router Router as the default export', async () => {
    const report = json((await cli(['audit', `${FIXTURES}/koa-router.ts`, '--format', 'json'])).stdout);
    expect(report.target).toMatchObject({ framework: 'koa', kind: 'router' });
    expect(routesOf(report)).toEqual(['GET /reports']);
  });

  it('a named export of the example apps (--export app)', async () => {
    const run = await cli(['audit', 'examples/express-app.ts', '--export', 'app', '--allow-public', '/health']);
    expect(run.stdout).toBe(golden('example-express-app.txt').replace('export default', 'export app'));
  });

  it.each([
    [['audit', 'no/such/app.js'], 'Module not found: no/such/app.js'],
    [['audit', `${FIXTURES}/express-router.ts`], `${FIXTURES}/express-router.ts has no export "default" (its exports: router); choose one with --export NAME`],
    [['audit', `${FIXTURES}/not-an-app.mjs`], `The export "default" of ${FIXTURES}/not-an-app.mjs is an object, not an Express or Koa app or router`],
    [['audit', `${FIXTURES}/not-an-app.mjs`, '--export', 'answer'], 'is a number, not an Express or Koa app or router'],
    [['audit', `${FIXTURES}/not-an-app.mjs`, '--export', 'brokenFactory'], 'failed while creating the app: no database'],
    [['audit', `${FIXTURES}/auth-options.mjs`, '--export', 'nothing'], 'has no export "nothing" (its exports: authOptions)'],
  ])('%j is exit 2: %s', async (args, message) => {
    const run = await cli(args);
    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr).toContain(message);
    expect(run.stderr).not.toMatch(/\n\s+at /); // no stack
  });

  it('a module that throws while loading is exit 2', async () => {
    const file = join(dir, 'throws.mjs');
    await writeFile(file, "throw new Error('config missing');\n");
    const run = await cli(['audit', file]);
    expect(run.code).toBe(2);
    expect(run.stderr).toBe(`tollgate: Could not load ${file}: config missing\n`);
  });
});

describe('finding the adapter', () => {
  // Resolution next to the module, then from the CLI, is tested on the spawned binary (bin.test.ts):
  // under Jest, createRequire().resolve goes through Jest's module map.
  it('an adapter that cannot be loaded is exit 2', async () => {
    const run = await cli(['audit', `${FIXTURES}/koa-app.mjs`], { importAdapter: () => Promise.reject(new Error('Cannot find package')) });
    expect(run.code).toBe(2);
    expect(run.stderr).toBe('tollgate: Auditing a Koa app needs @tollgate/koa, installed next to the app or the CLI: Cannot find package\n');
  });
});

describe('output', () => {
  it('--output writes the report to a file instead of stdout', async () => {
    const file = join(dir, 'report.md');
    const run = await cli(['audit', `${FIXTURES}/koa-app.mjs`, '--format', 'markdown', '--output', file]);
    expect(run.code).toBe(0);
    expect(run.stdout).toBe('');
    expect(await readFile(file, 'utf8')).toBe(golden('koa-app.md'));
  });

  it('colours the table on a terminal, unless NO_COLOR is set or the report goes to a file', async () => {
    const args = ['audit', `${FIXTURES}/koa-app.mjs`];
    const coloured = await cli(args, { isTTY: true });
    expect(coloured.stdout).toContain('\u001b[31;1mhigh\u001b[0m');
    expect(coloured.stdout).toContain('\u001b[31;1mOPEN\u001b[0m');
    // Without the escapes, the coloured table is the plain one.
    // eslint-disable-next-line no-control-regex
    expect(coloured.stdout.replace(/\u001b\[[0-9;]*m/g, '')).toBe(golden('koa-app.txt'));
    expect((await cli(args, { isTTY: true, env: { NO_COLOR: '1' } })).stdout).toBe(golden('koa-app.txt'));
    expect((await cli(args, { isTTY: true, env: { NO_COLOR: '' } })).stdout).toBe(golden('koa-app.txt'));
    const file = join(dir, 'table.txt');
    await cli([...args, '--output', file], { isTTY: true });
    expect(await readFile(file, 'utf8')).toBe(golden('koa-app.txt'));
    expect((await cli([...args, '--format', 'json'], { isTTY: true })).stdout).toBe(golden('koa-app.json'));
  });

  it('an unknown format is a usage error', async () => {
    const run = await cli(['audit', `${FIXTURES}/koa-app.mjs`, '--format', 'xml']);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('Allowed choices are table, json, markdown, sarif, html');
  });

  it('--help and --version exit 0 on stdout', async () => {
    const help = await cli(['audit', '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('--fail-on <severities>');
    expect(help.stdout).toContain('Exit codes: 0 done, 1 a finding matched --fail-on, 2');
    const version = await cli(['--version']);
    expect(version).toEqual({ code: 0, stdout: `${JSON.parse(await readFile(join(ROOT, 'packages/cli/package.json'), 'utf8')).version}\n`, stderr: '' });
  });
});
