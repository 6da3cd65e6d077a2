import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { SignJWT } from 'jose';
import { createAuthenticator, fingerprint, isPreflight, MemoryRevocationStore, parseAuthenticateOptions, verifyToken, pinoAuditSink, TollgateError, createScopeGuard, createRateLimiter, type AuditEvent, type AuthenticateOptions, type TollgateRequest } from '@tollgate/core';
import { createTestIssuer, type TestIssuer } from '@tollgate/testing';

let idp: TestIssuer;
let other: TestIssuer;
beforeAll(async () => {
  idp = await createTestIssuer();
  other = await createTestIssuer({ algorithm: 'ES256', audience: 'https://other-api.test' });
});
afterAll(async () => {
  await idp.close();
  await other.close();
});

const get = (token?: string, extra: Partial<TollgateRequest> = {}): TollgateRequest => ({
  method: 'GET', url: '/orders?x=1', headers: token === undefined ? {} : { authorization: `Bearer ${token}` }, ...extra,
});

async function outcome(options: AuthenticateOptions, req: TollgateRequest): Promise<string> {
  try {
    const auth = await createAuthenticator(options).authenticate(req);
    return `ok:${auth.subject}`;
  } catch (error) {
    if (!(error instanceof TollgateError)) throw error;
    return `${error.status}:${error.reason}`;
  }
}

