// `npm run bench:verify`: micro-benchmarks, interleaved rounds in serpentine order.
//  1. Tollgate's uncached verify path (core `createAuthenticator({ cache: false }).authenticate`,
//     and core `verifyToken` alone) against raw `jose.jwtVerify` on the same key, per algorithm,
//     each algorithm in a process of its own (as a service runs one configuration): one
//     algorithm's key types cannot shape the compiled code another's are measured with.
//  2. The per-request cost of each middleware step in isolation, in this process.
// Knobs: BENCH_VERIFY_MS (per measurement, default 120), BENCH_VERIFY_ROUNDS (default 30),
//        BENCH_VERIFY_CONCURRENCY (operations in flight, default 1 = sequential).
import { execFile } from 'node:child_process';
import { createPublicKey } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import {
  createAuthenticator, createRateLimiter, createReplayGuard, createScopeGuard, extractToken, fingerprint, MemoryNonceStore, parseAuthenticateOptions, verifyToken,
} from '@tollgate/core';
import { integer, machine } from './lib/config.mjs';
import { writeResults } from './lib/results.mjs';
import { importFromRoot } from './lib/root.mjs';
import { fmt, markdownTable, median, serpentine, timestamp } from './lib/stats.mjs';

const MS = integer('BENCH_VERIFY_MS', 120, { min: 50, max: 60_000 });
const ROUNDS = integer('BENCH_VERIFY_ROUNDS', 30, { max: 200 });
const CONCURRENCY = integer('BENCH_VERIFY_CONCURRENCY', 1, { max: 256 });
const POOL = 256;
const ISSUER = 'https://id.bench.test/';
const AUDIENCE = 'https://api.bench.test';
const jose = await importFromRoot('jose');
const log = (...args) => console.error('[bench:verify]', ...args);

/** Runs `op(i)` for `ms` milliseconds with `CONCURRENCY` operations in flight; ops/s. Bounded by time and by 10 M operations. */
async function opsPerSecond(op, ms = MS) {
  let done = 0;
  let started = 0;
  const deadline = performance.now() + ms;
  const t0 = performance.now();
  async function lane() {
    while (performance.now() < deadline && started < 10_000_000) {
      const i = started++;
      await op(i);
      done++;
    }
  }
  await Promise.all(Array.from({ length: CONCURRENCY }, lane));
  return done / ((performance.now() - t0) / 1000);
}

/** Same for a synchronous step: batches of 1000 calls between clock reads. */
function syncOpsPerSecond(op, ms = MS) {
  let done = 0;
  const t0 = performance.now();
  const deadline = t0 + ms;
  while (performance.now() < deadline && done < 100_000_000) {
    for (let j = 0; j < 1000; j++) op(done + j);
    done += 1000;
  }
  return done / ((performance.now() - t0) / 1000);
}

async function keysFor(alg) {
  if (alg === 'HS256') {
    const secret = new Uint8Array(32).map((_, i) => (i * 37 + 11) & 0xff);
    return { signKey: secret, secret };
  }
  const { privateKey, publicKey } = await jose.generateKeyPair(alg, { extractable: true });
  const jwk = { ...(await jose.exportJWK(publicKey)), kid: `${alg}-1`, alg, use: 'sig' };
  return { signKey: privateKey, jwks: { keys: [jwk] }, keyObject: createPublicKey({ key: jwk, format: 'jwk' }) };
}

async function tokensFor(alg, signKey, count) {
  const now = Math.floor(Date.now() / 1000);
  return Promise.all(Array.from({ length: count }, (_, i) => new jose.SignJWT({ scope: 'orders:read profile', jti: `t-${i}` })
    .setProtectedHeader({ alg, typ: 'JWT', ...(alg === 'HS256' ? {} : { kid: `${alg}-1` }) })
    .setIssuer(ISSUER).setAudience(AUDIENCE).setSubject(`user-${i}`).setIssuedAt(now).setExpirationTime(now + 3600)
    .sign(signKey)));
}

const request = (token) => ({ method: 'GET', url: '/orders', headers: { authorization: `Bearer ${token}` } });

// ---- 1. verify per algorithm, one child process each ----
const ALGS = ['RS256', 'ES256', 'EdDSA', 'HS256'];

