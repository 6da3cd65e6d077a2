/**
 * Dotted claim paths, against Express 4, Express 5, Koa 2 and Koa 3. `rolesClaim`,
 * `scopeClaim` and `requireClaims` keys with dots only ever walk nested objects: a flat claim
 * literally named `realm_access.roles` (which some issuers let users set as a custom attribute)
 * never grants anything.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import request from 'supertest';
import { createTestIssuer, type TestIssuer } from '@tollgate/testing';
import { eachFramework, type Framework } from './harness.js';

let idp: TestIssuer;
beforeAll(async () => {
  idp = await createTestIssuer();
});
afterAll(async () => {
  await idp.close();
});

describe.each(eachFramework)('%s: dotted claim paths', (_name, framework: Framework) => {
  const server = () => framework.app([
    { method: 'get', path: '/admin', guards: (t) => [t.authenticate({ ...idp.authenticateOptions(), rolesClaim: 'realm_access.roles' }), t.requireRoles('admin')] },
    { method: 'post', path: '/orders', guards: (t) => [t.authenticate({ ...idp.authenticateOptions(), scopeClaim: 'ext.scopes' }), t.requireScopes('orders:write')] },
    { method: 'get', path: '/gold', guards: (t) => [t.authenticate(idp.authenticateOptions()), t.requireClaims({ 'org.tier': 'gold' })] },
    { method: 'get', path: '/namespaced', guards: (t) => [t.authenticate({ ...idp.authenticateOptions(), rolesClaim: ['https://example.com/roles'] }), t.requireRoles('admin')] },
  ]);
  const as = async (method: 'get' | 'post', path: string, claims: Record<string, unknown>) => (await request(server())[method](path).set('Authorization', `Bearer ${await idp.mint(claims)}`)).status;

  it('reads rolesClaim "realm_access.roles" from the nested object only', async () => {
    expect(await as('get', '/admin', { 'realm_access.roles': ['admin'], realm_access: { roles: ['user'] } })).toBe(403);
    expect(await as('get', '/admin', { 'realm_access.roles': ['admin'] })).toBe(403);
    expect(await as('get', '/admin', { realm_access: { roles: ['admin'] } })).toBe(200);
  });

  it('reads a dotted scopeClaim from the nested object only', async () => {
    expect(await as('post', '/orders', { 'ext.scopes': 'orders:write' })).toBe(403);
    expect(await as('post', '/orders', { ext: { scopes: ['orders:write'] } })).toBe(200);
  });

  it('checks a dotted requireClaims key against the nested object only', async () => {
    expect(await as('get', '/gold', { 'org.tier': 'gold', org: { tier: 'free' } })).toBe(403);
    expect(await as('get', '/gold', { 'org.tier': 'gold' })).toBe(403);
    expect(await as('get', '/gold', { org: { tier: 'gold' } })).toBe(200);
  });

  it('reads a claim whose own name holds dots when the path is given as segments', async () => {
    expect(await as('get', '/namespaced', { 'https://example.com/roles': ['admin'] })).toBe(200);
    expect(await as('get', '/namespaced', { 'https://example': { 'com/roles': ['admin'] } })).toBe(403);
  });
});