describe('createAuthenticator', () => {
  it('builds the auth context from a verified token', async () => {
    const token = await idp.mint({ scope: 'orders:read orders:write', roles: ['admin'], client_id: 'web' });
    const auth = await createAuthenticator(idp.authenticateOptions()).authenticate(get(token));
    expect(auth).toMatchObject({ token, subject: 'user-1', clientId: 'web', issuer: idp.issuer, scopes: ['orders:read', 'orders:write'], roles: ['admin'], scheme: 'Bearer' });
    expect(auth.expiresAt).toBeInstanceOf(Date);
    expect(auth.fingerprint).toMatch(/^[\w-]{16}$/);
    expect(auth.fingerprint).toBe(fingerprint(token));
    expect({ ...auth }.fingerprint).toBe(fingerprint(token));
    expect(Object.isFrozen(auth)).toBe(true);
  });

  it('shares cached contexts deeply frozen, so a handler cannot change what the next request sees', async () => {
    const authenticator = createAuthenticator(idp.authenticateOptions());
    const token = await idp.mint({ realm_access: { roles: ['user'] } });
    const first = await authenticator.authenticate(get(token));
    expect(() => { (first.claims.realm_access as { roles: string[] }).roles.push('admin'); }).toThrow(TypeError);
    const second = await authenticator.authenticate(get(token));
    expect(second.claims.realm_access).toEqual({ roles: ['user'] });
  });

  it('trusts several issuers, each with its own keys and audience, chosen by iss', async () => {
    const options: AuthenticateOptions = { issuers: [idp.authenticateOptions(), other.authenticateOptions()] };
    expect(await outcome(options, get(await idp.mint()))).toBe('ok:user-1');
    expect(await outcome(options, get(await other.mint({ sub: 'svc' })))).toBe('ok:svc');
    // a token of one issuer with the audience of the other is refused
    expect(await outcome(options, get(await other.mint({ aud: idp.audience })))).toBe('401:wrong_audience');
    // a token claiming one issuer but signed by the other's key is refused
    expect(await outcome(options, get(await other.mint({ iss: idp.issuer, aud: idp.audience })))).toMatch(/^401:(alg_not_allowed|unknown_key)$/);
  });

  it.each(['jku', 'x5u', 'jwk', 'x5c'])('refuses a %s header even on a token the issuer signed', async (name) => {
    const token = await idp.mint({}, { header: { [name]: name === 'jwk' ? { kty: 'oct', k: 'AA' } : name === 'x5c' ? ['MIIB'] : 'https://keys.example/set.json' } });
    expect(await outcome(idp.authenticateOptions(), get(token))).toBe('401:forbidden_header');
    expect(await outcome({ issuer: idp.issuer, audience: idp.audience, jwks: idp.jwks() }, get(token))).toBe('401:forbidden_header');
    expect(await outcome({ issuer: idp.issuer, audience: idp.audience, publicKey: idp.jwks().keys[0]! }, get(token))).toBe('401:forbidden_header');
  });

  it('refuses a key-locating header before the key set is asked: no fetch for a forged jku token', async () => {
    const before = idp.jwksRequests;
    const forged = await idp.mint({}, { key: await idp.foreignKey(), header: { jku: 'https://attacker.example/keys.json', kid: 'attacker-1' } });
    expect(await outcome(idp.authenticateOptions(), get(forged))).toBe('401:forbidden_header');
    expect(await outcome({ issuer: idp.issuer, audience: idp.audience, jwks: idp.jwks() }, get(forged))).toBe('401:forbidden_header');
    expect(idp.jwksRequests).toBe(before);
  });

  it('with several issuers, a token of neither is refused before any key set is fetched', async () => {
    const authenticator = createAuthenticator({ issuers: [idp.authenticateOptions(), other.authenticateOptions()] });
    const before = [idp.jwksRequests, other.jwksRequests];
    await expect(authenticator.authenticate(get(await idp.mint({ iss: 'https://evil.example' })))).rejects.toMatchObject({ status: 401, reason: 'untrusted_issuer' });
    expect([idp.jwksRequests, other.jwksRequests]).toEqual(before);
  });

  it('with one issuer, jose checks iss after the signature: missing, untrusted and forged issuers all deny', async () => {
    const options = idp.authenticateOptions();
    expect(await outcome(options, get(await idp.mint({}, { omit: ['iss'] })))).toBe('401:missing_claim');
    expect(await outcome(options, get(await idp.mint({ iss: 'https://evil.example' })))).toBe('401:untrusted_issuer');
    expect(await outcome(options, get(await idp.mint({ iss: 42 as unknown as string })))).toBe('401:untrusted_issuer');
    expect(await outcome(options, get(await other.mint({ iss: idp.issuer, aud: idp.audience })))).toMatch(/^401:(alg_not_allowed|unknown_key)$/);
    // several issuers: the unverified iss picks the keys, and an unknown one is refused before any key is used
    const two: AuthenticateOptions = { issuers: [idp.authenticateOptions(), other.authenticateOptions()] };
    expect(await outcome(two, get(await idp.mint({}, { omit: ['iss'] })))).toBe('401:missing_claim');
    expect(await outcome(two, get(await idp.mint({ iss: 'https://evil.example' })))).toBe('401:untrusted_issuer');
  });

  it('with maxTokenAge, refuses a token issued in the future (past the clock tolerance) as not yet valid', async () => {
    const iat = Math.floor(Date.now() / 1000) + 600;
    expect(await outcome({ ...idp.authenticateOptions(), maxTokenAge: 3600 }, get(await idp.mint({ iat })))).toBe('401:not_yet_valid');
    expect(await outcome({ ...idp.authenticateOptions(), maxTokenAge: 3600, clockTolerance: 900 }, get(await idp.mint({ iat })))).toBe('ok:user-1');
  });

  it('verifies with a local JWKS, a PEM public key, and an HMAC secret', async () => {
    const token = await idp.mint();
    expect(await outcome({ issuer: idp.issuer, audience: idp.audience, jwks: idp.jwks() }, get(token))).toBe('ok:user-1');
    const secret = 'a-very-long-shared-secret-for-hs256!';
    const hs = await new SignJWT({ sub: 'svc', iss: 'internal', aud: 'api' }).setProtectedHeader({ alg: 'HS256' }).setExpirationTime('1m').sign(new TextEncoder().encode(secret));
    expect(await outcome({ issuer: 'internal', audience: 'api', secret }, get(hs))).toBe('ok:svc');
    expect(await outcome({ issuer: 'internal', audience: 'api', secret: `${secret}x` }, get(hs))).toBe('401:bad_signature');
  });

  it('finds the JWKS through OpenID discovery', async () => {
    expect(await outcome({ issuer: idp.issuer, audience: idp.audience, discovery: true }, get(await idp.mint()))).toBe('ok:user-1');
  });

  it('answers 503 while discovery cannot reach the issuer', async () => {
    const options: AuthenticateOptions = { issuer: 'http://127.0.0.1:9', audience: 'api', discovery: true, jwksOptions: { cooldownMs: 0, timeoutMs: 500 } };
    const token = await idp.mint({ iss: 'http://127.0.0.1:9', aud: 'api' });
    expect(await outcome(options, get(token))).toBe('503:key_source_unavailable');
  });

  it('warms the JWKS up at setup when asked', async () => {
    const before = idp.jwksRequests;
    const authenticator = createAuthenticator({ ...idp.authenticateOptions(), warmup: true });
    for (let i = 0; i < 50 && idp.jwksRequests === before; i++) await new Promise((r) => setTimeout(r, 10));
    expect(idp.jwksRequests).toBe(before + 1);
    await authenticator.authenticate(get(await idp.mint()));
    expect(idp.jwksRequests).toBe(before + 1);
  });

  it('follows key rotation through the JWKS', async () => {
    const rotating = await createTestIssuer();
    try {
      const authenticator = createAuthenticator({ ...rotating.authenticateOptions(), jwksOptions: { cooldownMs: 0 } });
      await authenticator.authenticate(get(await rotating.mint()));
      await rotating.rotate();
      const fresh = await rotating.mint({ sub: 'after-rotation' });
      expect((await authenticator.authenticate(get(fresh))).subject).toBe('after-rotation');
    } finally {
      await rotating.close();
    }
  });

  it('caches verified tokens, but never past exp', async () => {
    let clock = Date.now();
    const events: AuditEvent[] = [];
    const authenticator = createAuthenticator({ ...idp.authenticateOptions(), now: () => clock, clockTolerance: 0, audit: (e) => events.push(e) });
    const token = await idp.mint({}, { expiresIn: 10 });
    await authenticator.authenticate(get(token));
    await authenticator.authenticate(get(token));
    expect(events.map((e) => e.type === 'authenticated' && e.cached)).toEqual([false, true]);
    clock += 11_000;
    await expect(authenticator.authenticate(get(token))).rejects.toMatchObject({ status: 401, reason: 'expired' });
  });

  it('re-checks maxTokenAge on cached entries', async () => {
    let clock = Date.now();
    const authenticator = createAuthenticator({ ...idp.authenticateOptions(), now: () => clock, maxTokenAge: 60, clockTolerance: 0 });
    const token = await idp.mint({}, { expiresIn: 3600 });
    await authenticator.authenticate(get(token));
    clock += 61_000;
    await expect(authenticator.authenticate(get(token))).rejects.toMatchObject({ status: 401 });
  });

  it('verifies every time with the cache off', async () => {
    const events: AuditEvent[] = [];
    const authenticator = createAuthenticator({ ...idp.authenticateOptions(), cache: false, audit: (e) => events.push(e) });
    const token = await idp.mint();
    await authenticator.authenticate(get(token));
    await authenticator.authenticate(get(token));
    expect(events.map((e) => e.type === 'authenticated' && e.cached)).toEqual([false, false]);
  });

  it('honours clockTolerance for exp', async () => {
    const token = await idp.mint({}, { expiresIn: -3 });
    expect(await outcome(idp.authenticateOptions(), get(token))).toBe('ok:user-1');
    expect(await outcome({ ...idp.authenticateOptions(), clockTolerance: 0 }, get(token))).toBe('401:expired');
  });

  it('requires the configured claims and typ', async () => {
    expect(await outcome({ ...idp.authenticateOptions(), requiredClaims: ['jti'] }, get(await idp.mint({}, { omit: ['jti'] })))).toBe('401:missing_claim');
    expect(await outcome({ ...idp.authenticateOptions(), typ: 'at+jwt' }, get(await idp.mint()))).toBe('401:wrong_type');
    expect(await outcome({ ...idp.authenticateOptions(), typ: 'at+jwt' }, get(await idp.mint({}, { header: { typ: 'application/at+jwt' } })))).toBe('ok:user-1');
  });

  it('never reuses the jwtVerify options of one parsed configuration for another that shares its issuers', async () => {
    const loose = parseAuthenticateOptions(idp.authenticateOptions());
    const strict = { ...loose, typ: 'at+jwt' };
    const token = await idp.mint();
    await expect(verifyToken(token, loose)).resolves.toMatchObject({ claims: { sub: 'user-1' } });
    await expect(verifyToken(token, strict)).rejects.toMatchObject({ status: 401, reason: 'wrong_type' });
  });

  it('accepts one spelling of a token: a padded or white-spaced segment is refused before any key work', async () => {
    const options = parseAuthenticateOptions(idp.authenticateOptions());
    const token = await idp.mint();
    const [h, p, s] = token.split('.') as [string, string, string];
    expect(s.length % 4).toBe(2); // 256 signature bytes: "==" would pad it
    const before = idp.jwksRequests;
    for (const variant of [`${h}\n.${p}.${s}`, `${h}.${p.slice(0, 4)} ${p.slice(4)}.${s}`, `${h}.${p}.${s}==`]) {
      await expect(verifyToken(variant, options)).rejects.toMatchObject({ status: 401, code: 'invalid_token', reason: 'non_canonical' });
    }
    expect(idp.jwksRequests).toBe(before);
    await expect(verifyToken(token, options)).resolves.toMatchObject({ claims: { sub: 'user-1' } });
    // a segment that is no base64url at all stays a malformed token
    await expect(verifyToken(`${h}.${p}.${s}=`, options)).rejects.toMatchObject({ status: 401, reason: 'malformed_token' });
  });

  it('tells a CORS preflight from a plain OPTIONS, and refuses the old allowPreflight switch at setup', () => {
    const preflight = { method: 'OPTIONS', url: '/orders', headers: { 'access-control-request-method': 'POST', origin: 'https://app.example' } };
    expect(isPreflight(preflight)).toBe(true);
    expect(isPreflight({ ...preflight, headers: {} })).toBe(false);
    expect(isPreflight({ ...preflight, method: 'GET' })).toBe(false);
    expect(() => createAuthenticator({ ...idp.authenticateOptions(), allowPreflight: true } as AuthenticateOptions)).toThrow(expect.objectContaining({ code: 'ERR_TOLLGATE_INVALID_OPTION', message: expect.stringContaining('answered 204') }));
  });
});

