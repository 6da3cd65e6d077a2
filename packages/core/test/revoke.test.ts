import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createAuthenticator, MemoryRevocationStore, revoke, type TollgateRequest } from '@tollgate/core';
import { createTestIssuer, type TestIssuer } from '@tollgate/testing';

let idp: TestIssuer;
beforeAll(async () => { idp = await createTestIssuer(); });
afterAll(async () => { await idp.close(); });
const get = (token: string): TollgateRequest => ({ method: 'GET', url: '/', headers: { authorization: `Bearer ${token}` } });

describe('revoke', () => {
  it('revokes one token by itself, leaving others valid, and the check applies to cached tokens', async () => {
    const store = new MemoryRevocationStore();
    const authenticator = createAuthenticator({ ...idp.authenticateOptions(), revocation: store });
    const [stolen, other] = [await idp.mint(), await idp.mint()];
    await authenticator.authenticate(get(stolen)); // now cached
    await expect(revoke(store, { token: stolen })).resolves.toMatchObject({ kind: 'token' });
    await expect(authenticator.authenticate(get(stolen))).rejects.toMatchObject({ status: 401, reason: 'revoked' });
    await expect(authenticator.authenticate(get(other))).resolves.toBeDefined();
  });

  it('logs a subject out everywhere: tokens issued before are refused, later ones pass', async () => {
    const store = new MemoryRevocationStore();
    const authenticator = createAuthenticator({ ...idp.authenticateOptions(), revocation: store });
    const nowS = Math.floor(Date.now() / 1000);
    const old = await idp.mint({ sub: 'dave', iat: nowS - 60 });
    await revoke(store, { subject: 'dave', issuedBefore: new Date((nowS - 30) * 1000) });
    await expect(authenticator.authenticate(get(old))).rejects.toMatchObject({ reason: 'revoked' });
    await expect(authenticator.authenticate(get(await idp.mint({ sub: 'dave', iat: nowS })))).resolves.toBeDefined();
    await expect(authenticator.authenticate(get(await idp.mint({ sub: 'erin', iat: nowS - 60 })))).resolves.toBeDefined();
  });

  it('refuses a token without jti', async () => {
    await expect(revoke(new MemoryRevocationStore(), { token: await idp.mint({}, { omit: ['jti'] }) })).rejects.toThrow(/no jti/);
  });
});
