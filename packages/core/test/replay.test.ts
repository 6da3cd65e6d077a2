import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createTestIssuer, type TestIssuer } from '@tollgate/testing';
import type { AuditEvent } from '../src/monitoring/audit.js';
import { createAuthenticator, type Authenticator } from '../src/authenticate.js';
import type { AuthContext } from '../src/context.js';
import { MemoryNonceStore, type NonceStore } from '../src/replay/nonce-store.js';
import { createReplayGuard } from '../src/replay/replay.js';
import type { TollgateRequest } from '../src/extract/request.js';
import { TollgateSetupError } from '../src/errors/setup-error.js';

let idp: TestIssuer;
let other: TestIssuer;
let authenticator: Authenticator;
const events: AuditEvent[] = [];
beforeAll(async () => {
  [idp, other] = await Promise.all([createTestIssuer(), createTestIssuer()]);
  authenticator = createAuthenticator({
    issuers: [idp.authenticateOptions(), { ...other.authenticateOptions(), audience: idp.audience }],
    audit: (event) => { events.push(event); },
  });
});
afterAll(async () => { await Promise.all([idp.close(), other.close()]); });

const request = (token: string): TollgateRequest => ({ method: 'POST', url: '/orders', headers: { authorization: `Bearer ${token}` } });

/** A verified auth context and its request, as `authenticate` hands them to the guard. */
async function authenticated(token: string): Promise<[AuthContext, TollgateRequest]> {
  const req = request(token);
  return [await authenticator.authenticate(req), req];
}

/** A store that records what it was asked, and answers as told. */
function recordingStore(answer: () => Promise<boolean>) {
  const calls: Array<{ key: string; ttlMs: number }> = [];
  const store: NonceStore = { claim: async (key, ttlMs) => { calls.push({ key, ttlMs }); return answer(); } };
  return { store, calls };
}

