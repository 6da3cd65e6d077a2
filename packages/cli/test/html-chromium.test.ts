/**
 * The HTML report opened as a reviewer opens it: in headless Chromium (Debian's package, which
 * .ci/run installs), after its inline script ran, with every route of the example app in a row.
 */
import { afterAll, describe, expect, it } from '@jest/globals';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { cli } from './run-cli.js';

const run = promisify(execFile);
const dir = mkdtempSync(join(tmpdir(), 'tollgate-html-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The DOM after load, as Chromium renders it (the flags keep it off the network). */
async function renderedDom(file: string): Promise<string> {
  const { stdout } = await run('chromium', [
    '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
    '--disable-component-update', '--disable-sync', `--user-data-dir=${join(dir, 'profile')}`, '--dump-dom', `file://${file}`,
  ], { timeout: 60_000, maxBuffer: 10 * 1024 * 1024 });
  return stdout;
}

describe('the HTML report in headless Chromium', () => {
  it('shows a row for every route of the example app, and its findings', async () => {
    const file = join(dir, 'report.html');
    const result = await cli(['audit', 'examples/express-app.ts', '--format', 'html', '--output', file]);
    expect(result.code).toBe(0);
    const dom = await renderedDom(file);
    const rows = [...dom.matchAll(/<tr\b[^>]*>([\s\S]*?)<\/tr>/g)].map((m) => m[1]!.replace(/<[^>]+>/g, ' ').replace(/\s+/g, ' ').trim());
    for (const route of ['GET /health', 'GET /v1/orders', 'GET /v1/orders/:id', 'POST /v1/orders', 'DELETE /v1/orders/:id', 'GET /v1/admin/stats']) {
      const [method, path] = route.split(' ') as [string, string];
      expect(rows.some((row) => row.startsWith(`${method} ${path} `) || row === `${method} ${path}`)).toBe(true);
    }
    expect(dom).toContain('unprotected-route');
  }, 90_000);
});
