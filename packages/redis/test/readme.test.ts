/**
 * The README's examples run as written, against the real Redis: the ioredis one as an app in a
 * child process (the example issuer swapped for a test issuer, port 3000 for a free one), the
 * node-redis one imported as the module it is.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Redis } from 'ioredis';
import { decodeJwt } from 'jose';
import { revocationKey, revoke } from '@tollgate/core';
import { createTestIssuer, type TestIssuer } from '@tollgate/testing';
import { RedisRevocationStore } from '../src/revocation-store.js';
import type { RedisNonceStore } from '../src/nonce-store.js';
import { closedPort } from './tcp-proxy.js';
import { ioredisClient, REDIS_URL } from './clients.js';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
const block = (heading: string): string => {
  const code = new RegExp(`## ${heading}[\\s\\S]*?\`\`\`ts\\n([\\s\\S]*?)\`\`\``).exec(readme)?.[1];
  if (code === undefined) throw new Error(`README: no ts block under "## ${heading}"`);
  return code;
};

let idp: TestIssuer;
let redis: Redis;
const written: string[] = [];
const files: string[] = [];
let child: ChildProcess | undefined;

beforeAll(async () => {
  idp = await createTestIssuer({ audience: 'orders-api' });
  redis = await ioredisClient();
});
afterAll(async () => {
  child?.kill();
  for (const file of files) rmSync(file, { force: true });
  if (written.length > 0) await redis.del(...written);
  await redis.quit();
  await idp.close();
});

async function waitFor(url: string): Promise<void> {
  for (let i = 0; i < 200; i += 1) {
    try {
      await fetch(url, { method: 'HEAD' });
      return;
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
  throw new Error(`${url} never answered`);
}

describe('README', () => {
  it('ioredis: the app refuses a replayed and a revoked token, as shared through Redis', async () => {
    const port = await closedPort();
    const code = block('With ioredis')
      .replaceAll("'https://id.example.com/.well-known/jwks.json'", `'${idp.jwksUri}'`)
      .replaceAll("'https://id.example.com/'", `'${idp.issuer}'`)
      .replace('app.listen(3000)', `app.listen(${port}, '127.0.0.1')`);
    expect(code).toContain(`'${idp.issuer}'`);
    const script = fileURLToPath(new URL(`./readme-ioredis-${process.pid}.tmp.ts`, import.meta.url));
    files.push(script);
    writeFileSync(script, code);
    child = spawn(process.execPath, [`${root}node_modules/tsx/dist/cli.mjs`, '--tsconfig', `${root}tsconfig.test.json`, script], {
      cwd: root, stdio: 'ignore', env: { ...process.env, REDIS_URL },
    });
    const url = `http://127.0.0.1:${port}/orders/1`;
    await waitFor(url);
    const del = (token: string) => fetch(url, { method: 'DELETE', headers: { authorization: `Bearer ${token}` } });

    const once = await idp.mint();
    written.push(`tollgate:nonce:jti:${idp.issuer}|${String(decodeJwt(once).jti)}`);
    expect((await del(once)).status).toBe(204);
    const replayed = await del(once);
    expect(replayed.status).toBe(401);
    expect(replayed.headers.get('www-authenticate')).toContain('error_description="The access token was already used"');

    // Revoked by another process (here, the test) through the same Redis.
    const stolen = await idp.mint();
    written.push(`tollgate:{revoked}:${revocationKey('jti', String(decodeJwt(stolen).jti), idp.issuer)}`);
    await revoke(new RedisRevocationStore({ client: redis }), { token: stolen });
    const revoked = await del(stolen);
    expect(revoked.status).toBe(401);
    expect(revoked.headers.get('www-authenticate')).toContain('revoked');
  });

  it('node-redis: the module connects and its stores work', async () => {
    const module = fileURLToPath(new URL(`./readme-node-redis-${process.pid}.tmp.ts`, import.meta.url));
    files.push(module);
    writeFileSync(module, block('With node-redis'));
    const { redis: client, nonces } = (await import(module)) as { redis: { quit(): Promise<unknown> }; nonces: RedisNonceStore };
    try {
      const key = `tollgate-test:${randomUUID()}`;
      written.push(`tollgate:nonce:${key}`);
      await expect(nonces.claim(key, 10_000)).resolves.toBe(true);
      await expect(nonces.claim(key, 10_000)).resolves.toBe(false);
    } finally {
      await client.quit();
    }
  });
});
