import { describe, expect, it } from '@jest/globals';
import express from 'express';
import { describeRoute, readPolicy, type PolicyDescriptor, type RouteDescription } from '@tollgate/core';
import { authenticate, describeRoutes, preventReplay, protect, rateLimitPerToken, requireClaims, requireRoles, requireScopes } from '@tollgate/express';
import { auditRoutes, checkDuplicateRoutes, checkRoute, isBroadScope, parsePathList, parseSeverityList, allowPublicMatcher, policyFromRoutes, type RouteWithHandler } from '@tollgate/cli';

// Never fetched: these tests only read the guards' policy descriptors.
const auth = { issuer: 'https://id.tollgate.test/', audience: 'orders-api', jwksUri: 'http://127.0.0.1:9/jwks.json', algorithms: ['RS256' as const] };

/** The descriptors real middlewares carry, in order. */
function guards(...middlewares: unknown[]): PolicyDescriptor[] {
  return middlewares.map((m) => {
    const policy = readPolicy(m);
    if (policy === undefined) throw new Error('not a Tollgate middleware');
    return policy;
  });
}

const route = (method: string, path: string, ...middlewares: unknown[]): RouteDescription => describeRoute(method, path, guards(...middlewares));
const nobody = allowPublicMatcher([]);
const ids = (findings: { id: string; severity: string }[]) => findings.map((f) => `${f.severity} ${f.id}`);

describe('unprotected routes', () => {
  it('are high, and info when --allow-public approves the path', () => {
    expect(ids(checkRoute(route('GET', '/health'), nobody))).toEqual(['high unprotected-route']);
    const [approved] = checkRoute(route('GET', '/health'), allowPublicMatcher(['/health']));
    expect(approved).toEqual({ id: 'unprotected-route', severity: 'info', method: 'GET', path: '/health', message: 'Public route, approved by --allow-public.' });
  });

  it('--allow-public takes exact paths and /* prefixes, as protect() does', () => {
    const allowed = allowPublicMatcher(parsePathList('/health, /docs/*'));
    expect(['/health', '/docs', '/docs/a/b'].map(allowed)).toEqual([true, true, true]);
    expect(['/healthz', '/docsx', '/v1/health'].map(allowed)).toEqual([false, false, false]);
    expect(() => parsePathList(' , ')).toThrow(TypeError);
  });

  it('names guards that run without authenticate (they fail closed with 401)', () => {
    const [finding] = checkRoute(route('GET', '/orders', requireScopes('orders:read')), nobody);
    expect(finding?.severity).toBe('high');
    expect(finding?.message).toContain('scopes guard(s) run without a verified token');
  });

  it('says when protect() leaves the path public', () => {
    const app = express();
    protect(app, { ...auth, public: ['/health'] });
    app.get('/health', (_req, res) => { res.end(); });
    app.get('/orders', (_req, res) => { res.end(); });
    const findings = auditRoutes(describeRoutes(app));
    expect(findings).toEqual([{ id: 'unprotected-route', severity: 'high', method: 'GET', path: '/health', message: 'protect() leaves this path public: anyone can call it.' }]);
  });

  it('get no replay or rate-limit findings (both need a token to work)', () => {
    expect(ids(checkRoute(route('POST', '/webhook'), nobody))).toEqual(['high unprotected-route']);
  });
});

describe('guard order', () => {
  it('a guard before authenticate is high', () => {
    const findings = checkRoute(route('GET', '/orders', requireScopes('orders:read'), requireClaims({ tenant: 'a' }), authenticate(auth)), nobody);
    expect(ids(findings)).toEqual(['high guard-before-authenticate']);
    expect(findings[0]?.message).toBe('The scopes, claims guard(s) run before authenticate: the route fails closed, but the stack is misordered.');
  });

  it('authenticate first is fine', () => {
    expect(checkRoute(route('GET', '/orders', authenticate(auth), requireScopes('orders:read')), nobody)).toEqual([]);
  });

  it('a default-deny authenticate that leaves the path public does not count as first', () => {
    const app = express();
    protect(app, { ...auth, public: ['/open/*'] });
    app.get('/open/report', requireRoles('auditor'), authenticate(auth), (_req, res) => { res.end(); });
    expect(ids(auditRoutes(describeRoutes(app)))).toEqual(['high guard-before-authenticate']);
  });
});

