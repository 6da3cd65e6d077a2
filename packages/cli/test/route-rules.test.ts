import { describe, expect, it } from '@jest/globals';
import express from 'express';
import { describeRoute, readPolicy, type PolicyDescriptor, type RouteDescription } from '@tollgate/core';
import { authenticate, describeRoutes, preventReplay, protect, rateLimitPerToken, requireClaims, requireRoles, requireScopes } from '@tollgate/express';
import { auditRoutes, checkDuplicateRoutes, checkRoute, isBroadScope, parsePathList, parseSeverityList, allowPublicMatcher, type RouteWithHandler } from '@tollgate/cli';

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