describe('the hot path: attempt()', () => {
  it('answers a cache hit synchronously, and still re-checks exp on it', async () => {
    let clock = Date.now();
    const authenticator = createAuthenticator({ ...idp.authenticateOptions(), now: () => clock, clockTolerance: 0 });
    const token = await idp.mint({}, { expiresIn: 10 });
    const first = authenticator.attempt(get(token));
    expect(first).toBeInstanceOf(Promise);
    const auth = await first;
    const hit = authenticator.attempt(get(token));
    expect(hit).not.toBeInstanceOf(Promise);
    expect(hit).toBe(auth);
    clock += 11_000;
    await expect(Promise.resolve().then(() => authenticator.attempt(get(token)))).rejects.toMatchObject({ status: 401, reason: 'expired' });
  });

  it('never serves a token from the cache that only shares the signature of a cached one', async () => {
    const authenticator = createAuthenticator(idp.authenticateOptions());
    const token = await idp.mint({ scope: 'orders:read' });
    await authenticator.authenticate(get(token)); // cached
    const [header, payload, signature] = token.split('.');
    const claims = JSON.parse(Buffer.from(payload!, 'base64url').toString()) as Record<string, unknown>;
    const tampered = `${header}.${Buffer.from(JSON.stringify({ ...claims, scope: 'orders:read admin' })).toString('base64url')}.${signature}`;
    await expect(authenticator.authenticate(get(tampered))).rejects.toMatchObject({ status: 401, reason: 'bad_signature' });
    // and a token with a different signature but the same tail is no hit either
    const sameTail = `${header}.${payload}.${'A'.repeat(8)}${signature!.slice(8)}`;
    await expect(authenticator.authenticate(get(sameTail))).rejects.toMatchObject({ status: 401 });
    expect((await authenticator.authenticate(get(token))).scopes).toEqual(['orders:read']);
  });

  it.each(['Bearer', 'Bearer ', 'Bearer a b', 'Bearer a=b', 'Bearer "abc"', ' Bearer abc', 'Bearer\tabc', 'Bearer abc.d\u00e9f.ghi'])(
    'refuses the malformed header %j with 400: the characters are checked on a miss, before anything reads the token',
    async (authorization) => {
      const authenticator = createAuthenticator(idp.authenticateOptions());
      await expect(authenticator.authenticate({ method: 'GET', url: '/', headers: { authorization } })).rejects.toMatchObject({ status: 400, code: 'invalid_request', reason: 'malformed_header' });
    },
  );

  it('reads the token after any number of spaces, under any case of the scheme', async () => {
    const authenticator = createAuthenticator(idp.authenticateOptions());
    const token = await idp.mint();
    for (const authorization of [`Bearer  ${token}`, `bEaReR ${token}`]) {
      expect((await authenticator.authenticate({ method: 'GET', url: '/', headers: { authorization } })).token).toBe(token);
    }
  });

  it('goes async for what a hit cannot answer alone: a revocation lookup', async () => {
    const revocation = new MemoryRevocationStore();
    const authenticator = createAuthenticator({ ...idp.authenticateOptions(), revocation });
    const token = await idp.mint({ jti: 'j-1' });
    await authenticator.authenticate(get(token));
    expect(authenticator.attempt(get(token))).toBeInstanceOf(Promise);
    await revocation.revokeToken('j-1', new Date(Date.now() + 3_600_000));
    await expect(authenticator.attempt(get(token))).rejects.toMatchObject({ status: 401, reason: 'revoked' });
  });
});

