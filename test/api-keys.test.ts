/**
 * API keys end to end, on Express 4, Express 5, Koa 2 and Koa 3: a JWT and a key on the same
 * routes through every guard, and every bad input of issue 16 (malformed, bad check, unknown id,
 * wrong secret, expired, revoked, spent, sent two ways, store down or slow). No response, header
 * or audit event ever carries a key.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import request from 'supertest';
import { apiKeyChecksum, ApiKeys, MemoryApiKeyStore, type ApiKeyStore, type AuditEvent } from '@tollgate/core';
import { createTestIssuer, type TestIssuer } from '@tollgate/testing';
import { eachFramework, type Framework } from './harness.js';

let idp: TestIssuer;
beforeAll(async () => { idp = await createTestIssuer(); });
afterAll(async () => { await idp.close(); });

/** A memory store whose answers the test can break, slow down and count. */
class ControlledStore extends MemoryApiKeyStore {
  gets = 0;
  mode: 'ok' | 'failing' | 'hanging' = 'ok';
  failUpdates = false;
  #gate<T>(answer: () => Promise<T>): Promise<T> {
    if (this.mode === 'failing') return Promise.reject(new Error('connection refused'));
    if (this.mode === 'hanging') return new Promise<T>(() => { /* never answers */ });
    return answer();
  }
  override get(id: string) { this.gets++; return this.#gate(() => super.get(id)); }
  override update(id: string, patch: Parameters<ApiKeyStore['update']>[1]) {
    return this.failUpdates ? Promise.reject(new Error('read-only replica')) : this.#gate(() => super.update(id, patch));
  }
  override spend(id: string, now: Date) { return this.#gate(() => super.spend(id, now)); }
}

/** A well-formed key of prefix `tg` with a valid check, for ids and secrets of the test's choosing. */
function forgedKey(id: string, secret: string): string {
  const body = `tg_${id}_${secret}`;
  return body + apiKeyChecksum(body);
}
const base62 = (n: number) => randomBytes(n * 2).toString('base64').replace(/[^0-9A-Za-z]/g, '').slice(0, n);

describe.each(eachFramework)('%s: API keys', (_name, framework: Framework) => {
  let store: ControlledStore;
  let apiKeys: ApiKeys;
  let keysOnly: ApiKeys;
  let clock: number;
  let events: AuditEvent[];
  let app: ReturnType<Framework['app']>;
  const seen: string[] = []; // every response's headers and body, checked for keys at the end
  const keys: string[] = [];

  beforeEach(() => {
    clock = Date.now();
    store = new ControlledStore();
    apiKeys = new ApiKeys({ store, now: () => clock, timeoutMs: 200 });
    keysOnly = new ApiKeys({ store, now: () => clock, timeoutMs: 200 });
    events = [];
    const audit = (event: AuditEvent) => { events.push(event); };
    const options = { ...idp.authenticateOptions(), apiKeys, audit };
    app = framework.app([
      { method: 'get', path: '/orders', guards: (t) => [t.authenticate(options), t.requireScopes('orders:read')] },
      { method: 'post', path: '/orders', guards: (t) => [t.authenticate(options), t.requireScopes('orders:write')] },
      { method: 'get', path: '/admin', guards: (t) => [t.authenticate(options), t.requireRoles('admin')] },
      { method: 'get', path: '/pro', guards: (t) => [t.authenticate(options), t.requireClaims({ plan: 'pro' })] },
      { method: 'get', path: '/limited', guards: (t) => [t.authenticate(options), t.rateLimitPerToken({ limit: 2, windowMs: 60_000 })] },
      { method: 'get', path: '/keys-only', guards: (t) => [t.authenticate({ apiKeys: keysOnly, audit })] },
    ]);
  });

  async function create(input: Partial<Parameters<ApiKeys['create']>[0]> = {}) {
    const created = await apiKeys.create({ name: 'ci', subject: 'svc-ci', scopes: ['orders:read'], ...input });
    keys.push(created.key);
    return created;
  }
  async function send(path: string, headers: Record<string, string>, method: 'get' | 'post' = 'get') {
    let req = request(app)[method](path);
    for (const [k, v] of Object.entries(headers)) req = req.set(k, v);
    const response = await req;
    seen.push(JSON.stringify(response.headers), response.text);
    return response;
  }
  const bearer = (path: string, value: string, method: 'get' | 'post' = 'get') => send(path, { Authorization: `Bearer ${value}` }, method);

  afterAll(() => {
    const text = seen.join('\n');
    for (const key of keys) expect(text.includes(key)).toBe(false);
  });

  it('accepts a JWT and an API key on the same route, the key in Authorization or in X-Api-Key', async () => {
    const { key } = await create();
    const jwt = await idp.mint({ sub: 'alice', scope: 'orders:read' });
    expect((await bearer('/orders', jwt)).body).toEqual({ ok: true, sub: 'alice', scopes: ['orders:read'] });
    expect((await bearer('/orders', key)).body).toEqual({ ok: true, sub: 'svc-ci', scopes: ['orders:read'] });
    expect((await send('/orders', { 'X-Api-Key': key })).body).toEqual({ ok: true, sub: 'svc-ci', scopes: ['orders:read'] });
  });

  it('runs requireScopes, requireRoles, requireClaims and rateLimitPerToken on keys unchanged', async () => {
    const reader = (await create()).key;
    const admin = (await create({ scopes: ['orders:read', 'orders:write'], roles: ['admin'], claims: { plan: 'pro' } })).key;
    const post = await bearer('/orders', reader, 'post');
    expect(post.status).toBe(403);
    expect(post.headers['www-authenticate']).toMatch(/^Bearer error="insufficient_scope", error_description="[^"]+", scope="orders:write"$/);
    expect((await bearer('/orders', admin, 'post')).status).toBe(200);
    expect((await bearer('/admin', reader)).status).toBe(403);
    expect((await bearer('/admin', admin)).status).toBe(200);
    expect((await bearer('/pro', reader)).status).toBe(403);
    expect((await bearer('/pro', admin)).status).toBe(200);
    expect((await bearer('/limited', reader)).status).toBe(200);
    expect((await bearer('/limited', reader)).status).toBe(200);
    const limited = await bearer('/limited', reader);
    expect(limited.status).toBe(429);
    expect(limited.headers['retry-after']).toBeDefined();
    expect((await bearer('/limited', admin)).status).toBe(200); // each key its own budget
  });

  it('refuses a malformed key or a bad check with 401 invalid_token, without asking the store', async () => {
    const { key } = await create();
    const typo = key.slice(0, -8) + (key.at(-8) === 'a' ? 'b' : 'a') + key.slice(-7);
    const gets = store.gets;
    for (const bad of [typo, key.slice(0, -1), `${key}x`, 'tg_short', `tg_${'a'.repeat(16)}_${'b'.repeat(38)}`]) {
      const response = await bearer('/orders', bad);
      expect([bad.length, response.status]).toEqual([bad.length, 401]);
      expect(response.headers['www-authenticate']).toBe('Bearer error="invalid_token", error_description="The API key is malformed"');
    }
    expect(store.gets).toBe(gets);
  });

  it('gives an unknown id and a wrong secret one and the same answer', async () => {
    const { key, record } = await create();
    const unknown = await bearer('/orders', forgedKey(base62(16), base62(32)));
    const wrongSecret = await bearer('/orders', forgedKey(record.id, base62(32)));
    expect(unknown.status).toBe(401);
    expect([wrongSecret.status, wrongSecret.headers['www-authenticate'], wrongSecret.text]).toEqual([unknown.status, unknown.headers['www-authenticate'], unknown.text]);
    expect(unknown.headers['www-authenticate']).toBe('Bearer error="invalid_token", error_description="The API key is not valid"');
    expect((await bearer('/orders', key)).status).toBe(200); // the real key still works
  });

  it('refuses an expired key and a revoked key with 401, the revocation at once on this instance', async () => {
    const expiring = await create({ expiresIn: 60 });
    expect((await bearer('/orders', expiring.key)).status).toBe(200);
    clock += 61_000;
    const expired = await bearer('/orders', expiring.key);
    expect([expired.status, expired.headers['www-authenticate']]).toEqual([401, 'Bearer error="invalid_token", error_description="The API key has expired"']);

    const { key, record } = await create();
    expect((await bearer('/orders', key)).status).toBe(200); // cached now
    await apiKeys.revoke(record.id);
    const revoked = await bearer('/orders', key);
    expect([revoked.status, revoked.headers['www-authenticate']]).toEqual([401, 'Bearer error="invalid_token", error_description="The API key was revoked"']);
  });

  it('answers 429 quota_exhausted for a spent key, not 401', async () => {
    const { key } = await create({ remaining: 2 });
    expect((await bearer('/orders', key)).status).toBe(200);
    expect((await bearer('/orders', key)).status).toBe(200);
    const spent = await bearer('/orders', key);
    expect(spent.status).toBe(429);
    expect(spent.headers['www-authenticate']).toBeUndefined();
    expect(events.at(-1)).toMatchObject({ type: 'rejected', status: 429, code: 'quota_exhausted' });
  });

  it('refuses a key sent two ways with 400 invalid_request', async () => {
    const { key } = await create();
    const jwt = await idp.mint({ scope: 'orders:read' });
    for (const headers of [{ Authorization: `Bearer ${key}`, 'X-Api-Key': key }, { Authorization: `Bearer ${jwt}`, 'X-Api-Key': key }]) {
      const response = await send('/orders', headers);
      expect(response.status).toBe(400);
      expect(response.headers['www-authenticate']).toContain('error="invalid_request"');
    }
    const twice = await request(app).get('/orders').set('X-Api-Key', [key, key] as unknown as string); // sent as two headers
    expect([twice.status, twice.headers['www-authenticate']]).toEqual([400, 'Bearer error="invalid_request", error_description="More than one x-api-key header"']);
  });

  it('answers 503 with Retry-After when the store fails or hangs, never 200 or 500', async () => {
    const { key } = await create();
    for (const mode of ['failing', 'hanging'] as const) {
      store.mode = mode;
      const response = await bearer('/orders', key);
      expect([mode, response.status, response.headers['retry-after']]).toEqual([mode, 503, '1']);
    }
    store.mode = 'ok';
    expect((await bearer('/orders', key)).status).toBe(200);
    // A cached key still needs the store when it has a cap: the cap is spent there.
    const capped = await create({ remaining: 5 });
    expect((await bearer('/orders', capped.key)).status).toBe(200);
    store.mode = 'failing';
    expect((await bearer('/orders', capped.key)).status).toBe(503);
  });

  it('serves a request even when the lastUsedAt write fails', async () => {
    const { key } = await create();
    store.failUpdates = true;
    expect((await bearer('/orders', key)).status).toBe(200);
  });

  it('on a keys-only route refuses a JWT and accepts a key', async () => {
    const { key } = await keysOnly.create({ name: 'only', subject: 'svc-only' });
    keys.push(key);
    const jwt = await idp.mint({ scope: 'orders:read' });
    const refused = await bearer('/keys-only', jwt);
    expect(refused.status).toBe(401);
    expect(refused.headers['www-authenticate']).toContain('error="invalid_token"');
    expect((await bearer('/keys-only', key)).status).toBe(200);
    expect((await send('/keys-only', {})).status).toBe(401);
  });

  it('reports keyId in audit events, never the key', async () => {
    const { key, record } = await create();
    await bearer('/orders', key);
    await bearer('/orders', key, 'post');
    await bearer('/orders', forgedKey(record.id, base62(32)));
    expect(events.map((e) => [e.type, e.keyId])).toEqual([['authenticated', record.id], ['authenticated', record.id], ['forbidden', record.id], ['rejected', record.id]]);
    expect(events[0]).toMatchObject({ subject: 'svc-ci', issuer: 'tollgate:api-key' });
    expect(JSON.stringify(events)).not.toContain(key.slice(record.start.length + 1, -6)); // no secret
    expect(JSON.stringify(events)).not.toContain(key);
  });
});
