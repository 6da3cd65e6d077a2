/**
 * Property tests (fast-check) against real apps on loopback, Express 4/5 and Koa 2/3: random
 * Authorization headers, JOSE headers and payloads signed with the right key and with wrong
 * ones, claim shapes for the scope check, and DPoP proofs. Whatever comes in, the answer is never
 * a 5xx, never a hang (each request has a deadline), never shows a stack or the token; a forgery
 * is never accepted; the scope check passes exactly when the token carries the exact scope.
 * API keys (random strings, one character changed, a bad check, an unknown id, a wrong secret
 * under a valid check, a key in both headers) pass only when they are the real key, sent once;
 * a `cnf` claim of any shape never lets a token pass as a plain bearer token.
 *
 * Seeded and bounded in `npm test`; `npm run fuzz` runs the same properties longer
 * (FUZZ_RUNS, default 1000 there; FUZZ_SEED to explore other inputs) and prints what it saw.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createHash, randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { CompactSign, exportJWK, exportSPKI, generateKeyPair, type CryptoKey, type JWK } from 'jose';
import { createDpopHolder, type DpopHolder } from '@tollgate/testing';
import { apiKeyChecksum, ApiKeys, MemoryApiKeyStore } from '@tollgate/core';
import { frameworks, type Framework } from './harness.js';

const RUNS = Number(process.env.FUZZ_RUNS ?? 30);
const SEED = Number(process.env.FUZZ_SEED ?? 20_261_204);
const FUZZING = process.env.FUZZ_RUNS !== undefined;
const ISSUER = 'https://id.fuzz.test/';
const AUDIENCE = 'orders-api';
const ORIGIN = 'https://api.fuzz.test';
const KID = 'fuzz-key-1';
const REQUEST_DEADLINE_MS = 5_000;
/** Jest's per-test limit, grown with the number of runs (a loaded 2-core machine does ~20 runs a second). */
const TEST_TIMEOUT_MS = Math.max(60_000, RUNS * 250);

interface Keys { privateKey: CryptoKey; publicJwk: JWK; pem: string }
let issuerKeys: Keys;
let foreignKeys: Keys;
let holder: DpopHolder;
let otherHolder: DpopHolder;
/** An ES256 key that is not the holder's, for proofs whose signature does not match their jwk. */
let wrongProofKey: CryptoKey;
/** The API keys every app accepts beside JWTs, and the one real key they hold. */
let apiKeys: ApiKeys;
let realKey: string;
const servers: Array<{ name: string; server: Server; base: string }> = [];
/** Statuses seen, per property, for the fuzz run's printout. */
const seen: Record<string, Record<number, number>> = {};

async function keyPair(): Promise<Keys> {
  const { privateKey, publicKey } = await generateKeyPair('RS256', { extractable: true });
  return { privateKey, publicJwk: { ...(await exportJWK(publicKey)), kid: KID, alg: 'RS256', use: 'sig' }, pem: await exportSPKI(publicKey) };
}

function appFor(framework: Framework) {
  const options = { issuer: ISSUER, audience: AUDIENCE, jwks: { keys: [issuerKeys.publicJwk] }, algorithms: ['RS256' as const], dpop: { origin: ORIGIN }, apiKeys };
  return framework.app([{ method: 'get', path: '/orders', guards: (t) => [t.authenticate(options), t.requireScopes('orders:read')] }]);
}

beforeAll(async () => {
  [issuerKeys, foreignKeys, holder, otherHolder] = await Promise.all([keyPair(), keyPair(), createDpopHolder(), createDpopHolder()]);
  wrongProofKey = (await generateKeyPair('ES256')).privateKey;
  apiKeys = new ApiKeys({ store: new MemoryApiKeyStore() });
  realKey = (await apiKeys.create({ name: 'fuzz', subject: 'svc-fuzz', scopes: ['orders:read'] })).key;
  for (const framework of frameworks) {
    const server = createServer(appFor(framework));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    servers.push({ name: framework.name, server, base: `http://127.0.0.1:${(server.address() as AddressInfo).port}` });
  }
});

afterAll(async () => {
  await Promise.all(servers.map(({ server }) => new Promise((resolve) => server.close(resolve))));
  if (FUZZING) {
    const lines = Object.entries(seen).map(([property, statuses]) => `  ${property}: ${JSON.stringify(statuses)}`);
    process.stdout.write(`fuzz: seed ${SEED}, ${RUNS} runs per property and framework\n${lines.join('\n')}\n`);
  }
});

