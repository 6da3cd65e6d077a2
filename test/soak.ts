/**
 * `npm run soak [-- --seconds N --concurrency C]`: drives the demo's Express orders API (in its own
 * process, test/fixtures/soak-server.ts) on loopback for N seconds (default 60) with a mix of valid,
 * invalid, replayed, revoked, over-limit and under-scoped requests from C concurrent loops
 * (default 16), then prints requests by kind and status, the 5xx count, the server's heap before
 * and after (after a full GC) and the latency percentiles. Exits 1 on any 5xx, failed request or
 * unexpected status, 0 otherwise. Traffic goes to 127.0.0.1 only and stops by itself.
 */
import { parseArgs } from 'node:util';
import { performance } from 'node:perf_hooks';
import { createTestIssuer } from '@tollgate/testing';
import { startInstance } from './fixtures/instances.js';

const { values } = parseArgs({ options: { seconds: { type: 'string', default: '60' }, concurrency: { type: 'string', default: '16' } } });
const seconds = Number(values.seconds);
const concurrency = Number(values.concurrency);
if (!(seconds > 0 && seconds <= 3600) || !(Number.isInteger(concurrency) && concurrency > 0 && concurrency <= 256)) {
  console.error('soak: --seconds must be in (0, 3600] and --concurrency an integer in [1, 256]');
  process.exit(2);
}

const idp = await createTestIssuer({ audience: 'https://api.tollgate.test' });
const server = await startInstance('test/fixtures/soak-server.ts', { ISSUER: idp.issuer, AUDIENCE: idp.audience, JWKS_URI: idp.jwksUri }, ['--expose-gc']);
const base = server.origin;

/** A deterministic generator (mulberry32), so two soaks send the same mix. */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}
const rand = random(20_261_204);
const pick = <T>(list: readonly T[]): T => list[Math.floor(rand() * list.length)]!;

const hour = { expiresIn: 3600 };
// Readers on the pro plan (1000 requests a minute each), so that valid reads stay under the limit.
const readers = await Promise.all(Array.from({ length: 400 }, (_, i) => idp.mint({ sub: `reader-${i}`, scope: 'orders:read', plan: 'pro' }, hour)));
const revoked = await Promise.all(Array.from({ length: 50 }, (_, i) => idp.mint({ sub: `revoked-${i}`, scope: 'orders:read', plan: 'pro' }, hour)));
for (const token of revoked) {
  const response = await fetch(`${base}/soak/revoke`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ token }) });
  if (response.status !== 204) throw new Error(`soak: revoking a token answered ${response.status}`);
}
const hammered = await idp.mint({ sub: 'noisy', scope: 'orders:read' }, hour); // the free plan: 100 a minute
const forged = await idp.mint({ sub: 'mallory', scope: 'orders:read orders:write', roles: ['admin'] }, { ...hour, key: await idp.foreignKey() });
const expired = await idp.mint({ sub: 'alice', scope: 'orders:read' }, { expiresIn: -60 });
const otherAudience = await idp.mint({ scope: 'orders:read', aud: 'https://another-api.example' }, hour);
const garbage = ['not-a-jwt', 'a.b.c', `${readers[0]!.slice(0, -3)}abc`, 'eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.', 'x'.repeat(9000)];

interface Kind { name: string; weight: number; expect: readonly number[]; request(): Promise<{ method: string; path: string; token?: string; raw?: string }> }
/** One-time admin tokens for replays: each is sent twice, the second time it is a replay. */
const oneTime: string[] = [];
const kinds: Kind[] = [
  { name: 'valid read', weight: 40, expect: [200], request: async () => ({ method: 'GET', path: '/v1/orders', token: pick(readers) }) },
  { name: 'invalid token', weight: 15, expect: [400, 401], request: async () => ({ method: 'GET', path: '/v1/orders', token: pick([forged, expired, otherAudience, ...garbage]) }) },
  { name: 'no token / bad header', weight: 5, expect: [400, 401], request: async () => ({ method: 'GET', path: '/v1/orders', raw: pick(['', 'Basic dXNlcjpwYXNz', 'Bearer', 'Bearer a b']) }) },
  { name: 'revoked', weight: 10, expect: [401], request: async () => ({ method: 'GET', path: '/v1/orders', token: pick(revoked) }) },
  {
    name: 'one-time delete, then its replay', weight: 10, expect: [204, 404, 401],
    request: async () => {
      if (oneTime.length > 0 && rand() < 0.5) return { method: 'DELETE', path: '/v1/orders/1', token: oneTime.shift()! };
      const token = await idp.mint({ sub: 'carol', scope: 'orders:read orders:write', roles: ['admin'] }, hour);
      oneTime.push(token);
      return { method: 'DELETE', path: '/v1/orders/1', token };
    },
  },
  { name: 'over the limit', weight: 15, expect: [200, 429], request: async () => ({ method: 'GET', path: '/v1/orders', token: hammered }) },
  { name: 'missing scope', weight: 5, expect: [403], request: async () => ({ method: 'POST', path: '/v1/orders', token: pick(readers) }) },
];
const totalWeight = kinds.reduce((sum, k) => sum + k.weight, 0);
const chooseKind = (): Kind => {
  let r = rand() * totalWeight;
  for (const kind of kinds) if ((r -= kind.weight) < 0) return kind;
  return kinds[0]!;
};

