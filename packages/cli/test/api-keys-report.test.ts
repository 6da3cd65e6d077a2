/** The route report shows which routes accept API keys, and with what store, in every format. */
import { describe, expect, it } from '@jest/globals';
import express from 'express';
import Koa from 'koa';
import Router from '@koa/router';
import { ApiKeys, MemoryApiKeyStore } from '@tollgate/core';
import * as tollgateExpress from '@tollgate/express';
import * as tollgateKoa from '@tollgate/koa';
import { auditRoutes, buildReport, renderReport } from '@tollgate/cli';

const jwt = { issuer: 'https://id.example/', audience: 'api', jwksUri: 'https://id.example/jwks.json' };
const apiKeys = new ApiKeys({ store: new MemoryApiKeyStore() });

describe('route report with API keys', () => {
  const app = express();
  app.get('/jwt', tollgateExpress.authenticate(jwt), (_req, res) => { res.end(); });
  app.get('/both', tollgateExpress.authenticate({ ...jwt, apiKeys }), (_req, res) => { res.end(); });
  app.get('/keys', tollgateExpress.authenticate({ apiKeys }), (_req, res) => { res.end(); });
  const routes = tollgateExpress.describeRoutes(app);

  it('carries the key prefix, header and store in the authenticate descriptor', () => {
    expect(routes.find((r) => r.path === '/both')!.policies[0]).toMatchObject({ kind: 'authenticate', apiKeys: { prefix: 'tg', header: 'x-api-key', store: 'MemoryApiKeyStore' } });
    expect(routes.find((r) => r.path === '/jwt')!.policies[0]).not.toHaveProperty('apiKeys');
  });

  it.each(['table', 'markdown', 'html', 'json'] as const)('shows it in the %s report', (format) => {
    const report = buildReport({ module: 'app.ts', export: 'default', framework: 'express', kind: 'app' }, routes, auditRoutes(routes, { allowPublic: [] }), '0.0.0');
    const text = renderReport(report, format, { color: false }).replaceAll('\\', ''); // Markdown escapes ( ) +
    if (format === 'json') {
      expect(text).toContain('"store": "MemoryApiKeyStore"');
    } else {
      expect(text).toContain('token + api key (MemoryApiKeyStore)');
      expect(text).toMatch(/\/keys[^\n]*api key \(MemoryApiKeyStore\)/);
    }
  });

  it('reads the same from Koa routes', () => {
    const router = new Router();
    router.get('/both', tollgateKoa.authenticate({ ...jwt, apiKeys }), (ctx) => { ctx.body = ''; });
    const koa = new Koa();
    koa.use(router.routes());
    expect(tollgateKoa.describeRoutes(koa)[0]!.policies[0]).toMatchObject({ apiKeys: { store: 'MemoryApiKeyStore' } });
  });
});