describe('audit events', () => {
  it('reports each decision with the fingerprint, never the token or the query', async () => {
    const events: AuditEvent[] = [];
    const authenticator = createAuthenticator({ ...idp.authenticateOptions(), audit: (e) => events.push(e) });
    const good = await idp.mint({ scope: 'orders:read' });
    const expired = await idp.mint({}, { expiresIn: -60 });
    const auth = await authenticator.authenticate(get(good));
    await authenticator.authenticate(get(expired)).catch(() => {});
    await authenticator.authenticate(get()).catch(() => {});
    await createScopeGuard('orders:write').check(auth, get(good)).catch(() => {});
    expect(events.map((e) => [e.type, 'reason' in e ? e.reason : undefined])).toEqual([
      ['authenticated', undefined], ['rejected', 'expired'], ['rejected', 'no_token'], ['forbidden', 'insufficient_scope'],
    ]);
    expect(events[0]).toMatchObject({ method: 'GET', path: '/orders', fingerprint: auth.fingerprint, subject: 'user-1', issuer: idp.issuer });
    expect(events[1]).toMatchObject({ status: 401, code: 'invalid_token' });
    expect(events[1]!.fingerprint).toMatch(/^[\w-]{16}$/);
    expect(events[3]).toMatchObject({ status: 403, missing: ['orders:write'] });
    const serialized = JSON.stringify(events);
    expect(serialized).not.toContain(good);
    expect(serialized).not.toContain(expired.split('.')[1]);
    expect(serialized).not.toContain('x=1');
  });

  it('stamps the events of guards and limiters with the authenticator\'s clock, as its own', async () => {
    const events: AuditEvent[] = [];
    const at = Math.floor(Date.now() / 1000) * 1000 + 1234; // inside the token's lifetime, never the wall clock
    const authenticator = createAuthenticator({ ...idp.authenticateOptions(), audit: (e) => events.push(e), now: () => at });
    const auth = await authenticator.authenticate(get(await idp.mint({ scope: 'orders:read' })));
    await createScopeGuard('orders:write').check(auth, get()).catch(() => {});
    const limiter = createRateLimiter({ limit: 1, windowMs: 60_000 });
    await limiter.check(auth, get());
    await limiter.check(auth, get()).catch(() => {});
    expect(events.map((e) => [e.type, e.time])).toEqual([
      ['authenticated', new Date(at).toISOString()], ['forbidden', new Date(at).toISOString()], ['rejected', new Date(at).toISOString()],
    ]);
  });

  it('never lets a throwing sink change the decision', async () => {
    const authenticator = createAuthenticator({ ...idp.authenticateOptions(), audit: () => { throw new Error('disk full'); } });
    await expect(authenticator.authenticate(get(await idp.mint()))).resolves.toMatchObject({ subject: 'user-1' });
    await expect(authenticator.authenticate(get())).rejects.toMatchObject({ status: 401 });
  });

  it('writes to a pino-style logger: accepted at info, refusals at warn', async () => {
    const lines: [string, object, string | undefined][] = [];
    const logger = { info: (o: object, m?: string) => lines.push(['info', o, m]), warn: (o: object, m?: string) => lines.push(['warn', o, m]) };
    const authenticator = createAuthenticator({ ...idp.authenticateOptions(), audit: pinoAuditSink(logger) });
    await authenticator.authenticate(get(await idp.mint()));
    await authenticator.authenticate(get('a.b.c')).catch(() => {});
    expect(lines.map(([level, obj]) => [level, (obj as { tollgate: AuditEvent }).tollgate.type])).toEqual([['info', 'authenticated'], ['warn', 'rejected']]);
    expect(lines[1]![2]).toBe('tollgate: request rejected (malformed_token)');
  });
});

describe('TollgateError', () => {
  it('shows no stack frames, keeps the cause, and quotes challenge values safely', async () => {
    const error = await createAuthenticator(idp.authenticateOptions()).authenticate(get(await idp.mint({}, { expiresIn: -60 }))).then(() => undefined, (e: unknown) => e as TollgateError);
    if (error === undefined) throw new Error('expected a refusal');
    expect(error.stack).toBe('TollgateError: The access token expired');
    expect((error.cause as Error).name).toBe('JWTExpired');
    expect(error).toMatchObject({ status: 401, statusCode: 401, code: 'invalid_token', expose: true });
    const quoted = new TollgateError('invalid_token', 'bad "quote" \\ and\nnewline', { reason: 'malformed_token', challenge: { scheme: 'Bearer', realm: 'a"b' } });
    expect(quoted.headers['WWW-Authenticate']).toBe('Bearer realm="ab", error="invalid_token", error_description="bad quote  andnewline"');
  });
});
