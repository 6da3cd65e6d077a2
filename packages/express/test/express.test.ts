/**
 * The Express adapter on Express 4 and 5: what the harness-driven suites in test/ do not cover —
 * default deny, the problem+json handler, Express's own final handler, token locations.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import express5 from 'express';
import express4 from 'express4';
import request from 'supertest';
import { createTestIssuer, type TestIssuer } from '@tollgate/testing';
import { authenticate, describeRoutes, errorHandler, protect, requireRoles, requireScopes, toTollgateRequest } from '@tollgate/express';

let idp: TestIssuer;
beforeAll(async () => { idp = await createTestIssuer(); });
afterAll(async () => { await idp.close(); });

// Type-level: `req.auth` is an AuthContext through declaration merging (checked by `npm run typecheck`).
function typedAuth(req: express5.Request): string | undefined {
  // @ts-expect-error AuthContext has no `password`
  void req.auth?.password;
  return req.auth?.subject;
}
void typedAuth;

describe.each([
  ['Express 4', express4 as unknown as typeof express5],
  ['Express 5', express5],
] as const)('%s', (_name, express) => {
  const ok = (_req: express5.Request, res: express5.Response) => { res.json({ ok: true }); };

  it('protect(): every route demands a token unless public, including routes added before and after it', async () => {
    const app = express();
    app.get('/before', ok);
    app.get('/health', ok);
    app.get('/docs/intro', ok);
    protect(app, { ...idp.authenticateOptions(), public: ['/health', '/docs/*'] });
    app.get('/after', ok);
    app.get('/admin', requireRoles('admin'), ok);
    for (const path of ['/before', '/after', '/admin', '/HEALTH', '/health/', '/docsx']) {
      expect([path, (await request(app).get(path)).status]).toEqual([path, 401]);
    }
    for (const path of ['/health', '/docs/intro']) expect([path, (await request(app).get(path)).status]).toEqual([path, 200]);
    expect((await request(app).get('/after').set('Authorization', `Bearer ${await idp.mint()}`)).status).toBe(200);
    expect((await request(app).get('/admin').set('Authorization', `Bearer ${await idp.mint()}`)).status).toBe(403);
    const routes = describeRoutes(app).map((r) => [r.path, r.protected]);
    expect(routes).toEqual([['/before', true], ['/health', false], ['/docs/intro', false], ['/after', true], ['/admin', true]]);
  });

  it('protect() refuses a malformed public list at setup', () => {
    expect(() => protect(express(), { ...idp.authenticateOptions(), public: ['health'] })).toThrow(TypeError);
    expect(() => protect(express(), { ...idp.authenticateOptions(), public: ['/a*b'] })).toThrow(TypeError);
  });

  it("renders failures through Express's own final handler with status and headers, no stack, no token", async () => {
    const app = express();
    app.get('/orders', authenticate(idp.authenticateOptions()), ok);
    const token = await idp.mint({}, { expiresIn: -60 });
    const response = await request(app).get('/orders').set('Authorization', `Bearer ${token}`);
    expect(response.status).toBe(401);
    expect(response.headers['www-authenticate']).toBe('Bearer error="invalid_token", error_description="The access token expired"');
    expect(response.text).not.toContain(token.split('.')[1]);
    expect(response.text).not.toMatch(/\bat .+:\d+:\d+/);
  });

  it('errorHandler() renders problem+json and leaves other errors alone', async () => {
    const app = express();
    app.get('/orders', authenticate(idp.authenticateOptions()), requireScopes('orders:write'), ok);
    app.get('/boom', () => { throw new Error('not ours'); });
    app.use(errorHandler());
    app.use((_err: unknown, _req: express5.Request, res: express5.Response, _next: express5.NextFunction) => { res.status(500).send('app handler'); });
    const response = await request(app).get('/orders').set('Authorization', `Bearer ${await idp.mint({ scope: 'orders:read' })}`);
    expect(response.status).toBe(403);
    expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(response.body).toEqual({ type: 'about:blank', title: 'Forbidden', status: 403, detail: 'The access token needs all of these scopes: orders:write', error: 'insufficient_scope' });
    expect(response.headers['www-authenticate']).toContain('scope="orders:write"');
    expect((await request(app).get('/boom')).text).toBe('app handler');
  });

  it('reads opt-in token locations: form body, query, cookie', async () => {
    const app = express();
    app.use(express.urlencoded({ extended: false }));
    app.all('/orders', authenticate({ ...idp.authenticateOptions(), tokenLocations: { header: true, body: true, query: true, cookie: 'at' } }), ok);
    const token = await idp.mint();
    expect((await request(app).post('/orders').type('form').send({ access_token: token })).status).toBe(200);
    expect((await request(app).get(`/orders?access_token=${token}`)).status).toBe(200);
    expect((await request(app).get('/orders').set('Cookie', `at=${token}`)).status).toBe(200);
    expect((await request(app).get(`/orders?access_token=${token}`).set('Cookie', `at=${token}`)).status).toBe(400);
  });

  it('answers CORS preflights itself, never passing them on, and names its middlewares', async () => {
    const app = express();
    const guard = authenticate(idp.authenticateOptions());
    app.options('/orders', guard, (_req, res) => { res.status(200).json({ handler: true }); });
    const preflight = await request(app).options('/orders').set('Origin', 'https://app.example').set('Access-Control-Request-Method', 'POST');
    expect(preflight.status).toBe(204);
    expect(preflight.text).toBe('');
    expect((await request(app).options('/orders')).status).toBe(401);
    expect([guard.name, requireScopes('a').name, requireRoles('a').name]).toEqual(['tollgateAuthenticate', 'tollgateRequireScopes', 'tollgateRequireRoles']);
  });

  it('gives core the original URL and the origin that trust proxy allows', async () => {
    const app = express();
    let seen: { url: string; origin: string | undefined } | undefined;
    const inner = express.Router();
    inner.get('/x', (req, res) => { const r = toTollgateRequest(req); seen = { url: r.url, origin: r.origin }; res.end(); });
    app.use('/mounted', inner);
    await request(app).get('/mounted/x?q=1').set('Host', 'api.local:8080').set('X-Forwarded-Host', 'evil.example');
    expect(seen).toEqual({ url: '/mounted/x?q=1', origin: 'http://api.local:8080' });
    app.set('trust proxy', true);
    await request(app).get('/mounted/x').set('Host', 'internal:3000').set('X-Forwarded-Host', 'api.example.com').set('X-Forwarded-Proto', 'https');
    expect(seen).toEqual({ url: '/mounted/x', origin: 'https://api.example.com' });
  });

  it("works out the client address once per request, however many anomaly signals read it, as trust proxy gives it", async () => {
    const app = express();
    app.set('trust proxy', true);
    // Counts the reads of Express's own `req.ip` (trust proxy, X-Forwarded-For) on this app's requests.
    let reads = 0;
    const ip = Object.getOwnPropertyDescriptor(Object.getPrototypeOf(app.request) as object, 'ip')!;
    Object.defineProperty(app.request, 'ip', { configurable: true, get(this: express5.Request) { reads++; return ip.get!.call(this) as string; } });
    const events: object[] = [];
    app.get('/orders', authenticate({
      ...idp.authenticateOptions(),
      audit: (e) => events.push(e),
      anomalies: { clientsPerToken: { max: 1, windowMs: 60_000, action: 'report' }, failuresPerClient: { max: 5, windowMs: 60_000, blockMs: 60_000 } },
    }), ok);
    const token = await idp.mint();
    expect((await request(app).get('/orders').set('Authorization', `Bearer ${token}`).set('X-Forwarded-For', '203.0.113.1')).status).toBe(200);
    expect(reads).toBe(1);
    expect((await request(app).get('/orders').set('Authorization', `Bearer ${token}`).set('X-Forwarded-For', '203.0.113.2')).status).toBe(200);
    expect(reads).toBe(2);
    // Each request's own address was counted: the second one passed max and was reported.
    expect(events.filter((e) => 'kind' in e)).toEqual([expect.objectContaining({ kind: 'many-clients', client: '203.0.113.2' })]);
  });
});
