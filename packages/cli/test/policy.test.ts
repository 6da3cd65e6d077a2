import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { METHOD_PATTERN, POLICY_KEYS, ROUTE_KEYS, PolicyFileError, validatePolicy, type ApprovedPolicy } from '@tollgate/cli';
import { cli, FIXTURES, ROOT } from './run-cli.js';

let dir: string;
beforeAll(async () => { dir = await mkdtemp(join(tmpdir(), 'tollgate-policy-')); });
afterAll(async () => { await rm(dir, { recursive: true, force: true }); });

interface JsonReport { findings: { id: string; severity: string; method: string; path: string; message: string }[] }

async function auditWith(policy: unknown, fixture = 'koa-app.mjs'): Promise<{ code: number; report: JsonReport; stderr: string }> {
  const file = join(dir, `policy-${Math.random().toString(36).slice(2)}.json`);
  await writeFile(file, JSON.stringify(policy));
  const run = await cli(['audit', `${FIXTURES}/${fixture}`, '--policy', file, '--format', 'json']);
  return { code: run.code, stderr: run.stderr, report: run.stdout === '' ? { findings: [] } : JSON.parse(run.stdout) as JsonReport };
}

const drift = (report: JsonReport) => report.findings.filter((f) => f.id.startsWith('policy-'));

function problemsOf(value: unknown): readonly string[] {
  try {
    validatePolicy(value);
  } catch (error) {
    if (error instanceof PolicyFileError) return error.problems;
    throw error;
  }
  return [];
}

