import { describe, expect, it } from '@jest/globals';
import { cli, FIXTURES, golden, goldenFor } from './run-cli.js';

const FORMATS = [
  ['json', 'json'],
  ['markdown', 'md'],
  ['sarif', 'sarif.json'],
  ['table', 'txt'],
  ['html', 'html'],
] as const;

describe('golden reports of the fixture apps', () => {
  describe.each([
    ['express-app', [`${FIXTURES}/express-app.mjs`, '--allow-public', '/status']],
    ['koa-app', [`${FIXTURES}/koa-app.mjs`]],
    ['express-holes', [`${FIXTURES}/express-holes.mjs`]],
    ['koa-holes', [`${FIXTURES}/koa-holes.mjs`]],
  ])('%s', (name, args) => {
    it.each(FORMATS)('--format %s matches its .%s golden', async (format, ext) => {
      const run = await cli(['audit', ...args, '--format', format]);
      expect(run.stderr).toBe('');
      expect(run.code).toBe(0);
      expect(run.stdout).toBe(goldenFor(`${name}.${ext}`, run.stdout));
    });
  });

  it('table is the default format, without colour when stdout is not a terminal', async () => {
    const run = await cli(['audit', `${FIXTURES}/koa-app.mjs`]);
    expect(run.stdout).toBe(golden('koa-app.txt'));
    expect(run.stdout).not.toContain('\u001b[');
  });
});

describe('golden reports of the example apps', () => {
  describe.each(['express', 'koa'])('examples/%s-app.ts', (framework) => {
    it.each(FORMATS)('--format %s matches its .%s golden', async (format, ext) => {
      const run = await cli(['audit', `examples/${framework}-app.ts`, '--allow-public', '/health', '--format', format]);
      expect(run.code).toBe(0);
      expect(run.stdout).toBe(goldenFor(`example-${framework}-app.${ext}`, run.stdout));
    });
  });

  it('the Express and Koa examples describe the same routes and findings', async () => {
    const [express, koa] = await Promise.all(['express', 'koa'].map(async (f) => JSON.parse((await cli(['audit', `examples/${f}-app.ts`, '--format', 'json'])).stdout) as { routes: unknown[]; findings: unknown[] }));
    expect(koa?.routes).toEqual(express?.routes);
    expect(koa?.findings).toEqual(express?.findings);
  });
});
