/**
 * RFC 9470 step-up: `requireAuthLevel({ acr, maxAge })` on Express 4, Express 5, Koa 2 and Koa 3.
 * A token whose `acr` is not listed, or whose `auth_time` is missing or too old, gets a 401
 * `insufficient_user_authentication` whose challenge says what to ask the authorization server for.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import express from 'express';
import request from 'supertest';
import { createAuthLevelGuard, type AuditEvent } from '@tollgate/core';
import * as tollgateExpress from '@tollgate/express';
import { createTestIssuer, type TestIssuer } from '@tollgate/testing';
import { eachFramework, type Framework } from './harness.js';

let idp: TestIssuer;
beforeAll(async () => {
  idp = await createTestIssuer();
});
afterAll(async () => {
  await idp.close();
});

const MFA = 'urn:tollgate:acr:mfa';
const nowSeconds = () => Math.floor(Date.now() / 1000);

describe.each(eachFramework)('%s: requireAuthLevel', (_name, framework: Framework) => {
  const app = (options: Parameters<Framework['adapter']['requireAuthLevel']>[0], withAuthenticate = true) => framework.app([
    { method: 'post', path: '/payments', guards: (t) => [...(withAuthenticate ? [t.authenticate(idp.authenticateOptions())] : []), t.requireAuthLevel(options)] },
  ]);
  const call = async (server: ReturnType<typeof app>, claims: Record<string, unknown>) =>
    request(server).post('/payments').set('Authorization', `Bearer ${await idp.mint(claims)}`);

  it('lets a listed acr through', async () => {
    expect((await call(app({ acr: [MFA, 'urn:tollgate:acr:hwk'] }), { acr: MFA })).status).toBe(200);
  });

  it.each<[string, Record<string, unknown>]>([
    ['another acr', { acr: 'urn:tollgate:acr:password' }],
    ['a longer acr that merely starts with a listed one', { acr: `${MFA}:weak` }],
    ['no acr', {}],
    ['an acr that is not a string', { acr: [MFA] }],
  ])('refuses %s with acr_values in the challenge', async (_what, claims) => {
    const response = await call(app({ acr: MFA }), claims);
    expect(response.status).toBe(401);
    expect(response.headers['www-authenticate']).toBe(`Bearer error="insufficient_user_authentication", error_description="A stronger authentication is required", acr_values="${MFA}"`);
  });

  it('lets a recent enough authentication through', async () => {
    expect((await call(app({ maxAge: 300 }), { auth_time: nowSeconds() - 60 })).status).toBe(200);
  });

  it.each<[string, Record<string, unknown>]>([
    ['an old auth_time', { auth_time: nowSeconds() - 301 }],
    ['no auth_time', {}],
    ['an auth_time that is not a number', { auth_time: String(nowSeconds()) }],
    ['an auth_time far in the future', { auth_time: nowSeconds() + 3600 }],
  ])('refuses %s with max_age in the challenge', async (_what, claims) => {
    const response = await call(app({ maxAge: 300 }), claims);
    expect(response.status).toBe(401);
    expect(response.headers['www-authenticate']).toBe('Bearer error="insufficient_user_authentication", error_description="A more recent authentication is required", max_age="300"');
  });

  it('names both requirements when both are set', async () => {
    const response = await call(app({ acr: MFA, maxAge: 60 }), { acr: MFA, auth_time: nowSeconds() - 120 });
    expect(response.status).toBe(401);
    expect(response.headers['www-authenticate']).toContain(`acr_values="${MFA}", max_age="60"`);
    expect((await call(app({ acr: MFA, maxAge: 60 }), { acr: MFA, auth_time: nowSeconds() })).status).toBe(200);
  });

  it('answers 401 without an authenticate before it', async () => {
    const response = await request(app({ acr: MFA }, false)).post('/payments');
    expect(response.status).toBe(401);
  });
});

describe('requireAuthLevel', () => {
  it('reports the refusal to the audit sink', async () => {
    const events: AuditEvent[] = [];
    const app = express();
    app.post('/payments', tollgateExpress.authenticate({ ...idp.authenticateOptions(), audit: (e) => events.push(e) }), tollgateExpress.requireAuthLevel({ acr: MFA }), (_req, res) => { res.end(); });
    await request(app).post('/payments').set('Authorization', `Bearer ${await idp.mint({ acr: 'pwd' })}`);
    expect(events.at(-1)).toMatchObject({ type: 'rejected', status: 401, code: 'insufficient_user_authentication', reason: 'insufficient_acr' });
  });

  it('carries its policy to the route report', () => {
    const app = express();
    app.post('/payments', tollgateExpress.authenticate(idp.authenticateOptions()), tollgateExpress.requireAuthLevel({ acr: MFA, maxAge: 300 }), (_req, res) => { res.end(); });
    const [route] = tollgateExpress.describeRoutes(app);
    expect(route!.policies.at(-1)).toEqual({ kind: 'auth-level', acr: [MFA], maxAge: 300 });
  });

  it('reads the clock it is given', async () => {
    const guard = createAuthLevelGuard({ maxAge: 10, now: () => 1_000_000 });
    const auth = { claims: { auth_time: 995 } } as never;
    await expect(guard.check(auth, { method: 'GET', url: '/', headers: {} })).resolves.toBeUndefined();
    await expect(createAuthLevelGuard({ maxAge: 10, now: () => 1_020_000 }).check(auth, { method: 'GET', url: '/', headers: {} })).rejects.toMatchObject({ status: 401 });
  });

  it.each<[string, unknown]>([
    ['neither acr nor maxAge', {}],
    ['an empty acr list', { acr: [] }],
    ['an acr with a space', { acr: 'urn:a urn:b' }],
    ['a negative maxAge', { maxAge: -1 }],
    ['a fractional maxAge', { maxAge: 1.5 }],
    ['an unknown option', { acr: MFA, max_age: 5 }],
  ])('refuses %s at setup', (_what, options) => {
    expect(() => tollgateExpress.requireAuthLevel(options as never)).toThrow(TypeError);
  });
});