describe('write routes', () => {
  it.each(['POST', 'PUT', 'PATCH', 'DELETE', 'ALL'])('%s without replay protection or rate limit: two mediums', (method) => {
    expect(ids(checkRoute(route(method, '/orders', authenticate(auth)), nobody))).toEqual(['medium write-without-replay-protection', 'medium write-without-rate-limit']);
  });

  it('with both guards: no finding', () => {
    const r = route('POST', '/orders', authenticate(auth), preventReplay(), rateLimitPerToken({ limit: 5, windowMs: 1000 }));
    expect(checkRoute(r, nobody)).toEqual([]);
  });

  it('each guard clears its own finding', () => {
    expect(ids(checkRoute(route('PUT', '/o', authenticate(auth), preventReplay()), nobody))).toEqual(['medium write-without-rate-limit']);
    expect(ids(checkRoute(route('PUT', '/o', authenticate(auth), rateLimitPerToken({ limit: 5, windowMs: 1000 })), nobody))).toEqual(['medium write-without-replay-protection']);
  });

  it('reads need neither', () => {
    expect(checkRoute(route('GET', '/orders', authenticate(auth)), nobody)).toEqual([]);
  });
});

describe('broad scopes on read routes', () => {
  it.each(['*', 'all', 'admin', 'orders:*', 'orders:admin', 'admin:orders', 'org.admin'])('%s is broad', (scope) => {
    expect(isBroadScope(scope)).toBe(true);
    expect(ids(checkRoute(route('GET', '/orders', authenticate(auth), requireScopes(scope)), nobody))).toEqual(['low broad-scope-on-read']);
  });

  it.each(['orders:read', 'administrators', 'allowance:read', 'read:all-orders'])('%s is not', (scope) => {
    expect(isBroadScope(scope)).toBe(false);
  });

  it('a write route may demand an admin scope', () => {
    const r = route('DELETE', '/orders/:id', authenticate(auth), requireScopes('orders:admin'), preventReplay(), rateLimitPerToken({ limit: 1, windowMs: 1000 }));
    expect(checkRoute(r, nobody)).toEqual([]);
  });
});

describe('routes reachable through two listings', () => {
  it('the same method and path with different guards is high, on the later listing', () => {
    const app = express();
    app.get('/orders', authenticate(auth), requireScopes('orders:read'), (_req, res) => { res.end(); });
    app.get('/orders', (_req, res) => { res.end(); });
    const findings = checkDuplicateRoutes(describeRoutes(app));
    expect(findings).toEqual([{ id: 'inconsistent-duplicate-route', severity: 'high', method: 'GET', path: '/orders', message: 'GET /orders is listed twice with different guards; the first listing that matches a request answers it.' }]);
  });

  it('the same guards twice are no finding, whatever their order', () => {
    const a = route('GET', '/x', authenticate(auth), requireScopes('a'), requireRoles('r'));
    const b = route('GET', '/x', authenticate(auth), requireRoles('r'), requireScopes('a'));
    expect(checkDuplicateRoutes([a, b])).toEqual([]);
  });

  it('one handler listed under two paths with different guards is high, when the adapter reports the handler', () => {
    const handler = function listOrders(): void { /* answers the route */ };
    const routes: RouteWithHandler[] = [
      { ...route('GET', '/v1/orders', authenticate(auth), requireScopes('orders:read')), handler },
      { ...route('GET', '/legacy/orders'), handler },
      { ...route('POST', '/legacy/orders', authenticate(auth), requireScopes('orders:write')), handler },
    ];
    expect(checkDuplicateRoutes(routes)).toEqual([{
      id: 'inconsistent-duplicate-route', severity: 'high', method: 'GET', path: '/legacy/orders',
      message: 'The handler of GET /v1/orders is also reachable as GET /legacy/orders, with different guards.',
    }]);
  });
});

