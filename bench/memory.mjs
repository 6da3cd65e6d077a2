// `npm run bench:memory` (node --expose-gc): pushes BENCH_MEMORY_TOKENS (default 1,000,000) distinct
// HS256 tokens through one authenticator (verified-token cache on, default max 1000), a per-token
// rate limiter (MemoryRateLimitStore, default max 10 000) and a replay guard (MemoryNonceStore,
// default max 100 000), and prints the heap after a full GC at checkpoints. Asserts nothing.
//
// The clock is simulated (every component takes `now`): BENCH_MEMORY_RATE tokens arrive per
// simulated second (default 1000), each living BENCH_MEMORY_LIFETIME s (default 30), so about
// rate × lifetime jtis are live at once, as in a real steady state; a run does not wait for time.
import { createAuthenticator, createRateLimiter, createReplayGuard, MemoryNonceStore, MemoryRateLimitStore } from '@tollgate/core';
import { integer, machine } from './lib/config.mjs';
import { writeResults } from './lib/results.mjs';
import { importFromRoot } from './lib/root.mjs';
import { fmt, markdownTable, timestamp } from './lib/stats.mjs';

if (typeof globalThis.gc !== 'function') {
  console.error('bench:memory needs --expose-gc (npm run bench:memory passes it)');
  process.exit(2);
}
const TOTAL = integer('BENCH_MEMORY_TOKENS', 1_000_000, { min: 1000, max: 10_000_000 });
const BATCH = integer('BENCH_MEMORY_BATCH', 1000, { max: 100_000 });
const CHECKPOINTS = 10;
const ISSUER = 'https://id.bench.test/';
const AUDIENCE = 'https://api.bench.test';
const SECRET = Buffer.alloc(32, 7);
const RATE = integer('BENCH_MEMORY_RATE', 1000, { max: 1_000_000 });
const LIFETIME = integer('BENCH_MEMORY_LIFETIME', 30, { max: 86_400 });
const START = Date.now();
let clock = START;
const now = () => clock;
const log = (...args) => console.error('[bench:memory]', ...args);

// HS256 tokens signed with jose (the root's, as core uses it): cheap next to RSA, so the run
// measures the stores rather than token minting.
const { SignJWT } = await importFromRoot('jose');
function sign(i) {
  const iat = Math.floor(clock / 1000);
  return new SignJWT({ iss: ISSUER, aud: AUDIENCE, sub: `user-${i}`, jti: `m-${i}`, scope: 'orders:read', iat, exp: iat + LIFETIME })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .sign(SECRET);
}

const authenticator = createAuthenticator({ issuer: ISSUER, audience: AUDIENCE, secret: SECRET, algorithms: ['HS256'], now });
const limiter = createRateLimiter({ limit: 1_000_000, windowMs: 60_000, store: new MemoryRateLimitStore({ now }) });
const replay = createReplayGuard({ store: new MemoryNonceStore({ now }), now });
const counts = { authenticated: 0, rejected: 0, rateLimited: 0, replayRefused: 0, replayRefusedWhy: new Map() };

function heap() {
  globalThis.gc();
  globalThis.gc();
  const m = process.memoryUsage();
  return { heapUsed: m.heapUsed, rss: m.rss };
}

async function one(i) {
  clock = START + Math.floor((i * 1000) / RATE);
  const req = { method: 'GET', url: '/orders', headers: { authorization: `Bearer ${await sign(i)}` } };
  let auth;
  try {
    auth = await authenticator.authenticate(req);
    counts.authenticated++;
  } catch {
    counts.rejected++;
    return;
  }
  try {
    await limiter.check(auth, req);
  } catch {
    counts.rateLimited++;
  }
  try {
    await replay.check(auth, req);
  } catch (error) {
    counts.replayRefused++;
    const why = error?.reason ?? error?.code ?? 'error';
    counts.replayRefusedWhy.set(why, (counts.replayRefusedWhy.get(why) ?? 0) + 1);
  }
}

