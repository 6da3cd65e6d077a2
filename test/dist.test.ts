/**
 * The built packages, used as a user would: from a plain ESM script and from CommonJS.
 * `npm test` builds first, so dist/ is current.
 */
import { describe, expect, it } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const fixture = (name: string) => fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));
const run = (file: string) => execFileSync(process.execPath, [fixture(file)], { encoding: 'utf8', timeout: 20_000 }).trim().split('\n').pop();

describe('the built packages', () => {
  it('guard a route from a plain Node ESM script: valid 200, missing scope 403, no token 401', () => {
    expect(JSON.parse(run('plain-node.mjs')!)).toEqual([200, 403, 401]);
  });

  it('load with require() from CommonJS, sharing one core', () => {
    expect(JSON.parse(run('plain-node.cjs')!)).toEqual({ express: ['function', 'function'], koa: ['function', 'function'], sameErrorClass: true });
  });
});