const b64 = (value: string | Uint8Array) => Buffer.from(value).toString('base64url');
const now = () => Math.floor(Date.now() / 1000);

interface Answer { status: number; body: string; challenge: string | null }

/** One request with a deadline; checks what every answer must satisfy (no stack, none of `secrets`). */
async function send(base: string, property: string, headers: Record<string, string>, ...secrets: Array<string | undefined>): Promise<Answer> {
  const response = await fetch(`${base}/orders`, { headers, signal: AbortSignal.timeout(REQUEST_DEADLINE_MS) });
  const body = await response.text();
  (seen[property] ??= {})[response.status] = (seen[property]![response.status] ?? 0) + 1;
  expect(response.status).toBeLessThan(500);
  expect(body).not.toMatch(/^\s+at .+/m);
  for (const secret of secrets) {
    if (secret === undefined || secret.length <= 20) continue;
    expect(body).not.toContain(secret);
    expect(JSON.stringify([...response.headers])).not.toContain(secret);
  }
  return { status: response.status, body, challenge: response.headers.get('www-authenticate') };
}

const property = <T>(arbitrary: fc.Arbitrary<T>, check: (value: T) => Promise<void>) =>
  fc.assert(fc.asyncProperty(arbitrary, check), { seed: SEED, numRuns: RUNS, endOnFailure: true });

/** Signs `payload` (any JSON) under `header` the way the chosen key decides. */
async function sign(header: Record<string, unknown>, payload: unknown, key: 'issuer' | 'foreign' | 'hmac-with-public-key' | 'none' | 'embedded-jwk'): Promise<string> {
  const bytes = new TextEncoder().encode(JSON.stringify(payload));
  if (key === 'none') return `${b64(JSON.stringify({ ...header, alg: 'none' }))}.${b64(bytes)}.`;
  if (key === 'hmac-with-public-key') {
    return new CompactSign(bytes).setProtectedHeader({ ...header, alg: 'HS256' }).sign(new TextEncoder().encode(issuerKeys.pem));
  }
  const extra = key === 'embedded-jwk' ? { jwk: { ...foreignKeys.publicJwk, kid: undefined } } : {};
  return new CompactSign(bytes).setProtectedHeader({ ...header, ...extra, alg: 'RS256' }).sign(key === 'issuer' ? issuerKeys.privateKey : foreignKeys.privateKey);
}

/** A valid token's claims, for the properties that vary one part only. */
const validClaims = (extra: Record<string, unknown> = {}) => ({ iss: ISSUER, aud: AUDIENCE, sub: 'user-1', iat: now(), exp: now() + 300, jti: randomUUID(), ...extra });

/** Whether two compact JWS decode to the same bytes, segment by segment (base64url has spare bits). */
function sameJws(a: string, b: string): boolean {
  const [x, y] = [a.split('.'), b.split('.')];
  return x.length === 3 && y.length === 3 && x.every((segment, i) => /^[\w-]*$/.test(segment) && Buffer.from(segment, 'base64url').equals(Buffer.from(y[i]!, 'base64url')));
}

/** `correct` three times in four, otherwise one of the alternatives: so that complete, valid inputs come up too. */
function mostly<T>(correct: T, ...alternatives: Array<fc.Arbitrary<T> | T>): fc.Arbitrary<T> {
  const others = alternatives.map((a) => (a instanceof fc.Arbitrary ? a : fc.constant(a)));
  return fc.oneof({ weight: 3 * others.length, arbitrary: fc.constant(correct) }, ...others.map((arbitrary) => ({ weight: 1, arbitrary })));
}

const printable = fc.string({ unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)), maxLength: 200 });