const heap = async (): Promise<number> => ((await (await fetch(`${base}/soak/heap`)).json()) as { heapUsed: number }).heapUsed;
const mib = (bytes: number) => `${(bytes / 1_048_576).toFixed(1)} MiB`;

// Warm up (JWKS fetched, code paths compiled), then measure the heap at rest.
for (let i = 0; i < 200; i++) await fetch(`${base}/v1/orders`, { headers: { authorization: `Bearer ${readers[i % readers.length]}` } });
const heapBefore = await heap();

const byKind = new Map<string, Map<string, number>>();
const latencies: number[] = [];
let fiveHundreds = 0;
let failures = 0;
let unexpected = 0;
const count = (kind: string, status: string) => {
  const row = byKind.get(kind) ?? new Map<string, number>();
  row.set(status, (row.get(status) ?? 0) + 1);
  byKind.set(kind, row);
};

const started = performance.now();
const deadline = started + seconds * 1000;
async function loop(): Promise<void> {
  while (performance.now() < deadline) {
    const kind = chooseKind();
    const { method, path, token, raw } = await kind.request();
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (token !== undefined) headers.authorization = `Bearer ${token}`;
    else if (raw !== undefined && raw !== '') headers.authorization = raw;
    const t0 = performance.now();
    try {
      const response = await fetch(`${base}${path}`, { method, headers, signal: AbortSignal.timeout(10_000), ...(method === 'POST' ? { body: '{"item":"tea"}' } : {}) });
      await response.arrayBuffer();
      latencies.push(performance.now() - t0);
      count(kind.name, String(response.status));
      if (response.status >= 500) fiveHundreds++;
      if (!kind.expect.includes(response.status)) unexpected++;
    } catch (error) {
      failures++;
      count(kind.name, `failed (${(error as Error).name})`);
    }
  }
}
await Promise.all(Array.from({ length: concurrency }, loop));
const elapsed = (performance.now() - started) / 1000;
const heapAfter = await heap();
await server.stop();
await idp.close();

latencies.sort((a, b) => a - b);
const percentile = (p: number) => (latencies.length === 0 ? Number.NaN : latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))]!);
const total = latencies.length + failures;
const byStatus = new Map<string, number>();
for (const row of byKind.values()) for (const [status, n] of row) byStatus.set(status, (byStatus.get(status) ?? 0) + n);

console.log(`soak: ${total} requests in ${elapsed.toFixed(1)} s (${(total / elapsed).toFixed(0)}/s) from ${concurrency} loops against the Express demo on ${base}`);
console.log('\nrequests by status:');
for (const [status, n] of [...byStatus].sort()) console.log(`  ${status.padEnd(20)} ${String(n).padStart(8)}`);
console.log('\nrequests by kind:');
for (const [kind, row] of byKind) console.log(`  ${kind.padEnd(34)} ${[...row].sort().map(([s, n]) => `${s}: ${n}`).join(', ')}`);
console.log(`\n5xx: ${fiveHundreds}   failed requests: ${failures}   unexpected statuses: ${unexpected}`);
console.log(`heap (after a full GC): before ${mib(heapBefore)}, after ${mib(heapAfter)}`);
console.log(`latency: p50 ${percentile(50).toFixed(1)} ms, p99 ${percentile(99).toFixed(1)} ms, max ${percentile(100).toFixed(1)} ms`);
process.exitCode = fiveHundreds === 0 && failures === 0 && unexpected === 0 ? 0 : 1;