describe('createReplayGuard', () => {
  it('lets a token through once and answers 401 invalid_token "replayed" the second time', async () => {
    const guard = createReplayGuard();
    const [auth, req] = await authenticated(await idp.mint());
    await expect(guard.check(auth, req)).resolves.toBeUndefined();
    const error = await guard.check(auth, req).catch((e: unknown) => e);
    expect(error).toMatchObject({ status: 401, code: 'invalid_token', reason: 'replayed', description: 'The access token was already used' });
    expect((error as { headers: Record<string, string> }).headers['WWW-Authenticate']).toBe('Bearer error="invalid_token", error_description="The access token was already used"');
  });

  it('keeps tokens apart: another token, or the same jti from another issuer, still passes once', async () => {
    const guard = createReplayGuard();
    const jti = 'shared-jti';
    const [first, req1] = await authenticated(await idp.mint({ jti }));
    const [fromOther, req2] = await authenticated(await other.mint({ jti, aud: idp.audience }));
    const [fresh, req3] = await authenticated(await idp.mint());
    await expect(guard.check(first, req1)).resolves.toBeUndefined();
    await expect(guard.check(fromOther, req2)).resolves.toBeUndefined();
    await expect(guard.check(fresh, req3)).resolves.toBeUndefined();
    await expect(guard.check(fromOther, req2)).rejects.toMatchObject({ reason: 'replayed' });
  });

  it('refuses a token without a string jti: 401 invalid_token "missing_jti"', async () => {
    const guard = createReplayGuard();
    for (const token of [await idp.mint({}, { omit: ['jti'] }), await idp.mint({ jti: 42 as unknown as string }), await idp.mint({ jti: '' })]) {
      const [auth, req] = await authenticated(token);
      await expect(guard.check(auth, req)).rejects.toMatchObject({ status: 401, code: 'invalid_token', reason: 'missing_jti' });
    }
  });

  it('answers 401 without an authenticate before it', async () => {
    await expect(createReplayGuard().check(undefined, request('x'))).rejects.toMatchObject({ status: 401, reason: 'not_authenticated' });
  });

  it('answers 503 store_unavailable with Retry-After when the store fails, and never lets the token pass', async () => {
    const { store } = recordingStore(() => Promise.reject(new Error('connection refused')));
    const [auth, req] = await authenticated(await idp.mint());
    const error = await createReplayGuard({ store }).check(auth, req).catch((e: unknown) => e);
    expect(error).toMatchObject({ status: 503, code: 'temporarily_unavailable', reason: 'store_unavailable' });
    expect((error as { headers: Record<string, string> }).headers['Retry-After']).toBe('1');
    expect(String((error as Error).message)).not.toContain('connection refused');
  });

  it('lets a token through only on an explicit true from the store, never on another truthy answer', async () => {
    const { store } = recordingStore(() => Promise.resolve('OK' as unknown as boolean));
    const [auth, req] = await authenticated(await idp.mint());
    await expect(createReplayGuard({ store }).check(auth, req)).rejects.toMatchObject({ status: 401, reason: 'replayed' });
  });

  it('answers 503 when a full memory store cannot remember another token', async () => {
    const guard = createReplayGuard({ store: new MemoryNonceStore({ max: 1 }) });
    const [a, reqA] = await authenticated(await idp.mint());
    const [b, reqB] = await authenticated(await idp.mint());
    await guard.check(a, reqA);
    await expect(guard.check(b, reqB)).rejects.toMatchObject({ status: 503, reason: 'store_unavailable' });
    await expect(guard.check(a, reqA)).rejects.toMatchObject({ status: 401, reason: 'replayed' });
  });

  it('claims issuer|jti for as long as the token can be accepted: exp minus now plus the tolerance', async () => {
    const { store, calls } = recordingStore(async () => true);
    const [auth, req] = await authenticated(await idp.mint({ jti: 'abc' }));
    const now = auth.expiresAt.getTime() - 60_000;
    await createReplayGuard({ store, now: () => now, clockTolerance: 7 }).check(auth, req);
    expect(calls).toEqual([{ key: `jti:${idp.issuer}|abc`, ttlMs: 60_000 + 7000 }]);
    await createReplayGuard({ store, now: () => now, prefix: 'p:' }).check(auth, req);
    expect(calls[1]).toEqual({ key: `p:${idp.issuer}|abc`, ttlMs: 65_000 });
  });

  it('hashes a long jti into a bounded key', async () => {
    const { store, calls } = recordingStore(async () => true);
    const [auth, req] = await authenticated(await idp.mint({ jti: 'x'.repeat(2000) }));
    await createReplayGuard({ store }).check(auth, req);
    expect(calls[0]!.key).toMatch(/^jti:sha256:[A-Za-z0-9_-]{43}$/);
  });

  it('refuses a token past exp plus the tolerance without touching the store', async () => {
    const { store, calls } = recordingStore(async () => true);
    const [auth, req] = await authenticated(await idp.mint());
    const later = auth.expiresAt.getTime() + 5001;
    await expect(createReplayGuard({ store, now: () => later }).check(auth, req)).rejects.toMatchObject({ status: 401, reason: 'expired' });
    expect(calls).toHaveLength(0);
  });

  it("reports a replay to the authenticator's audit sink", async () => {
    const guard = createReplayGuard();
    const [auth, req] = await authenticated(await idp.mint());
    await guard.check(auth, req);
    await guard.check(auth, req).catch(() => undefined);
    expect(events.at(-1)).toMatchObject({ type: 'rejected', status: 401, reason: 'replayed', fingerprint: auth.fingerprint, path: '/orders' });
  });

  it('describes its store in a frozen policy', () => {
    class SharedStore implements NonceStore { async claim(): Promise<boolean> { return true; } }
    const guard = createReplayGuard();
    expect(guard.policy).toEqual({ kind: 'replay', store: 'memory' });
    expect(createReplayGuard({ store: new SharedStore() }).policy.store).toBe('SharedStore');
    expect(createReplayGuard({ store: { claim: async () => true } }).policy.store).toBe('custom');
    expect(createReplayGuard({ store: { kind: 'dynamodb', claim: async () => true } }).policy.store).toBe('dynamodb');
    expect(createReplayGuard({ store: new (class extends MemoryNonceStore {})() }).policy.store).toBe('memory');
    expect(Object.isFrozen(guard)).toBe(true);
  });

  it('validates its options at setup', () => {
    expect(() => createReplayGuard({ stor: new MemoryNonceStore() } as never)).toThrow(expect.objectContaining({ code: 'ERR_TOLLGATE_UNKNOWN_OPTION' }));
    expect(() => createReplayGuard({ store: {} as never })).toThrow(TollgateSetupError);
    expect(() => createReplayGuard({ clockTolerance: -1 })).toThrow(TollgateSetupError);
    expect(() => createReplayGuard({ prefix: 3 as never })).toThrow(TollgateSetupError);
  });
});