const before = heap();
const points = [{ tokens: 0, ...before, seconds: 0 }];
const t0 = performance.now();
log(`${fmt(TOTAL)} tokens in batches of ${fmt(BATCH)}`);
for (let done = 0; done < TOTAL;) {
  const size = Math.min(BATCH, TOTAL - done);
  const batch = [];
  for (let j = 0; j < size; j++) batch.push(one(done + j));
  await Promise.all(batch);
  done += size;
  if (done % Math.max(BATCH, Math.floor(TOTAL / CHECKPOINTS)) < size || done === TOTAL) {
    const point = { tokens: done, ...heap(), seconds: (performance.now() - t0) / 1000 };
    points.push(point);
    log(`${fmt(done)} tokens: heap ${fmt(point.heapUsed / 2 ** 20, 1)} MiB, ${fmt(point.seconds, 1)} s`);
  }
}
const after = points[points.length - 1];

// A nonce store full of live jtis: how long one more claim takes (bounded: 20 claims).
async function fullStoreProbe(max) {
  const store = new MemoryNonceStore({ max });
  for (let i = 0; i < max; i++) await store.claim(`live-${i}`, 3_600_000);
  const t = performance.now();
  let refused = 0;
  for (let i = 0; i < 20; i++) await store.claim(`extra-${i}`, 3_600_000).catch(() => { refused++; });
  return { max, msPerClaim: (performance.now() - t) / 20, refused };
}
const probe = await fullStoreProbe(100_000);

const MiB = (b) => fmt(b / 2 ** 20, 1);
const table = markdownTable(
  ['tokens', 'heap used (MiB, after GC)', 'Δ heap vs start (MiB)', 'rss (MiB)', 'elapsed s'],
  points.map((p) => [fmt(p.tokens), MiB(p.heapUsed), MiB(p.heapUsed - before.heapUsed), MiB(p.rss), fmt(p.seconds, 1)]),
  ['r', 'r', 'r', 'r', 'r'],
);
const why = [...counts.replayRefusedWhy].map(([k, v]) => `${k} ${fmt(v)}`).join(', ') || 'none';
const m = machine();
const markdown = `${fmt(TOTAL)} distinct HS256 tokens through one authenticator (verified-token cache max 1000), a per-token rate limiter `
  + `(MemoryRateLimitStore, max 10 000 keys) and preventReplay (MemoryNonceStore, max 100 000 live jtis); ${m.cpu}, Node ${m.node}.\n\n${table}\n\n`
  + `Heap before ${MiB(before.heapUsed)} MiB, after ${MiB(after.heapUsed)} MiB (Δ ${MiB(after.heapUsed - before.heapUsed)} MiB). `
  + `Authenticated ${fmt(counts.authenticated)}, rejected ${fmt(counts.rejected)}, rate-limited ${fmt(counts.rateLimited)}, `
  + `replay guard refusals ${fmt(counts.replayRefused)} (${why}). Simulated clock: ${fmt(RATE)} tokens per second, each living ${LIFETIME} s, `
  + `so about ${fmt(RATE * LIFETIME)} jtis are live at once.\n\n`
  + `MemoryNonceStore full of ${fmt(probe.max)} live jtis: one more claim takes ${fmt(probe.msPerClaim, 2)} ms and is refused `
  + `(${probe.refused}/20 refused, 503 fail-closed), the first claim scans the store for stale entries, the others within the same second are refused without a scan.\n`;
console.log(markdown);
const file = await writeResults(`memory-${timestamp()}`, {
  machine: m, total: TOTAL, points, rate: RATE, lifetime: LIFETIME, fullStoreProbe: probe, counts: { ...counts, replayRefusedWhy: Object.fromEntries(counts.replayRefusedWhy) }, markdown,
});
log(`raw results: ${file}`);
