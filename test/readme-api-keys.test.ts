/** The README's API-key life cycle runs as written (port 3000 swapped for a free one). */
import { afterAll, describe, expect, it } from '@jest/globals';
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { freePort, waitFor } from './fixtures/net.js';

const root = fileURLToPath(new URL('../', import.meta.url));
const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
const script = fileURLToPath(new URL(`./readme-api-keys-${process.pid}.tmp.ts`, import.meta.url));
let child: ChildProcess | undefined;

afterAll(() => {
  child?.kill();
  rmSync(script, { force: true });
});

describe('README: API keys', () => {
  it('creates, rotates, revokes and lists as the comments say', async () => {
    const block = /## API keys[\s\S]*?```ts\n([\s\S]*?)```/.exec(readme)?.[1];
    expect(block).toContain('app.listen(3000)');
    const port = await freePort();
    writeFileSync(script, block!.replace('app.listen(3000)', `app.listen(${port}, '127.0.0.1')`));
    child = spawn(process.execPath, [`${root}node_modules/tsx/dist/cli.mjs`, '--tsconfig', `${root}tsconfig.test.json`, script], { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] });
    let stdout = '';
    child.stdout!.on('data', (chunk: Buffer) => { stdout += chunk.toString(); });
    const base = `http://127.0.0.1:${port}`;
    await waitFor(`${base}/orders`);
    const first = /stored nowhere: (tg_\w+)/.exec(stdout)?.[1];
    const next = /X-Api-Key: (tg_\w+)/.exec(stdout)?.[1];
    expect(first).toBeDefined();
    expect(next).toBeDefined();
    expect((await fetch(`${base}/orders`, { headers: { 'x-api-key': first! } })).status).toBe(401); // revoked
    const ok = await fetch(`${base}/orders`, { headers: { 'x-api-key': next! } });
    expect(ok.status).toBe(200);
    expect(await ok.json()).toEqual({ key: next!.split('_')[1] });
    expect(stdout).not.toMatch(/hash|salt/);
    expect(stdout).toContain("start: 'tg_");
  });
});
