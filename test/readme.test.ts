/**
 * The root README's quick starts run as written, with the example issuer swapped for a test
 * issuer on loopback and port 3000 for a free one.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { createTestIssuer, type TestIssuer } from '@tollgate/testing';
import { freePort, waitFor } from './fixtures/net.js';

const root = fileURLToPath(new URL('../', import.meta.url));
const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
const children: ChildProcess[] = [];
const scripts: string[] = [];
let idp: TestIssuer;

beforeAll(async () => { idp = await createTestIssuer({ audience: 'orders-api' }); });
afterAll(async () => {
  for (const child of children) child.kill();
  for (const script of scripts) rmSync(script, { force: true });
  await idp.close();
});

describe.each(['Express', 'Koa'])('README quick start: %s', (framework) => {
  it('protects /orders as promised, and floods no log', async () => {
    const block = new RegExp(`## Quick start: ${framework}[\\s\\S]*?\`\`\`ts\\n([\\s\\S]*?)\`\`\``).exec(readme)?.[1];
    expect(block).toContain('listen(3000)');
    const port = await freePort();
    const code = block!
      .replaceAll("'https://id.example.com/.well-known/jwks.json'", `'${idp.jwksUri}'`)
      .replaceAll("'https://id.example.com/'", `'${idp.issuer}'`)
      .replace('listen(3000)', `listen(${port}, '127.0.0.1')`);
    const script = fileURLToPath(new URL(`./readme-${framework}-${process.pid}.tmp.ts`, import.meta.url));
    scripts.push(script);
    writeFileSync(script, code);
    const child = spawn(process.execPath, [`${root}node_modules/tsx/dist/cli.mjs`, '--tsconfig', `${root}tsconfig.test.json`, script],
      { cwd: root, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NODE_ENV: 'production' } });
    children.push(child);
    let log = '';
    child.stdout!.on('data', (chunk: Buffer) => { log += chunk.toString(); });
    child.stderr!.on('data', (chunk: Buffer) => { log += chunk.toString(); });
    const base = `http://127.0.0.1:${port}`;
    await waitFor(`${base}/orders`);
    expect((await fetch(`${base}/orders`)).status).toBe(401);
    const denied = await fetch(`${base}/orders`, { headers: { authorization: `Bearer ${await idp.mint({ scope: 'orders:write' })}` } });
    expect(denied.status).toBe(403);
    if (framework === 'Express') expect(denied.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    const ok = await fetch(`${base}/orders`, { headers: { authorization: `Bearer ${await idp.mint({ scope: 'orders:read' })}` } });
    expect(ok.status).toBe(200);
    expect(await ok.json()).toEqual({ user: 'user-1' });
    const forged = await fetch(`${base}/orders`, { headers: { authorization: `Bearer ${(await idp.mint()).slice(0, -4)}AAAA` } });
    expect(forged.status).toBe(401);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(log).toBe('');   // a first run in production: refusals flood no log (README: keep errorHandler() last)
  });
});
