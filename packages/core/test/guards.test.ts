import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createAuthenticator, createClaimsGuard, createRoleGuard, createScopeGuard, defineGuard, TollgateError, type AuthContext, type TollgateRequest } from '@tollgate/core';
import { createTestIssuer, type TestIssuer } from '@tollgate/testing';

let idp: TestIssuer;
let auth: AuthContext;
const req: TollgateRequest = { method: 'GET', url: '/orders', headers: {} };
beforeAll(async () => {
  idp = await createTestIssuer();
  const token = await idp.mint({ scope: 'orders:read', roles: ['clerk'], tenant: 'acme' });
  auth = await createAuthenticator(idp.authenticateOptions()).authenticate({ ...req, headers: { authorization: `Bearer ${token}` } });
});
afterAll(async () => { await idp.close(); });

/** What a synchronous step did: passed, or the status and reason it threw. */
function ran(step: () => unknown): string {
  try {
    const result = step();
    return result instanceof Promise ? 'promise' : 'passed';
  } catch (error) {
    if (!(error instanceof TollgateError)) throw error;
    return `${error.status}:${error.reason}`;
  }
}

describe('guards on the hot path: run()', () => {
  it('decides scope and role checks synchronously, passing or throwing the TollgateError', () => {
    expect(ran(() => createScopeGuard('orders:read').run(auth, req))).toBe('passed');
    expect(ran(() => createScopeGuard('orders:write').run(auth, req))).toBe('403:insufficient_scope');
    expect(ran(() => createScopeGuard(['orders:write', 'orders:read'], { match: 'any' }).run(auth, req))).toBe('passed');
    expect(ran(() => createRoleGuard('clerk').run(auth, req))).toBe('passed');
    expect(ran(() => createRoleGuard('admin').run(auth, req))).toBe('403:insufficient_role');
    expect(ran(() => createScopeGuard('orders:read').run(undefined, req))).toBe('401:not_authenticated');
  });

  it('decides an object of expected claims synchronously, and waits only for an async predicate', async () => {
    expect(ran(() => createClaimsGuard({ tenant: 'acme' }).run(auth, req))).toBe('passed');
    expect(ran(() => createClaimsGuard({ tenant: 'other' }).run(auth, req))).toBe('403:claim_check_failed');
    expect(ran(() => createClaimsGuard(() => { throw new Error('bug'); }).run(auth, req))).toBe('403:claim_check_failed');
    const slow = createClaimsGuard(async (claims) => claims.tenant === 'acme');
    expect(ran(() => slow.run(auth, req))).toBe('promise');
    await expect(createClaimsGuard(async () => { throw new Error('bug'); }).run(auth, req)).rejects.toMatchObject({ status: 403, reason: 'claim_check_failed' });
  });

  it('keeps check() a promise either way', async () => {
    const pass = createScopeGuard('orders:read').check(auth, req);
    const fail = createScopeGuard('orders:write').check(auth, req);
    expect(pass).toBeInstanceOf(Promise);
    expect(fail).toBeInstanceOf(Promise);
    await expect(pass).resolves.toBeUndefined();
    await expect(fail).rejects.toMatchObject({ status: 403, reason: 'insufficient_scope', scopes: ['orders:write'] });
  });

  it('builds a custom guard from a policy and a hot-path check, with check() derived from it', async () => {
    const acmeOnly = defineGuard({ kind: 'claims', description: 'tenant acme', claims: ['tenant'] } as const, (auth) => {
      if (auth?.claims.tenant !== 'acme') throw new TollgateError('insufficient_scope', 'Not for this tenant', { reason: 'claim_check_failed' });
    });
    expect(Object.isFrozen(acmeOnly)).toBe(true);
    expect(ran(() => acmeOnly.run(auth, req))).toBe('passed');
    await expect(acmeOnly.check(undefined, req)).rejects.toMatchObject({ status: 403, reason: 'claim_check_failed' });
  });
});
