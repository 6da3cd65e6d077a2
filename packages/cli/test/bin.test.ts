import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { FIXTURES, golden, ROOT } from './run-cli.js';

interface Spawned { code: number; stdout: string; stderr: string }

function spawnNode(args: readonly string[], stdin = ''): Promise<Spawned> {
  return new Promise((resolve) => {
    const child = execFile(process.execPath, [...args], { cwd: ROOT, env: { ...process.env, NO_COLOR: undefined } }, (error, stdout, stderr) => {
      resolve({ code: error === null ? 0 : typeof error.code === 'number' ? error.code : -1, stdout, stderr });
    });
    child.stdin?.on('error', () => { /* the binary may stop reading early */ });
    child.stdin?.end(stdin);
  });
}

const BIN = 'packages/cli/dist/bin.js';
const tollgate = (...args: string[]) => spawnNode([BIN, ...args]);

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tollgate-bin-'));
  // The binary audits through the adapters' builds, as an installed CLI would.
  const build = await spawnNode(['node_modules/typescript/bin/tsc', '-b', 'packages/cli', 'packages/express', 'packages/koa']);
  expect(build).toMatchObject({ code: 0 });
}, 180_000);
afterAll(async () => { await rm(dir, { recursive: true, force: true }); });

describe('the built tollgate binary', () => {
  it('starts with a node shebang', async () => {
    expect((await readFile(join(ROOT, BIN), 'utf8')).split('\n')[0]).toBe('#!/usr/bin/env node');
  });

  it('audits a TypeScript module through tsx and exits 1 for --fail-on', async () => {
    const run = await tollgate('audit', `${FIXTURES}/express-router.ts`, '--export', 'router', '--format', 'json', '--fail-on', 'medium');
    expect(run.stderr).toBe('');
    expect(run.code).toBe(1);
    const report = JSON.parse(run.stdout) as { target: unknown; findings: { id: string }[] };
    expect(report.target).toEqual({ module: `${FIXTURES}/express-router.ts`, export: 'router', framework: 'express', kind: 'router' });
    expect(report.findings.map((f) => f.id)).toEqual(['write-without-replay-protection', 'write-without-rate-limit']);
  });

  it('prints the same report as the in-process program (example Koa app, json)', async () => {
    const run = await tollgate('audit', 'examples/koa-app.ts', '--allow-public', '/health', '--format', 'json');
    expect(run).toEqual({ code: 0, stdout: golden('example-koa-app.json'), stderr: '' });
  });

  it('probes a TypeScript router through tsx and the adapters\' builds, and finds the holes fixture\'s Koa case hole by request', async () => {
    const router = await tollgate('audit', `${FIXTURES}/koa-router.ts`, '--probe', '--format', 'json');
    expect(router).toMatchObject({ code: 0, stderr: '' });
    expect((JSON.parse(router.stdout) as { findings: unknown[] }).findings).toEqual([]);
    const holes = await tollgate('audit', `${FIXTURES}/koa-holes.mjs`, '--probe', '--format', 'json');
    expect(holes).toMatchObject({ code: 0, stderr: '' });
    const findings = (JSON.parse(holes.stdout) as { findings: { id: string; path: string; message: string }[] }).findings;
    expect(findings.filter((f) => f.id === 'probe-reached-protected')).toEqual([]);
    expect(findings).toContainEqual(expect.objectContaining({ id: 'probe-reached-open', path: '/api/items', message: expect.stringContaining('GET /API/ITEMS') }));
  });

  it('reads revoke --token - from its real stdin, and refuses more than a token\'s worth of it', async () => {
    const empty = await spawnNode([BIN, 'revoke', '--redis', 'redis://127.0.0.1:1', '--token', '-'], '\n');
    expect(empty).toEqual({ code: 2, stdout: '', stderr: 'tollgate: --token -: standard input holds no token\n' });
    const huge = await spawnNode([BIN, 'revoke', '--redis', 'redis://127.0.0.1:1', '--token', '-'], 'x'.repeat(70_000));
    expect(huge).toEqual({ code: 2, stdout: '', stderr: 'tollgate: --token -: standard input is longer than 65536 bytes\n' });
    // a token read from stdin goes on to Redis (here: none listening, so the write fails cleanly)
    const token = await spawnNode([BIN, 'revoke', '--redis', 'redis://127.0.0.1:1', '--token', '-'], 'a.b.c\n');
    expect(token.code).toBe(2);
    expect(token.stderr).toMatch(/^tollgate: could not revoke/);
  });

  it('exits 2 with a message, and no stack, for a missing module', async () => {
    const run = await tollgate('audit', 'missing.mjs');
    expect(run).toEqual({ code: 2, stdout: '', stderr: `tollgate: Module not found: missing.mjs (looked for ${join(ROOT, 'missing.mjs')})\n` });
  });

  it('reads routes with the @tollgate/express installed next to the audited module first', async () => {
    const app = join(dir, 'near');
    const adapter = join(app, 'node_modules', '@tollgate', 'express');
    await mkdir(adapter, { recursive: true });
    await writeFile(join(adapter, 'package.json'), JSON.stringify({ name: '@tollgate/express', type: 'module', exports: './index.js' }));
    await writeFile(join(adapter, 'index.js'), "export function describeRoutes() { return [{ method: 'GET', path: '/from-the-copy-next-to-the-app', protected: true, scopes: [], roles: [], replayProtected: false, rateLimit: [], policies: [] }]; }\n");
    // Express-shaped: the audit recognises apps by shape, without importing Express.
    await writeFile(join(app, 'app.mjs'), 'const app = () => {};\nObject.assign(app, { use() {}, handle() {}, set() {}, engine() {} });\nexport default app;\n');
    const run = await tollgate('audit', join(app, 'app.mjs'), '--format', 'json');
    expect(run.stderr).toBe('');
    expect((JSON.parse(run.stdout) as { routes: { path: string }[] }).routes.map((r) => r.path)).toEqual(['/from-the-copy-next-to-the-app']);
  });

  it("falls back to the CLI's own @tollgate/express when the module's location has none", async () => {
    const file = join(dir, 'far.mjs');
    await writeFile(file, `import express from '${pathToFileURL(join(ROOT, 'node_modules/express/index.js')).href}';\nconst app = express();\napp.get('/far', (req, res) => res.end());\nexport default app;\n`);
    const run = await tollgate('audit', file, '--format', 'json');
    expect(run.stderr).toBe('');
    expect((JSON.parse(run.stdout) as { routes: { method: string; path: string; protected: boolean }[] }).routes)
      .toEqual([expect.objectContaining({ method: 'GET', path: '/far', protected: false })]);
  });
});
