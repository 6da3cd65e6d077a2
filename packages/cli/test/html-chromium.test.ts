/**
 * The HTML report opened as a reviewer opens it: in headless Chromium (Debian's package when it is
 * installed, otherwise the one `@sparticuz/chromium` ships in its npm tarball), after its inline
 * script ran, with every route of the example app in a row.
 */
import { afterAll, describe, expect, it } from '@jest/globals';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cli } from './run-cli.js';
import { findChromium, renderedDom } from './headless-chromium.js';

const dir = mkdtempSync(join(tmpdir(), 'tollgate-html-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('the HTML report in headless Chromium', () => {
  it('shows a row for every route of the example app, and its findings', async () => {
    const file = join(dir, 'report.html');
    const result = await cli(['audit', 'examples/express-app.ts', '--format', 'html', '--output', file]);
    expect(result.code).toBe(0);
    const dom = await renderedDom(await findChromium(), file, join(dir, 'profile'));
    const rows = [...dom.matchAll(/<tr\b[^>]*>([\s\S]*?)<\/tr>/g)].map((m) => m[1]!.replace(/<[^>]+>/g, ' ').replace(/\s+/g, ' ').trim());
    for (const route of ['GET /health', 'GET /v1/orders', 'GET /v1/orders/:id', 'POST /v1/orders', 'DELETE /v1/orders/:id', 'GET /v1/admin/stats']) {
      const [method, path] = route.split(' ') as [string, string];
      expect(rows.some((row) => row.startsWith(`${method} ${path} `) || row === `${method} ${path}`)).toBe(true);
    }
    expect(dom).toContain('unprotected-route');
  }, 120_000);

});
