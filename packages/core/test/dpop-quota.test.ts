import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createAuthenticator, MemoryNonceStore, TollgateError, type TollgateRequest } from '@tollgate/core';
import { createDpopHolder, createTestIssuer, type DpopHolder, type TestIssuer } from '@tollgate/testing';

const ORIGIN = 'https://api.tollgate.test';
let idp: TestIssuer;
let holder: DpopHolder;
beforeAll(async () => {
  idp = await createTestIssuer();
  holder = await createDpopHolder();
});
afterAll(async () => {
  await idp.close();
});

describe('the DPoP proof quota per key', () => {
  it('refuses a key past its quota until its window (the proof lifetime) is over, then counts afresh', async () => {
    let now = Date.now();
    const authenticator = createAuthenticator({ ...idp.authenticateOptions(), now: () => now, dpop: { origin: ORIGIN, maxProofsPerKey: 2, store: new MemoryNonceStore({ now: () => now }) } });
    const token = await idp.mint({ cnf: { jkt: holder.jkt } }, { expiresIn: 3600 });
    const send = async () => {
      const proof = await holder.proof({ htu: `${ORIGIN}/orders`, accessToken: token, iat: Math.floor(now / 1000) });
      const req: TollgateRequest = { method: 'GET', url: '/orders', headers: { authorization: `DPoP ${token}`, dpop: proof } };
      return authenticator.authenticate(req).then(() => 'ok', (error: unknown) => {
        if (!(error instanceof TollgateError)) throw error;
        return `${error.status} ${error.headers['Retry-After'] ?? ''}`.trim();
      });
    };
    expect([await send(), await send()]).toEqual(['ok', 'ok']);
    expect(await send()).toBe('429 310'); // proofMaxAge 300 + 2 × clockTolerance 5
    now += 200_000;
    expect(await send()).toBe('429 110');
    now += 110_000;
    expect(await send()).toBe('ok');
  });
});
