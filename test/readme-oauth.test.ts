/**
 * The README's introspection and step-up examples run as written, on Express, with the example
 * authorization server swapped for the real one on loopback (oidc-provider) and the test issuer.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { RequestListener } from 'node:http';
import request from 'supertest';
import { createTestIssuer, type TestIssuer } from '@tollgate/testing';
import { startOAuthServer, type OAuthServer } from './fixtures/oauth-server.js';
import { makeCertificate } from './fixtures/certificates.js';
import type { Server } from 'node:https';
import type { AddressInfo } from 'node:net';

const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
const scripts: string[] = [];
const servers: Server[] = [];
let as: OAuthServer;
let idp: TestIssuer;

beforeAll(async () => {
  as = await startOAuthServer();
  idp = await createTestIssuer();
});
afterAll(async () => {
  for (const script of scripts) rmSync(script, { force: true });
  for (const server of servers) server.closeAllConnections();
  await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
  await as.close();
  await idp.close();
});

function block(heading: string): string {
  const code = new RegExp(`## ${heading}[^\\n]*\\n+\`\`\`ts\\n([\\s\\S]*?)\`\`\``).exec(readme)?.[1];
  if (code === undefined) throw new Error(`no example under "${heading}"`);
  return code;
}

/** Writes an Express app around the README's lines and imports it. */
async function appOf(name: string, prelude: string, code: string, routes = '', exports = ''): Promise<RequestListener> {
  const script = fileURLToPath(new URL(`./readme-${name}-${process.pid}.tmp.ts`, import.meta.url));
  scripts.push(script);
  writeFileSync(script, [
    "import express from 'express';",
    "import https from 'node:https';",
    "import { authenticate, requireAuthLevel, requireScopes } from '@tollgate/express';",
    'export const app = express();',
    prelude, code, routes, exports,
  ].join('\n'));
  const module = (await import(pathToFileURL(script).href)) as { app: RequestListener; server?: Server };
  if (module.server !== undefined) servers.push(module.server);
  return module.app;
}

describe('README: OAuth beyond self-contained JWTs', () => {
  it('the introspection example accepts the server\'s opaque tokens and JWTs side by side', async () => {
    const code = block('Opaque tokens: introspection')
      .replace("clientId: 'orders-api'", `clientId: ${JSON.stringify(as.resourceServer.clientId)}`)
      .replace("audience: 'orders-api'", `audience: ${JSON.stringify(as.audience)}`)
      .replace("'https://id.example.com/oauth2/introspect'", JSON.stringify(as.introspectionEndpoint))
      .replace("'https://id.example.com/.well-known/jwks.json'", JSON.stringify(idp.jwksUri))
      .replace("'https://id.example.com/'", JSON.stringify(as.issuer));
    process.env.INTROSPECTION_SECRET = as.resourceServer.clientSecret;
    const app = await appOf('introspection', '', code, "app.get('/orders', requireScopes('orders:read'), (_req, res) => { res.json({ ok: true }); });");
    expect((await request(app).get('/orders').set('Authorization', `Bearer ${await as.issue('orders:read')}`)).status).toBe(200);
    const jwt = await idp.mint({ iss: as.issuer, aud: as.audience, scope: 'orders:read' });
    expect((await request(app).get('/orders').set('Authorization', `Bearer ${jwt}`)).status).toBe(200);
    expect((await request(app).get('/orders').set('Authorization', 'Bearer unknown-opaque-token')).status).toBe(401);
  });

  it('the step-up example answers with the challenge its comment shows', async () => {
    const code = block('Step-up authentication');
    const promised = /\/\/ 401 WWW-Authenticate: (.*)\n\/\/\s+(.*)\n/.exec(code);
    const prelude = [
      `const options = ${JSON.stringify(idp.authenticateOptions())} as const;`,
      'const pay = (_req: express.Request, res: express.Response) => { res.json({ paid: true }); };',
    ].join('\n');
    const app = await appOf('step-up', prelude, code);
    const weak = await request(app).post('/payments').set('Authorization', `Bearer ${await idp.mint({ scope: 'payments:write', acr: 'urn:example:acr:pwd', auth_time: Math.floor(Date.now() / 1000) })}`);
    expect(weak.status).toBe(401);
    expect(weak.headers['www-authenticate']).toBe(`${promised![1]} ${promised![2]}`);
    const strong = await request(app).post('/payments').set('Authorization', `Bearer ${await idp.mint({ scope: 'payments:write', acr: 'urn:example:acr:mfa', auth_time: Math.floor(Date.now() / 1000) })}`);
    expect(strong.status).toBe(200);
  });

  it('the certificate-bound example accepts the bound certificate and refuses another one', async () => {
    const [serverCert, alice, mallory] = [makeCertificate('127.0.0.1'), makeCertificate('alice'), makeCertificate('mallory')];
    const prelude = [
      `const options = ${JSON.stringify(idp.authenticateOptions())};`,
      `const key = ${JSON.stringify(serverCert.key)};`,
      `const cert = ${JSON.stringify(serverCert.cert)};`,
    ].join('\n');
    await appOf('mtls', prelude, block('Certificate-bound tokens'), "app.get('/orders', (_req, res) => { res.json({ ok: true }); });", 'export { server };');
    const server = servers.at(-1)!;
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    const origin = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const token = await idp.mint({ cnf: { 'x5t#S256': alice.thumbprint } });
    const call = (client: typeof alice) => request(origin).get('/orders').ca(serverCert.cert).key(client.key).cert(client.cert).set('Authorization', `Bearer ${token}`);
    expect((await call(alice)).status).toBe(200);
    expect((await call(mallory)).status).toBe(401);
  });
});