describe.each(frameworks.map((f) => [f.name] as const))('%s under fuzzing', (name) => {
  const base = () => servers.find((s) => s.name === name)!.base;

  it('any Authorization header: a 400 or 401 with a challenge, or a 200 only for the genuine token', async () => {
    const genuine = await sign({ kid: KID }, validClaims({ scope: 'orders:read' }), 'issuer');
    const mutated = fc.tuple(fc.nat({ max: genuine.length - 1 }), fc.constantFrom(...'AQgw_-.=~+/ aZ09'.split('')))
      .map(([at, char]) => genuine.slice(0, at) + char + genuine.slice(at + 1));
    const token = fc.oneof(printable, mutated, fc.array(fc.base64String(), { maxLength: 5 }).map((parts) => parts.join('.')), fc.constant(genuine));
    const header = fc.oneof(
      printable,
      fc.tuple(fc.constantFrom('Bearer', 'bearer', 'BEARER', 'DPoP', 'Basic', 'Bearer:', ''), fc.constantFrom(' ', '  ', '\t', ''), token).map(([s, sp, t]) => `${s}${sp}${t}`),
    );
    await property(header, async (value) => {
      const answer = await send(base(), 'authorization header', { authorization: value }, genuine);
      const used = value.replace(/^\S+\s+/, '');
      if (answer.status === 200) expect(sameJws(used, genuine)).toBe(true);
      else expect([400, 401]).toContain(answer.status);
      if (answer.status !== 200) expect(answer.challenge).not.toBeNull();
    });
  }, TEST_TIMEOUT_MS);

  it('JOSE headers and payloads, signed with the right key or wrong ones: a forgery is never accepted', async () => {
    const jsonValue = fc.oneof(fc.string({ maxLength: 20 }), fc.integer(), fc.double(), fc.boolean(), fc.constant(null), fc.array(fc.string({ maxLength: 5 }), { maxLength: 3 }));
    const absent = undefined as unknown;
    const header = fc.record({
      kid: mostly<unknown>(KID, fc.string({ maxLength: 40 }), fc.integer(), '../../../../etc/passwd', absent),
      typ: mostly<unknown>(absent, 'JWT', 'at+jwt', 'dpop+jwt', jsonValue),
      crit: mostly<unknown>(absent, ['exp'], ['x-fuzz'], jsonValue),
      jku: mostly<unknown>(absent, 'http://127.0.0.1:9/keys.json'),
      x5u: mostly<unknown>(absent, 'http://127.0.0.1:9/cert.pem'),
    });
    const claims = fc.record({
      iss: mostly<unknown>(ISSUER, 'https://evil.test/', `${ISSUER} `, [ISSUER], jsonValue, absent),
      aud: mostly<unknown>(AUDIENCE, [AUDIENCE, 'other'], 'orders-api-x', [], jsonValue, absent),
      exp: mostly<unknown>(now() + 300, now() - 300, String(now() + 300), 1e300, Number.MAX_SAFE_INTEGER, jsonValue, absent),
      nbf: mostly<unknown>(absent, now() - 10, now() + 600, jsonValue),
      iat: mostly<unknown>(now(), now() + 3600, jsonValue, absent),
      sub: mostly<unknown>('user-1', jsonValue, absent),
      scope: mostly<unknown>('orders:read', jsonValue, absent),
      cnf: mostly<unknown>(absent, { jkt: 'x' }, jsonValue),
    });
    const payload = mostly<unknown>(absent, jsonValue).chain((odd) => (odd === undefined ? claims : fc.constant(odd)));
    const key = mostly<'issuer' | 'foreign' | 'hmac-with-public-key' | 'none' | 'embedded-jwk'>('issuer', 'foreign', 'hmac-with-public-key', 'none', 'embedded-jwk');
    await property(fc.tuple(header, payload, key), async ([h, p, k]) => {
      let token: string;
      const defined = <T extends object>(o: T) => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));
      const payloadValue = p !== null && typeof p === 'object' && !Array.isArray(p) ? defined(p) : p;
      try {
        token = await sign(defined(h), payloadValue, k);
      } catch {
        return; // jose refuses to sign this header (e.g. a crit it does not know): nothing to send
      }
      const answer = await send(base(), 'jose header and payload', { authorization: `Bearer ${token}` }, token);
      if (k !== 'issuer') {
        expect([400, 401]).toContain(answer.status);
        return;
      }
      if (answer.status === 200) {
        const c = payloadValue as Record<string, unknown>;
        expect(c.iss).toBe(ISSUER);
        expect(c.aud === AUDIENCE || (Array.isArray(c.aud) && c.aud.includes(AUDIENCE))).toBe(true);
        expect(typeof c.exp === 'number' && c.exp > now() - 5).toBe(true);
        expect(c.scope).toBe('orders:read');
        const cnf = c.cnf as Record<string, unknown> | undefined;
        expect(typeof cnf === 'object' && cnf !== null && Object.hasOwn(cnf, 'jkt')).toBe(false); // a DPoP-bound token is refused as Bearer
      } else {
        expect([400, 401, 403]).toContain(answer.status);
      }
    });
  }, TEST_TIMEOUT_MS);

  it('scope claims of every shape: 200 exactly when the token carries the exact scope', async () => {
    const near = fc.constantFrom('orders:read', 'orders:read ', ' orders:read', 'orders:readx', 'orders:read:all', 'ORDERS:READ', 'orders:*', '*', 'orders', 'orders:read\t', 'orders:write', 'orders:read\u0000', 'orders:reaď');
    const scopeString = fc.array(near, { maxLength: 4 }).chain((parts) => fc.constantFrom(' ', '  ', ',', '\t').map((sep) => parts.join(sep)));
    const value = fc.oneof(scopeString, fc.array(near, { maxLength: 4 }), fc.array(fc.oneof(near, fc.integer()), { maxLength: 3 }), fc.record({ 'orders:read': fc.boolean() }), fc.integer(), fc.constant(null));
    const shape = fc.record({ scope: value, scp: value, permissions: value }, { requiredKeys: [] });
    // An independent reading of the documented rule: the first of scope, scp, permissions that is
    // present; a string splits on spaces, an array counts only when it holds strings only.
    const grants = (claims: Record<string, unknown>): string[] => {
      const name = ['scope', 'scp', 'permissions'].find((n) => Object.hasOwn(claims, n));
      const v = name === undefined ? undefined : claims[name];
      if (typeof v === 'string') return v.split(' ');
      if (Array.isArray(v) && v.every((s) => typeof s === 'string')) return v as string[];
      return [];
    };
    await property(shape, async (claims) => {
      const token = await sign({ kid: KID }, validClaims(claims), 'issuer');
      const answer = await send(base(), 'scope claim shapes', { authorization: `Bearer ${token}` }, token);
      expect(answer.status).toBe(grants(claims).includes('orders:read') ? 200 : 403);
    });
  }, TEST_TIMEOUT_MS);

  it('DPoP proofs with any part wrong: 200 only for a complete, fresh, matching proof', async () => {
    const proofParts = fc.record({
      htm: mostly<string | undefined>('GET', 'get', 'POST', undefined),
      htu: mostly<string | undefined>(`${ORIGIN}/orders`, `${ORIGIN}/other`, 'https://evil.test/orders', 'http://api.fuzz.test/orders', `${ORIGIN}/orders/`, undefined),
      iat: mostly<number | string | undefined>('now', 0, -400, 3600, undefined),
      ath: mostly<string | undefined>('right', 'wrong', undefined),
      jti: mostly<string | undefined>('fresh', 'reused', undefined),
      typ: mostly<string | undefined>('dpop+jwt', 'JWT', undefined),
      signer: mostly('holder', 'other-key', 'other-holder'),
      scheme: mostly('DPoP', 'Bearer'),
    });
    const reused = `reused-${randomUUID()}`;
    const token = await sign({ kid: KID }, validClaims({ scope: 'orders:read', cnf: { jkt: holder.jkt } }), 'issuer');
    // The reused jti is spent once before the properties run.
    await send(base(), 'dpop proofs', { authorization: `DPoP ${token}`, dpop: await holder.proof({ htu: `${ORIGIN}/orders`, accessToken: token, jti: reused }) });
    await property(proofParts, async (p) => {
      const signer = p.signer === 'other-holder' ? otherHolder : holder;
      const proof = await signer.proof({
        htu: p.htu ?? '', accessToken: token,
        jti: p.jti === 'reused' ? reused : randomUUID(),
        claims: {
          htm: p.htm, htu: p.htu,
          iat: typeof p.iat === 'number' ? now() + p.iat : p.iat === 'now' ? now() : undefined,
          ath: p.ath === 'right' ? createHash('sha256').update(token).digest('base64url') : p.ath === 'wrong' ? 'x'.repeat(43) : undefined,
          jti: p.jti === 'fresh' ? randomUUID() : p.jti === 'reused' ? reused : undefined,
        },
        header: { typ: p.typ },
        ...(p.signer === 'other-key' ? { signWith: wrongProofKey } : {}),
      }).catch(() => undefined);
      if (proof === undefined) return; // jose would not sign it
      const answer = await send(base(), 'dpop proofs', { authorization: `${p.scheme} ${token}`, dpop: proof }, token);
      const valid = p.scheme === 'DPoP' && p.htm === 'GET' && p.htu === `${ORIGIN}/orders` && (p.iat === 'now' || p.iat === 0)
        && p.ath === 'right' && p.jti === 'fresh' && p.typ === 'dpop+jwt' && p.signer === 'holder';
      if (answer.status === 200) expect(valid).toBe(true);
      else expect([400, 401]).toContain(answer.status);
      if (valid) expect(answer.status).toBe(200);
    });
  }, TEST_TIMEOUT_MS);

  it('a cnf claim of any shape never lets a token pass as a plain bearer token', async () => {
    // No mtls here, so no cnf is verifiable on a Bearer request: every one must be refused.
    const member = fc.oneof(fc.string({ maxLength: 10 }), fc.integer(), fc.constant(null), fc.constant({}), fc.array(fc.string({ maxLength: 3 }), { maxLength: 2 }));
    const cnf = fc.oneof(
      fc.constantFrom<unknown>(-17, 0, '', 'bound', true, false, null, [], [{ jkt: 'x' }], {}),
      fc.oneof(fc.integer(), fc.double(), fc.string({ maxLength: 20 }), fc.array(member, { maxLength: 3 })),
      fc.dictionary(fc.constantFrom('jkt', 'x5t#S256', 'jwk', 'kid', 'jku', '__proto__', 'x'), member, { maxKeys: 3 }),
    );
    await property(cnf, async (value) => {
      const token = await sign({ kid: KID }, validClaims({ scope: 'orders:read', cnf: value }), 'issuer');
      const answer = await send(base(), 'cnf shapes', { authorization: `Bearer ${token}` }, token);
      expect(answer.status).toBe(401);
      expect(answer.challenge).toContain('invalid_token');
    });
  }, TEST_TIMEOUT_MS);

  it('API keys of every kind, in either header or both: 200 only for the real key, sent once', async () => {
    const base62 = fc.constantFrom(...'0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz'.split(''));
    const base62String = (length: number) => fc.string({ unit: base62, minLength: length, maxLength: length });
    const [, realId, realTail] = /^tg_([0-9A-Za-z]{16})_([0-9A-Za-z]{38})$/.exec(realKey)!;
    const realSecret = realTail!.slice(0, 32);
    const withCheck = (body: string) => body + apiKeyChecksum(body);
    const candidate = fc.oneof(
      printable,
      fc.constant(realKey),
      // One character of the real key changed (the same character now and then: then it is the real key).
      fc.tuple(fc.nat({ max: realKey.length - 1 }), base62).map(([at, char]) => realKey.slice(0, at) + char + realKey.slice(at + 1)),
      // The right prefix and shape, with a check that almost never matches.
      fc.tuple(base62String(16), base62String(38)).map(([id, tail]) => `tg_${id}_${tail}`),
      // A valid format and check for an id that does not exist.
      fc.tuple(base62String(16), base62String(32)).map(([id, secret]) => withCheck(`tg_${id}_${secret}`)),
      // The real id with secret characters flipped, the check made valid again.
      fc.array(fc.tuple(fc.nat({ max: 31 }), base62), { minLength: 1, maxLength: 4 }).map((flips) => {
        const secret = flips.reduce((s, [at, char]) => s.slice(0, at) + char + s.slice(at + 1), realSecret);
        return withCheck(`tg_${realId}_${secret}`);
      }),
    );
    const placement = fc.constantFrom('authorization', 'x-api-key', 'both');
    await property(fc.tuple(candidate, placement), async ([key, where]) => {
      const headers: Record<string, string> = {};
      if (where !== 'x-api-key') headers.authorization = `Bearer ${key}`;
      if (where !== 'authorization') headers['x-api-key'] = key;
      const answer = await send(base(), 'api keys', headers, key, realKey);
      if (key === realKey && where !== 'both') expect(answer.status).toBe(200);
      else expect([400, 401]).toContain(answer.status);
      if (answer.status !== 200) expect(answer.challenge).not.toBeNull();
    });
  }, TEST_TIMEOUT_MS);
});
