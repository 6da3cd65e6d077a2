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

const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
const scripts: string[] = [];
let as: OAuthServer;
let idp: TestIssuer;

beforeAll(async () => {
  as = await startOAuthServer();
  idp = await createTestIssuer();
});
afterAll(async () => {
  for (const script of scripts) rmSync(script, { force: true });
  await as.close();
  await idp.close();
});

function block(heading: string): string {
  const code = new RegExp(`## ${heading}[^\\n]*\\n+\`\`\`ts\\n([\\s\\S]*?)\`\`\``).exec(readme)?.[1];
  if (code === undefined) throw new Error(`no example under "${heading}"`);
  return code;
}

/** Writes an Express app around the README's lines and imports it. */
async function appOf(name: string, prelude: string, code: string, routes = ''): Promise<RequestListener> {
  const script = fileURLToPath(new URL(`./readme-${name}-${process.pid}.tmp.ts`, import.meta.url));
  scripts.push(script);
  writeFileSync(script, [
    "import express from 'express';",
    "import { authenticate, requireAuthLevel, requireScopes } from '@tollgate/express';",
    'export const app = express();',
    prelude, code, routes,
  ].join('\n'));
  return ((await import(pathToFileURL(script).href)) as { app: RequestListener }).app;
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
});
