/** The README's quick start runs as written: the same code, on a free port instead of 3000. */
import { afterAll, describe, expect, it } from '@jest/globals';
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
const script = fileURLToPath(new URL(`./quick-start-${process.pid}.tmp.ts`, import.meta.url));
let child: ChildProcess | undefined;

afterAll(() => {
  child?.kill();
  rmSync(script, { force: true });
});

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address !== null ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

/** Runs the script with tsx (sources through tsconfig paths) and resolves with its first line of output. */
function run(path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    child = spawn(process.execPath, [`${root}node_modules/tsx/dist/cli.mjs`, '--tsconfig', `${root}tsconfig.test.json`, path], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      out += String(chunk);
      if (out.includes('\n')) resolve(out.split('\n', 1)[0]!);
    });
    child.stderr?.on('data', (chunk: Buffer) => { err += String(chunk); });
    child.on('exit', (code) => reject(new Error(`quick start exited with ${String(code)}: ${err}`)));
  });
}

describe('README quick start', () => {
  it('serves /health openly and /orders only with a token granting orders:read', async () => {
    const block = /## Quick start[\s\S]*?```ts\n([\s\S]*?)```/.exec(readme)?.[1];
    expect(block).toContain('listen(3000)');
    const port = await freePort();
    writeFileSync(script, block!.replaceAll('3000', String(port)));
    const line = await run(script);
    const [, token, url] = /Bearer (\S+)" (\S+)$/.exec(line) ?? [];
    expect(url).toBe(`http://localhost:${port}/orders`);
    const base = `http://127.0.0.1:${port}`;
    expect((await fetch(`${base}/health`)).status).toBe(200);
    expect((await fetch(`${base}/orders`)).status).toBe(401);
    const ok = await fetch(`${base}/orders`, { headers: { Authorization: `Bearer ${token}` } });
    expect(ok.status).toBe(200);
    expect(await ok.json()).toEqual({ user: 'user-1' });
  });
});