/** The variants of one algorithm: { alg, name, pair, op }. */
async function variantsFor(alg) {
  const variants = [];
  const keys = await keysFor(alg);
  const tokens = await tokensFor(alg, keys.signKey, POOL);
  const requests = tokens.map(request);
  const joseOptions = { issuer: ISSUER, audience: AUDIENCE, algorithms: [alg] };
  const base = { issuer: ISSUER, audience: AUDIENCE, algorithms: [alg], cache: false };
  const add = (name, pair, op) => variants.push({ alg, name, pair, op });
  if (alg === 'HS256') {
    const options = { ...base, secret: keys.secret };
    const tg = createAuthenticator(options);
    const parsed = parseAuthenticateOptions(options);
    add('Tollgate authenticate (secret)', 'secret', (i) => tg.authenticate(requests[i % POOL]));
    add('Tollgate verifyToken (secret)', 'secret-verify', (i) => verifyToken(tokens[i % POOL], parsed));
    add('jose.jwtVerify (Uint8Array secret)', 'secret', (i) => jose.jwtVerify(tokens[i % POOL], keys.secret, joseOptions));
    // What importing the secret once would buy: jose imports a Uint8Array into a CryptoKey on every call.
    const imported = await crypto.subtle.importKey('raw', keys.secret, { name: 'HMAC', hash: 'SHA-256' }, false, ['verify']);
    add('jose.jwtVerify (CryptoKey, imported once)', 'cryptokey', (i) => jose.jwtVerify(tokens[i % POOL], imported, joseOptions));
  } else {
    const local = jose.createLocalJWKSet(keys.jwks);
    const tgJwks = createAuthenticator({ ...base, jwks: keys.jwks });
    const tgKey = createAuthenticator({ ...base, publicKey: keys.keyObject });
    const parsedJwks = parseAuthenticateOptions({ ...base, jwks: keys.jwks });
    add('Tollgate authenticate (local jwks)', 'jwks', (i) => tgJwks.authenticate(requests[i % POOL]));
    add('Tollgate verifyToken (local jwks)', 'jwks-verify', (i) => verifyToken(tokens[i % POOL], parsedJwks));
    add('jose.jwtVerify (createLocalJWKSet)', 'jwks', (i) => jose.jwtVerify(tokens[i % POOL], local, joseOptions));
    add('Tollgate authenticate (publicKey KeyObject)', 'key', (i) => tgKey.authenticate(requests[i % POOL]));
    add('jose.jwtVerify (KeyObject)', 'key', (i) => jose.jwtVerify(tokens[i % POOL], keys.keyObject, joseOptions));
    const imported = await jose.importJWK(keys.jwks.keys[0], alg);
    add('jose.jwtVerify (CryptoKey, imported once)', 'cryptokey', (i) => jose.jwtVerify(tokens[i % POOL], imported, joseOptions));
  }
  // Every variant must accept its tokens before it is timed.
  for (const v of variants) await v.op(0);
  return variants;
}


const CHILD = process.env.BENCH_VERIFY_CHILD;
if (CHILD !== undefined) {
  // In a child: time one algorithm's variants and hand the ops/s of every round to the parent.
  if (!ALGS.includes(CHILD)) throw new TypeError(`BENCH_VERIFY_CHILD: unknown algorithm ${CHILD}`);
  const variants = await variantsFor(CHILD);
  const timed = variants.map((v) => ({ alg: v.alg, name: v.name, pair: v.pair, results: [] }));
  for (let round = 0; round < ROUNDS; round++) {
    for (const i of serpentine([...variants.keys()], round)) timed[i].results.push(await opsPerSecond(variants[i].op));
  }
  // Exit once the JSON is out: a pipe is not synchronous everywhere.
  await new Promise((resolve) => process.stdout.write(JSON.stringify(timed), resolve));
  process.exit(0);
}

function runChild(alg) {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [fileURLToPath(import.meta.url)], { env: { ...process.env, BENCH_VERIFY_CHILD: alg }, maxBuffer: 1 << 20 }, (error, stdout, stderr) => {
      if (error !== null) reject(new Error(`bench:verify ${alg} child failed: ${stderr.trim() || error.message}`));
      else resolve(JSON.parse(stdout));
    });
  });
}

log(`verify: ${ALGS.length} algorithms, one process each, × ${ROUNDS} rounds × ${MS} ms per variant, concurrency ${CONCURRENCY}`);
const variants = [];
for (const alg of ALGS) variants.push(...(await runChild(alg)));

function pairRatio(v) {
  if (v.name.startsWith('jose')) return undefined; // yardsticks: the CryptoKey rows show the floor
  const pair = v.pair.replace('-verify', '');
  const yardstick = variants.find((o) => o.alg === v.alg && o.pair === pair && o.name.startsWith('jose'));
  const mine = v.results;
  const theirs = yardstick.results;
  return { against: yardstick.name, ratio: median(mine.map((x, i) => x / theirs[i])) };
}

const verifyRows = variants.map((v) => {
  const ops = median(v.results);
  const r = pairRatio(v);
  return { alg: v.alg, name: v.name, ops, usPerOp: 1e6 / ops, ratio: r?.ratio, against: r?.against };
});
const verifyTable = markdownTable(
  ['alg', 'path (cache off)', 'ops/s', 'µs/op', '× raw jose (same key form)'],
  verifyRows.map((r) => [r.alg, r.name, fmt(r.ops), fmt(r.usPerOp, 1), r.ratio === undefined ? '' : `${fmt(r.ratio, 2)}${r.name.includes('authenticate') ? (r.ratio >= 0.9 ? ' (≥ 0.9: met)' : ' (< 0.9: NOT met)') : ''}`]),
  ['', '', 'r', 'r', 'r'],
);

