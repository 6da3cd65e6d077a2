import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { generateKeyPair } from 'jose';
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

  it('reports a token that could no longer be accepted as expired, and writes nothing', async () => {
    const store = new MemoryRevocationStore();
    const token = await idp.mint({}, { expiresIn: -60 });
    await expect(revoke(store, { token })).resolves.toMatchObject({ kind: 'token', isExpired: true });
    const { jti } = JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()) as { jti: string };
    await expect(store.isRevoked({ iss: idp.issuer, jti })).resolves.toBe(false);
  });
});

describe('revoke, as an attacker and a clock see it', () => {
  /** An issuer, a store, revoke and an authenticator on one clock that only the test moves. */
  async function onOneClock(clockTolerance = 5) {
    let t = Math.floor(Date.now() / 1000) * 1000;
    const now = () => t;
    const issuer = await createTestIssuer({ now });
    const store = new MemoryRevocationStore({ now });
    const authenticator = createAuthenticator({ ...issuer.authenticateOptions(), revocation: store, clockTolerance, cache: false, now });
    return { issuer, store, authenticator, now, elapse: (ms: number) => { t += ms; } };
  }

  it('a forged token with the same jti and an earlier exp cannot shorten a revocation', async () => {
    const { issuer, store, authenticator, now, elapse } = await onOneClock();
    try {
      const stolen = await issuer.mint({ jti: 'stolen-1' }, { expiresIn: 3600 });
      await revoke(store, { token: stolen }, { now });
      // Anyone who reaches a revoke endpoint can send this: unverified, one second to live.
      const forged = await issuer.mint({ jti: 'stolen-1' }, { expiresIn: 1, key: (await generateKeyPair('RS256')).privateKey });
      await expect(revoke(store, { token: forged }, { now })).resolves.toMatchObject({ kind: 'token', isExpired: false });
      elapse(10_000);
      await expect(authenticator.authenticate(get(stolen))).rejects.toMatchObject({ status: 401, reason: 'revoked' });
    } finally {
      await issuer.close();
    }
  });

  it('keeps a token revoked until exp plus the clock tolerance, as long as it can be accepted', async () => {
    const { issuer, store, authenticator, now, elapse } = await onOneClock(30);
    try {
      const token = await issuer.mint({}, { expiresIn: 10 });
      await expect(revoke(store, { token }, { now, clockTolerance: 30 })).resolves.toMatchObject({ expiresAt: new Date(now() + 40_000) });
      elapse(25_000); // expired 15 s ago, still within authenticate's 30 s of tolerance
      await expect(authenticator.authenticate(get(token))).rejects.toMatchObject({ status: 401, reason: 'revoked' });
    } finally {
      await issuer.close();
    }
  });

  it('refuses a token issued in the future, which a subject cut-off set now would not catch', async () => {
    const { issuer, store, authenticator, now } = await onOneClock();
    try {
      const ahead = await issuer.mint({ sub: 'frank', iat: Math.floor(now() / 1000) + 900 }, { expiresIn: 300 });
      await revoke(store, { subject: 'frank' }, { now });
      await expect(authenticator.authenticate(get(ahead))).rejects.toMatchObject({ status: 401, reason: 'not_yet_valid' });
      const justAhead = await issuer.mint({ iat: Math.floor(now() / 1000) + 4 }); // within the 5 s tolerance
      await expect(authenticator.authenticate(get(justAhead))).resolves.toBeDefined();
    } finally {
      await issuer.close();
    }
  });
});

describe('revoke across issuers', () => {
  let other: TestIssuer;
  beforeAll(async () => { other = await createTestIssuer(); });
  afterAll(async () => { await other.close(); });

  const both = (store: MemoryRevocationStore) => createAuthenticator({ issuers: [idp.authenticateOptions(), other.authenticateOptions()], revocation: store });

  it('revoking a subject of one issuer leaves the same subject of another issuer alone', async () => {
    const store = new MemoryRevocationStore();
    const authenticator = both(store);
    const iat = Math.floor(Date.now() / 1000) - 60;
    await expect(revoke(store, { subject: 'user-1', issuer: idp.issuer })).resolves.toMatchObject({ issuer: idp.issuer });
    await expect(authenticator.authenticate(get(await idp.mint({ sub: 'user-1', iat })))).rejects.toMatchObject({ reason: 'revoked' });
    await expect(authenticator.authenticate(get(await other.mint({ sub: 'user-1', iat })))).resolves.toMatchObject({ subject: 'user-1' });
  });

  it('revoking a token scopes its jti to the token\'s own iss', async () => {
    const store = new MemoryRevocationStore();
    const authenticator = both(store);
    const mine = await idp.mint({ jti: 'shared-jti' });
    await expect(revoke(store, { token: mine })).resolves.toMatchObject({ issuer: idp.issuer });
    await expect(authenticator.authenticate(get(mine))).rejects.toMatchObject({ reason: 'revoked' });
    await expect(authenticator.authenticate(get(await other.mint({ jti: 'shared-jti' })))).resolves.toBeDefined();
  });

  it('revoking a subject without issuer reaches every issuer', async () => {
    const store = new MemoryRevocationStore();
    const authenticator = both(store);
    const iat = Math.floor(Date.now() / 1000) - 60;
    await expect(revoke(store, { subject: 'user-2' })).resolves.toMatchObject({ issuer: undefined });
    await expect(authenticator.authenticate(get(await idp.mint({ sub: 'user-2', iat })))).rejects.toMatchObject({ reason: 'revoked' });
    await expect(authenticator.authenticate(get(await other.mint({ sub: 'user-2', iat })))).rejects.toMatchObject({ reason: 'revoked' });
  });
});