describe('auditRoutes', () => {
  it('sorts by severity, then route order', () => {
    const routes = [
      route('GET', '/reports', authenticate(auth), requireScopes('*')),
      route('POST', '/orders', authenticate(auth)),
      route('GET', '/health'),
    ];
    expect(auditRoutes(routes).map((f) => `${f.severity} ${f.method} ${f.path} ${f.id}`)).toEqual([
      'high GET /health unprotected-route',
      'medium POST /orders write-without-replay-protection',
      'medium POST /orders write-without-rate-limit',
      'low GET /reports broad-scope-on-read',
    ]);
  });

  it('parses --fail-on lists', () => {
    expect(parseSeverityList('high, MEDIUM,high')).toEqual(['high', 'medium']);
    expect(() => parseSeverityList('critical')).toThrow('unknown severity "critical"');
    expect(() => parseSeverityList(',')).toThrow(TypeError);
  });
});

describe('what the report cannot vouch for', () => {
  const handler = (_req: express.Request, res: express.Response) => { res.end(); };
  const findingsOf = (app: express.Express) => auditRoutes(describeRoutes(app)).map((f) => `${f.severity} ${f.id} ${f.method} ${f.path}: ${f.message}`);

  it('a mounted sub-app is an opaque-mount finding: high when open, medium behind authenticate; never approved by --write-policy', () => {
    const app = express();
    app.use('/open', express());
    app.use('/closed', authenticate(auth), express());
    expect(findingsOf(app)).toEqual([
      'high opaque-mount * /open: A mounted sub-app at /open hides its routes from the report. No authenticate runs in front of it: it may answer anyone.',
      'medium opaque-mount * /closed: A mounted sub-app at /closed hides its routes from the report. An authenticate runs in front of it, but what it serves and demands cannot be read.',
    ]);
    expect(policyFromRoutes(describeRoutes(app)).routes).toEqual([]);
  });

  it('a guard after the handler is high, and the route open says why', () => {
    const app = express();
    app.get('/admin/users', handler, authenticate(auth));
    expect(findingsOf(app)).toEqual([
      'high unprotected-route GET /admin/users: Its authenticate runs after its handler, which answers first: anyone can call it.',
      'high guard-after-handler GET /admin/users: The authenticate guard(s) come after the route\'s handler, which can answer first: they are not counted.',
    ]);
  });

  it('a guard whose pattern does not cover the route is named in the unprotected finding', () => {
    const app = express();
    app.all('/files/:name', authenticate(auth));
    app.get('/files/*path', handler);
    expect(findingsOf(app)).toEqual([
      'high unprotected-route GET /files/*path: No authenticate provably guards every URL of this route (authenticate on /files/:name does not): anyone can call it where it does not.',
    ]);
  });

  it('a public path of protect() that the route pattern serves is named', () => {
    const app = express();
    app.get('/users/:id', handler);
    protect(app, { ...auth, public: ['/users/me'] });
    expect(findingsOf(app)).toEqual([
      'high unprotected-route GET /users/:id: protect() leaves /users/me public, and this route serves that URL: anyone can call it there.',
    ]);
  });

  it('param callbacks and middleware before authenticate are medium and low', () => {
    const app = express();
    app.use(function requestLogger(_req, _res, next) { next(); });
    app.param('id', (_req, _res, next) => next());
    app.get('/users/:id', authenticate(auth), handler);
    expect(findingsOf(app)).toEqual([
      'medium param-before-authenticate GET /users/:id: A param callback runs before authenticate: it can answer (e.g. 404 for an unknown id) to a request without a token.',
      'low middleware-before-authenticate GET /users/:id: requestLogger run(s) before authenticate and may answer a request without a token.',
    ]);
  });

  it('an error handler after the guards is high, and the route open says why', () => {
    const app = express();
    app.use(authenticate(auth));
    app.use(function forgive(_err: unknown, _req: express.Request, _res: express.Response, next: express.NextFunction) { next(); });
    app.get('/orders', handler);
    expect(findingsOf(app)).toEqual([
      'high unprotected-route GET /orders: The error handler(s) forgive after its guards may swallow their 401 and let the request on: no authenticate is proven in front of it.',
      'high error-handler-after-guards GET /orders: forgive may swallow the errors of the guards before it and call next(): those guards are not counted.',
    ]);
  });

  it('a scope guard whose pattern does not cover a protected route is medium', () => {
    const app = express();
    app.use(authenticate(auth));
    app.all('/files/:name', requireScopes('files:read'));
    app.get('/files/*path', handler);
    expect(findingsOf(app)).toEqual([
      'medium guard-not-proven GET /files/*path: Not counted, their patterns do not provably pass every URL of this route: scopes on /files/:name.',
    ]);
  });
});