// ---- 2. each middleware step in isolation (HS256 tokens: the crypto is not what is measured here) ----
const hs = await keysFor('HS256');
const hsTokens = await tokensFor('HS256', hs.secret, 1000);
const hsRequests = hsTokens.map(request);
const cached = createAuthenticator({ issuer: ISSUER, audience: AUDIENCE, secret: hs.secret, algorithms: ['HS256'] });
const auths = [];
for (const req of hsRequests) auths.push(await cached.authenticate(req)); // fills the cache (max 1000)
const parsed = cached.options;
const extractOptions = { locations: parsed.tokenLocations, dpop: false, maxTokenLength: parsed.maxTokenLength, challenges: parsed.challenges };
const scopeGuard = createScopeGuard('orders:read');
const limiter = createRateLimiter({ limit: 1_000_000_000, windowMs: 60_000 });
// A fresh store every 100 000 claims: a full store of live jtis refuses (fails closed) instead of measuring a claim.
let replayGuard;
let replaySeq = 0;
const replayCheck = () => {
  if (replaySeq % 100_000 === 0) replayGuard = createReplayGuard({ store: new MemoryNonceStore({ max: 100_000 }) });
  return replayGuard.check({ ...auths[0], claims: { ...auths[0].claims, jti: `r-${replaySeq++}` } }, hsRequests[0]);
};

// The Express adapter's rate limiter (core's limiter, as under Koa), on stub req/res.
const { rateLimitPerToken } = await import('@tollgate/express');
const expressMiddleware = rateLimitPerToken({ limit: 1_000_000_000, windowMs: 60_000 });
const stubRes = { headersSent: false, setHeader() {}, getHeader() {}, append() {}, on() {}, once() {}, status() { return this; }, send() {} };
const expressLimit = (auth) => new Promise((resolve, reject) => expressMiddleware(
  { auth, headers: {}, method: 'GET', url: '/orders', app: { get() {} } }, stubRes, (err) => (err ? reject(err) : resolve()),
));
// Like every verify variant above, the step must pass once before it is timed.
await expressLimit(auths[0]);
const expressLimiter = (i) => expressLimit(auths[i % 1000]);

const steps = [
  { name: 'extract (core extractToken, Authorization header)', sync: true, op: (i) => extractToken(hsRequests[i % 1000], extractOptions) },
  { name: 'fingerprint (SHA-256 of the token, paid on a cache miss)', sync: true, op: (i) => fingerprint(hsTokens[i % 1000]) },
  { name: 'authenticate() promise API, cache hit (extract + lookup + exp re-check), pool 1000', op: (i) => cached.authenticate(hsRequests[i % 1000]) },
  { name: 'requireScopes: core guard check() promise API', op: (i) => scopeGuard.check(auths[i % 1000], hsRequests[i % 1000]) },
  { name: 'rateLimitPerToken: core limiter check() promise API + memory store (the adapters call the sync-when-possible twins)', op: (i) => limiter.check(auths[i % 1000], hsRequests[i % 1000]) },
  { name: 'rateLimitPerToken (Express adapter + memory store, through a promise of next)', op: expressLimiter },
  { name: 'preventReplay check (core guard + MemoryNonceStore, fresh jti; includes copying the context)', op: replayCheck },
  { name: 'HS256 authenticate, cache off (for scale)', op: (() => { const a = createAuthenticator({ issuer: ISSUER, audience: AUDIENCE, secret: hs.secret, algorithms: ['HS256'], cache: false }); return (i) => a.authenticate(hsRequests[i % 1000]); })() },
];
const stepMs = Math.max(50, Math.round(MS / 2));
log(`steps: ${steps.length} × ${ROUNDS} rounds × ${stepMs} ms`);
const stepResults = new Map(steps.map((s) => [s, []]));
for (let round = 0; round < ROUNDS; round++) {
  for (const s of serpentine(steps, round)) stepResults.get(s).push(s.sync ? syncOpsPerSecond(s.op, stepMs) : await opsPerSecond(s.op, stepMs));
}
const stepRows = steps.map((s) => {
  const ops = median(stepResults.get(s));
  return { name: s.name, ops, nsPerOp: 1e9 / ops };
});
const stepTable = markdownTable(['step (in isolation)', 'ops/s', 'ns/op'], stepRows.map((r) => [r.name, fmt(r.ops), fmt(r.nsPerOp)]), ['', 'r', 'r']);

const m = machine();
const markdown = `Uncached verify, ${POOL} distinct tokens per algorithm, each algorithm in its own process, medians of ${ROUNDS} interleaved rounds of ${MS} ms, `
  + `${CONCURRENCY === 1 ? 'one operation at a time' : `${CONCURRENCY} operations in flight`}; ${m.cpu}, ${m.cores} cores, Node ${m.node}. `
  + 'Target (issue 7): Tollgate authenticate ≥ 0.9× raw jose.jwtVerify on the same key form.\n\n'
  + `${verifyTable}\n\nPer-request cost of each step in isolation (medians of ${ROUNDS} rounds of ${stepMs} ms; async steps include their promise):\n\n${stepTable}\n`;
console.log(markdown);
const file = await writeResults(`verify-${timestamp()}`, { machine: m, ms: MS, rounds: ROUNDS, concurrency: CONCURRENCY, verify: verifyRows, steps: stepRows, markdown });
log(`raw results: ${file}`);
