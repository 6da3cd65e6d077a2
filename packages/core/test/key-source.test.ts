/**
 * Remote key sources against a JWKS server on loopback that the test controls: failing, slow,
 * endless, mislabelled, and serving keys that share a kid. The clock is injected (`now`), so
 * cache ages and cooldowns pass without sleeping; `fetch` is only wrapped to count calls.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, type JSONWebKeySet } from 'jose';
import { createAuthenticator, TollgateError, type AuthenticateOptions, type Authenticator, type TollgateRequest } from '@tollgate/core';
import { createTestIssuer, type TestIssuer } from '@tollgate/testing';

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

/** A JWKS (and discovery) server whose behaviour each test sets. */
interface KeyServer {
  readonly origin: string;
  readonly jwksUri: string;
  /** Requests answered so far. */
  readonly requests: number;
  handle: Handler;
  close(): Promise<void>;
}

async function keyServer(): Promise<KeyServer> {
  let requests = 0;
  const state: { handle: Handler } = { handle: (_req, res) => { res.writeHead(404).end(); } };
  const server: Server = createServer((req, res) => {
    requests += 1;
    state.handle(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    origin,
    jwksUri: `${origin}/jwks.json`,
    get requests() { return requests; },
    get handle() { return state.handle; },
    set handle(handle: Handler) { state.handle = handle; },
    close: () => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
  };
}

const serveJson = (body: unknown, type = 'application/json'): Handler => (_req, res) => {
  res.writeHead(200, { 'content-type': type }).end(JSON.stringify(body));
};
const failing: Handler = (_req, res) => { res.writeHead(503).end(); };
const endless: Handler = (_req, res) => {
  res.writeHead(200, { 'content-type': 'application/json' });
  res.write('{"keys":[');
  const chunk = `${'{"kty":"RSA","n":"AQAB","e":"AQAB"},'.repeat(1000)}`;
  const pump = (): void => {
    while (!res.destroyed && res.write(chunk)) { /* until the socket pushes back */ }
    if (!res.destroyed) res.once('drain', pump);
  };
  pump();
};

const get = (token: string): TollgateRequest => ({ method: 'GET', url: '/', headers: { authorization: `Bearer ${token}` } });

/** `ok`, or `status:reason` of the TollgateError, plus the error for closer looks. */
async function attempt(target: AuthenticateOptions | Authenticator, token: string): Promise<{ outcome: string; error?: TollgateError }> {
  const authenticator = 'authenticate' in target && typeof target.authenticate === 'function' ? target as Authenticator : createAuthenticator(target as AuthenticateOptions);
  try {
    await authenticator.authenticate(get(token));
    return { outcome: 'ok' };
  } catch (error) {
    if (!(error instanceof TollgateError)) throw error;
    return { outcome: `${error.status}:${error.reason}`, error };
  }
}

let t = Date.now();
const now = () => t;
let idp: TestIssuer;
let server: KeyServer;
beforeAll(async () => { idp = await createTestIssuer({ now }); });
afterAll(async () => { await idp.close(); });
afterEach(async () => { await server?.close(); });

describe('a remote JWKS that fails', () => {
  it('is fetched once per cooldown however many forged tokens arrive, and again after it', async () => {
    server = await keyServer();
    server.handle = failing;
    let fetches = 0;
    const authenticator = createAuthenticator({
      issuer: idp.issuer, audience: idp.audience, jwksUri: server.jwksUri, now,
      jwksOptions: { cooldownMs: 30_000 }, fetch: (input, init) => { fetches += 1; return fetch(input, init); },
    });
    const forged = await idp.mint({}, { key: await idp.foreignKey() });
    const outcomes = await Promise.all(Array.from({ length: 25 }, () => attempt(authenticator, forged)));
    for (let i = 0; i < 25; i += 1) outcomes.push(await attempt(authenticator, forged));
    expect(new Set(outcomes.map((o) => o.outcome))).toEqual(new Set(['503:key_source_unavailable']));
    expect(fetches).toBe(1);
    expect(server.requests).toBe(1);
    t += 30_001;
    server.handle = serveJson(idp.jwks());
    await expect(attempt(authenticator, await idp.mint())).resolves.toEqual({ outcome: 'ok' });
    expect(fetches).toBe(2);
  });

  it('keeps serving the last good keys while a refresh fails, for staleIfErrorMs, then answers 503', async () => {
    server = await keyServer();
    server.handle = serveJson(idp.jwks());
    const authenticator = createAuthenticator({
      issuer: idp.issuer, audience: idp.audience, jwksUri: server.jwksUri, now, cache: false,
      jwksOptions: { cacheMaxAgeMs: 60_000, cooldownMs: 1000, staleIfErrorMs: 600_000 },
    });
    expect((await attempt(authenticator, await idp.mint())).outcome).toBe('ok');
    server.handle = failing;
    t += 120_000; // the set is stale and the issuer is down
    expect((await attempt(authenticator, await idp.mint())).outcome).toBe('ok');
    expect(server.requests).toBe(2);
    t += 10_000; // still down: one more attempt after the cooldown, the old keys answer again
    expect((await attempt(authenticator, await idp.mint())).outcome).toBe('ok');
    expect(server.requests).toBe(3);
    t += 600_000; // past cacheMaxAgeMs + staleIfErrorMs: the old keys are no longer trusted
    expect((await attempt(authenticator, await idp.mint())).outcome).toBe('503:key_source_unavailable');
    server.handle = serveJson(idp.jwks());
    t += 1001;
    expect((await attempt(authenticator, await idp.mint())).outcome).toBe('ok');
  });

  it('serves no stale keys with staleIfErrorMs: 0', async () => {
    server = await keyServer();
    server.handle = serveJson(idp.jwks());
    const options: AuthenticateOptions = { issuer: idp.issuer, audience: idp.audience, jwksUri: server.jwksUri, now, cache: false, jwksOptions: { cacheMaxAgeMs: 60_000, staleIfErrorMs: 0 } };
    const authenticator = createAuthenticator(options);
    expect((await attempt(authenticator, await idp.mint())).outcome).toBe('ok');
    server.handle = failing;
    t += 60_001;
    expect((await attempt(authenticator, await idp.mint())).outcome).toBe('503:key_source_unavailable');
  });

  it.each([
    ['an endless body', endless, /larger than 1048576 bytes/],
    ['a declared length over 1 MiB', ((_req, res) => { res.writeHead(200, { 'content-type': 'application/json', 'content-length': String(2 * 1024 * 1024) }); res.write('{'); }) as Handler, /larger than 1048576 bytes/],
    ['another content type', serveJson({ keys: [] }, 'text/html'), /content type "text\/html"/],
    ['no content type', ((_req, res) => { res.writeHead(200).end('{"keys":[]}'); }) as Handler, /content type ""/],
    ['a body that is not JSON', ((_req, res) => { res.writeHead(200, { 'content-type': 'application/json' }).end('<html>'); }) as Handler, /not valid JSON/],
    ['JSON that is no JWK Set', serveJson({ hello: 'world' }), /not a JWK Set/],
    ['a redirect', ((_req, res) => { res.writeHead(302, { location: 'https://attacker.example/jwks.json' }).end(); }) as Handler, /answered 302/],
  ])('answers 503 for %s, and never waits for the timeout', async (_what, handle, message) => {
    server = await keyServer();
    server.handle = handle;
    // A timeout longer than the test's: only the check under test can end the request in time.
    const result = await attempt({ issuer: idp.issuer, audience: idp.audience, jwksUri: server.jwksUri, now, jwksOptions: { timeoutMs: 60_000 } }, await idp.mint());
    expect(result.outcome).toBe('503:key_source_unavailable');
    expect(String((result.error?.cause as Error | undefined)?.message)).toMatch(message);
  });

  it('answers 503 once timeoutMs has passed for a server that never answers', async () => {
    server = await keyServer();
    server.handle = () => { /* never answers */ };
    const result = await attempt({ issuer: idp.issuer, audience: idp.audience, jwksUri: server.jwksUri, now, jwksOptions: { timeoutMs: 200 } }, await idp.mint());
    expect(result.outcome).toBe('503:key_source_unavailable');
  });

  it('accepts application/jwk-set+json (RFC 7517 §8.5)', async () => {
    server = await keyServer();
    server.handle = serveJson(idp.jwks(), 'application/jwk-set+json; charset=utf-8');
    expect((await attempt({ issuer: idp.issuer, audience: idp.audience, jwksUri: server.jwksUri, now }, await idp.mint())).outcome).toBe('ok');
  });
});

describe('discovery that misbehaves', () => {
  it.each([
    ['an endless body', endless],
    ['another content type', ((_req, res) => { res.writeHead(200, { 'content-type': 'text/plain' }).end(JSON.stringify({ issuer: 'x', jwks_uri: 'http://127.0.0.1:9/' })); }) as Handler],
  ])('answers 503 for %s', async (_what, handle) => {
    server = await keyServer();
    server.handle = handle;
    const token = await idp.mint({ iss: server.origin });
    const result = await attempt({ issuer: server.origin, audience: idp.audience, discovery: true, now, jwksOptions: { timeoutMs: 60_000 } }, token);
    expect(result.outcome).toBe('503:key_source_unavailable');
  });
});

describe('keys that share a kid, or tokens without one', () => {
  async function setWithTwin(): Promise<JSONWebKeySet> {
    const twin = await exportJWK((await generateKeyPair('RS256', { extractable: true })).publicKey);
    const [real] = idp.jwks().keys;
    // The issuer's own key last, behind a stranger under the same kid.
    return { keys: [{ ...twin, kid: real!.kid, alg: 'RS256', use: 'sig' }, real!] };
  }

  it('tries every candidate key of a local set within the allow-list', async () => {
    const jwks = await setWithTwin();
    const options: AuthenticateOptions = { issuer: idp.issuer, audience: idp.audience, jwks, now };
    expect((await attempt(options, await idp.mint())).outcome).toBe('ok');
    expect((await attempt(options, await idp.mint({}, { header: { kid: undefined } }))).outcome).toBe('ok');
    expect((await attempt(options, await idp.mint({}, { key: await idp.foreignKey() }))).outcome).toBe('401:bad_signature');
  });

  it('tries every candidate key of a remote set', async () => {
    server = await keyServer();
    server.handle = serveJson(await setWithTwin());
    const options: AuthenticateOptions = { issuer: idp.issuer, audience: idp.audience, jwksUri: server.jwksUri, now };
    const authenticator = createAuthenticator(options);
    expect((await attempt(authenticator, await idp.mint())).outcome).toBe('ok');
    expect((await attempt(authenticator, await idp.mint({}, { header: { kid: undefined } }))).outcome).toBe('ok');
    expect((await attempt(authenticator, await idp.mint({}, { key: await idp.foreignKey() }))).outcome).toBe('401:bad_signature');
  });

  it('still refuses an algorithm outside the allow-list, whatever the set holds', async () => {
    const jwks = await setWithTwin();
    const hs = await idp.mint({}, { header: { alg: 'HS256', kid: undefined }, key: new TextEncoder().encode('x'.repeat(32)) });
    expect((await attempt({ issuer: idp.issuer, audience: idp.audience, jwks, now }, hs)).outcome).toBe('401:alg_not_allowed');
  });
});

describe('jwksOptions', () => {
  it.each<[string, unknown]>([
    ['an unknown name (a typo must not leave a default in place)', { staleIfError: 0 }],
    ['a negative staleIfErrorMs', { staleIfErrorMs: -1 }],
    ['a zero timeoutMs', { timeoutMs: 0 }],
    ['a cooldownMs that is no number', { cooldownMs: '30s' }],
    ['headers that are no object', { headers: 'x' }],
  ])('refuse %s at setup', (_what, jwksOptions) => {
    expect(() => createAuthenticator({ issuer: idp.issuer, audience: idp.audience, jwksUri: idp.jwksUri, jwksOptions: jwksOptions as never }))
      .toThrow(expect.objectContaining({ code: expect.stringMatching(/^ERR_TOLLGATE_(INVALID|UNKNOWN)_OPTION$/) }));
  });
});