describe('the policy file', () => {
  it('fills in defaults', () => {
    expect(validatePolicy({ routes: [{ method: 'GET', path: '/health', public: true }] })).toEqual({
      routes: [{ method: 'GET', path: '/health', scopes: [], roles: [], replay: false, rateLimit: false, public: true }],
    });
  });

  it('reports every problem with its JSON path', () => {
    expect(problemsOf({
      routes: [
        { method: 'get', path: '', scope: ['orders:read'] },
        { method: 'POST', path: '/orders', scopes: 'orders:write', replay: 'yes' },
        { method: 'GET', path: '/health', public: true, roles: ['admin'] },
        { method: 'PUT', path: '/a', scopes: ['x', 'x', ''] },
        { method: 'PUT', path: '/a' },
        'GET /b',
      ],
      extra: 1,
    })).toEqual([
      'extra: unknown property (allowed: $schema, description, routes)',
      'routes[0].scope: unknown property (allowed: method, path, scopes, roles, replay, rateLimit, public)',
      'routes[0].method: must be an upper-case HTTP method such as GET or ALL',
      'routes[0].path: must be a non-empty string',
      'routes[1].scopes: must be an array of strings, got string',
      'routes[1].replay: must be true or false, got string',
      'routes[2]: a public route cannot demand roles (they need a verified token)',
      'routes[3].scopes[1]: "x" is listed twice',
      'routes[3].scopes[2]: must be a non-empty string',
      'routes[5]: must be an object, got string',
    ]);
  });

  it('rejects a repeated method and path, and a file without routes', () => {
    expect(problemsOf({ routes: [{ method: 'GET', path: '/a' }, { method: 'GET', path: '/a' }] })).toEqual(['routes[1]: GET /a is already listed at routes[0]']);
    expect(problemsOf({})).toEqual(['routes: is required']);
    expect(problemsOf([])).toEqual(['(root): must be an object with a "routes" array, got array']);
  });

  it('follows the shipped JSON Schema: same properties, required lists and method pattern', async () => {
    const schema = JSON.parse(await readFile(join(ROOT, 'packages/cli/tollgate.policy.schema.json'), 'utf8')) as {
      $schema: string; required: string[]; additionalProperties: boolean; properties: Record<string, unknown>;
      $defs: { route: { required: string[]; additionalProperties: boolean; properties: Record<string, { pattern?: string }> } };
    };
    expect(schema.$schema).toBe('https://json-schema.org/draft/2020-12/schema');
    expect(Object.keys(schema.properties)).toEqual(POLICY_KEYS);
    expect(schema.required).toEqual(['routes']);
    expect(schema.additionalProperties).toBe(false);
    expect(Object.keys(schema.$defs.route.properties)).toEqual(ROUTE_KEYS);
    expect(schema.$defs.route.required).toEqual(['method', 'path']);
    expect(schema.$defs.route.additionalProperties).toBe(false);
    expect(schema.$defs.route.properties.method?.pattern).toBe(METHOD_PATTERN.source);
  });

  it('an invalid, unreadable or non-JSON policy file is exit 2 with the problems', async () => {
    const bad = await auditWith({ routes: [{ method: 'GET' }] });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('routes[0].path: must be a non-empty string');
    const missing = await cli(['audit', `${FIXTURES}/koa-app.mjs`, '--policy', join(dir, 'absent.json')]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('Cannot read the policy');
    const notJson = join(dir, 'not.json');
    await writeFile(notJson, '{ routes: ');
    const parsed = await cli(['audit', `${FIXTURES}/koa-app.mjs`, '--policy', notJson]);
    expect(parsed.code).toBe(2);
    expect(parsed.stderr).toContain('not valid JSON');
  });
});

describe('drift from the approved policy', () => {
  /** The Koa fixture's routes as approved, minus what each case changes. */
  const approved = (): ApprovedPolicy => ({
    routes: [
      { method: 'GET', path: '/health', scopes: [], roles: [], replay: false, rateLimit: false, public: true },
      { method: 'GET', path: '/api/items', scopes: ['items:read'], roles: [], replay: false, rateLimit: false, public: false },
      { method: 'GET', path: '/api/items/export', scopes: ['admin'], roles: [], replay: false, rateLimit: false, public: false },
      { method: 'POST', path: '/api/items', scopes: ['items:write'], roles: [], replay: true, rateLimit: true, public: false },
      { method: 'DELETE', path: '/api/items/:id', scopes: ['items:write'], roles: [], replay: false, rateLimit: false, public: false },
    ],
  });

  it('no drift when the routes match', async () => {
    const { code, report } = await auditWith(approved());
    expect(code).toBe(0);
    expect(drift(report)).toEqual([]);
  });

  it('a weaker route is high, naming everything it lost', async () => {
    const policy = approved();
    policy.routes[0]!.public = false;
    Object.assign(policy.routes[4]!, { scopes: ['items:write', 'items:delete'], roles: ['owner'], replay: true, rateLimit: true });
    const { report } = await auditWith(policy);
    expect(drift(report)).toEqual([
      { id: 'policy-weaker-route', severity: 'high', method: 'GET', path: '/health', message: 'Weaker than approved: it is now public (approved with authentication).' },
      {
        id: 'policy-weaker-route', severity: 'high', method: 'DELETE', path: '/api/items/:id',
        message: 'Weaker than approved: it no longer demands the scope(s) items:delete; it no longer demands the role(s) owner; it lost its replay protection; it lost its rate limit.',
      },
    ]);
  });

  it('a stronger route than approved is no finding', async () => {
    const policy = approved();
    policy.routes[1]!.scopes = [];
    policy.routes[3]!.replay = false;
    expect(drift((await auditWith(policy)).report)).toEqual([]);
  });

  it('a route not in the policy is medium, an approved route no longer present is low', async () => {
    const policy = approved();
    policy.routes.splice(2, 1);
    policy.routes.push({ method: 'GET', path: '/api/legacy', scopes: [], roles: [], replay: false, rateLimit: false, public: false });
    const { report } = await auditWith(policy);
    expect(drift(report)).toEqual([
      { id: 'policy-unknown-route', severity: 'medium', method: 'GET', path: '/api/items/export', message: 'GET /api/items/export is not in the approved policy.' },
      { id: 'policy-missing-route', severity: 'low', method: 'GET', path: '/api/legacy', message: 'GET /api/legacy is approved but no longer present.' },
    ]);
  });

  it('drift counts for --fail-on', async () => {
    const policy = approved();
    policy.routes[3]!.roles = ['writer'];
    const file = join(dir, 'weaker.json');
    await writeFile(file, JSON.stringify(policy));
    const run = await cli(['audit', `${FIXTURES}/koa-app.mjs`, '--policy', file, '--fail-on', 'high']);
    expect(run.code).toBe(1);
    expect(run.stdout).toContain('policy-weaker-route');
  });
});

describe('--write-policy', () => {
  it.each(['express-app.mjs', 'koa-app.mjs'])('round trip for %s: the written policy is valid and shows no drift', async (fixture) => {
    const file = join(dir, `written-${fixture}.json`);
    const write = await cli(['audit', `${FIXTURES}/${fixture}`, '--write-policy', file, '--format', 'json']);
    expect(write.code).toBe(0);
    expect(write.stderr).toMatch(/^Wrote \d+ approved routes to /);
    const written = JSON.parse(await readFile(file, 'utf8')) as ApprovedPolicy;
    expect(written.$schema).toBe('./node_modules/@tollgate/cli/tollgate.policy.schema.json');
    expect(() => validatePolicy(written)).not.toThrow();
    const check = await cli(['audit', `${FIXTURES}/${fixture}`, '--policy', file, '--format', 'json']);
    expect(check.code).toBe(0);
    expect(drift(JSON.parse(check.stdout) as JsonReport)).toEqual([]);
  });

  it('writes what each route demands; a route listed twice is approved at its weakest', async () => {
    const file = join(dir, 'express.json');
    await cli(['audit', `${FIXTURES}/express-app.mjs`, '--write-policy', file]);
    const written = JSON.parse(await readFile(file, 'utf8')) as ApprovedPolicy;
    expect(written.routes.find((r) => r.method === 'POST' && r.path === '/v1/orders'))
      .toEqual({ method: 'POST', path: '/v1/orders', scopes: ['orders:write'], roles: [], replay: true, rateLimit: true, public: false });
    // GET /v1/orders is listed protected and, later, open: one entry, public.
    expect(written.routes.filter((r) => r.method === 'GET' && r.path === '/v1/orders'))
      .toEqual([{ method: 'GET', path: '/v1/orders', scopes: [], roles: [], replay: false, rateLimit: false, public: true }]);
  });

  it('without a value it writes tollgate.policy.json in the working directory', async () => {
    const run = await cli(['audit', join(ROOT, FIXTURES, 'koa-app.mjs'), '--write-policy', '--format', 'json'], { cwd: dir });
    expect(run.code).toBe(0);
    expect(run.stderr).toBe('Wrote 5 approved routes to tollgate.policy.json\n');
    expect(validatePolicy(JSON.parse(await readFile(join(dir, 'tollgate.policy.json'), 'utf8'))).routes).toHaveLength(5);
  });
});
