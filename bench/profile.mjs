// `node bench/profile.mjs`: runs one row's server under `node --cpu-prof`, drives it with autocannon,
// and prints the top self-time frames, those inside packages/* first. The .cpuprofile stays in
// bench/results/ (open it in Chrome DevTools or speedscope).
// Knobs: BENCH_PROFILE_ROW (default tg-express-full), BENCH_PROFILE_DURATION (default 10 s),
//        BENCH_CONNECTIONS, BENCH_POOL, BENCH_PROFILE_TOP (default 25).
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { benchConfig, integer, machine, number } from './lib/config.mjs';
import { startServer } from './lib/child.mjs';
import { get } from './lib/http.mjs';
import { mintPool, startIssuers } from './lib/issuers.mjs';
import { drive } from './lib/load.mjs';
import { ROOT } from './lib/root.mjs';
import { fmt, markdownTable, timestamp } from './lib/stats.mjs';
import { ROUTE, TARGETS } from './targets.mjs';

const config = benchConfig();
const rowId = process.env.BENCH_PROFILE_ROW || 'tg-express-full';
const duration = number('BENCH_PROFILE_DURATION', 10, { min: 1, max: 120 });
const TOP = integer('BENCH_PROFILE_TOP', 25, { max: 200 });
const target = TARGETS.find((t) => t.id === rowId);
if (target === undefined) throw new TypeError(`BENCH_PROFILE_ROW: no row ${rowId}`);
if (target.singleUse) throw new TypeError('profile.mjs drives pooled rows only');
const log = (...args) => console.error('[bench:profile]', ...args);

const stamp = timestamp();
const dir = fileURLToPath(new URL(`./results/profile-${stamp}/`, import.meta.url));
await mkdir(dir, { recursive: true });

const idp = await startIssuers();
const alg = target.alg ?? 'RS256';
const tokens = await mintPool(idp.issuers[alg], config.pool);
const server = await startServer(rowId, { issuers: idp.ctxIssuers, redisUrl: config.redisUrl, prefix: `tollgate-bench:${stamp}:` }, {
  execArgv: ['--cpu-prof', '--cpu-prof-dir', dir, '--cpu-prof-interval', '200'],
});
if (server.status !== 'ready') throw new Error(`${rowId}: ${server.status}: ${server.reason}`);
const probe = await get(server.port, ROUTE, { authorization: `Bearer ${tokens[0]}` });
if (probe.status !== 200) throw new Error(`${rowId}: a valid token got ${probe.status}; refusing to profile a broken stack`);
log(`${rowId} on 127.0.0.1:${server.port}: 2 s warm-up, then ${duration} s under load`);
await drive(server.port, { tokens, connections: config.connections, duration: 2 });
const load = await drive(server.port, { tokens, connections: config.connections, duration });
const { requests: served } = await server.stats();
await server.stop();
await idp.close();

const file = (await readdir(dir)).find((f) => f.endsWith('.cpuprofile'));
if (file === undefined) throw new Error(`no .cpuprofile written in ${dir}`);
const profile = JSON.parse(await readFile(`${dir}${file}`, 'utf8'));

// Self samples per node, then per frame (file:function:line), and inclusive samples per frame.
const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const self = new Map();
for (const id of profile.samples) self.set(id, (self.get(id) ?? 0) + 1);
const total = profile.samples.length;
const parent = new Map();
for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);

function where(frame) {
  const url = frame.url ?? '';
  const path = url.startsWith('file://') ? fileURLToPath(url) : url;
  const rel = path.startsWith(ROOT) ? path.slice(ROOT.length) : path;
  return rel;
}
function category(rel, name) {
  if (name === '(idle)') return 'idle';
  if (name === '(garbage collector)') return 'GC';
  if (name === '(program)') return 'native / program';
  if (rel.startsWith('packages/')) return `tollgate (${rel.split('/')[1]})`;
  const nm = rel.lastIndexOf('node_modules/');
  if (nm !== -1) {
    const parts = rel.slice(nm + 13).split('/');
    return parts[0].startsWith('@') ? `${parts[0]}/${parts[1]}` : parts[0];
  }
  if (rel.startsWith('node:') || rel === '') return 'node internals';
  return rel;
}
function frameKey(node) {
  const f = node.callFrame;
  const rel = where(f);
  return { key: `${rel}:${f.functionName || '(anonymous)'}:${f.lineNumber + 1}`, rel, name: f.functionName || '(anonymous)', line: f.lineNumber + 1 };
}

// One key per node, computed once: the inclusive loop below asks again for every ancestor of every sample.
const keyOf = new Map(profile.nodes.map((n) => [n.id, frameKey(n)]));

const frames = new Map();
const categories = new Map();
for (const [id, hits] of self) {
  const node = byId.get(id);
  const k = keyOf.get(id);
  const entry = frames.get(k.key) ?? { ...k, self: 0, inclusive: 0 };
  entry.self += hits;
  frames.set(k.key, entry);
  const cat = category(k.rel, node.callFrame.functionName);
  categories.set(cat, (categories.get(cat) ?? 0) + hits);
  // Inclusive: every distinct frame on this sample's stack gets the hits once.
  const seen = new Set();
  for (let at = id; at !== undefined; at = parent.get(at)) {
    const fk = keyOf.get(at);
    if (seen.has(fk.key)) continue;
    seen.add(fk.key);
    const e = frames.get(fk.key) ?? { ...fk, self: 0, inclusive: 0 };
    e.inclusive += hits;
    frames.set(fk.key, e);
  }
}
const idle = categories.get('idle') ?? 0;
const busy = total - idle;
const pct = (n) => `${fmt((100 * n) / busy, 1)} %`;
// CPU µs per request served (warm-up included): samples × the mean sampling interval / requests.
const usPerSample = (profile.endTime - profile.startTime) / total;
const perRequest = (n) => fmt((n * usPerSample) / served, 2);

const catTable = markdownTable(['where (self time)', '% of busy samples', 'CPU µs per request'],
  [...categories].filter(([c, n]) => c !== 'idle' && (100 * n) / busy >= 0.05).sort((a, b) => b[1] - a[1]).map(([c, n]) => [c, pct(n), perRequest(n)]), ['', 'r', 'r']);
const ours = [...frames.values()].filter((f) => f.rel.startsWith('packages/'));
const oursSelf = markdownTable(['file:function:line (dist)', 'self', 'inclusive', 'self µs/req'],
  ours.filter((f) => f.self > 0).sort((a, b) => b.self - a.self).slice(0, TOP).map((f) => [`${f.rel}:${f.name}:${f.line}`, pct(f.self), pct(f.inclusive), perRequest(f.self)]), ['', 'r', 'r', 'r']);
const oursInclusive = markdownTable(['file:function:line (dist)', 'inclusive', 'self'],
  ours.sort((a, b) => b.inclusive - a.inclusive).slice(0, 15).map((f) => [`${f.rel}:${f.name}:${f.line}`, pct(f.inclusive), pct(f.self)]), ['', 'r', 'r']);
const overall = markdownTable(['file:function:line', 'self'],
  [...frames.values()].filter((f) => f.name !== '(idle)' && f.self > 0).sort((a, b) => b.self - a.self).slice(0, TOP)
    .map((f) => [`${f.rel || '(native)'}:${f.name}:${f.line}`, pct(f.self)]), ['', 'r']);

const m = machine();
const markdown = `CPU profile of \`${rowId}\` (${target.label}) under ${config.connections} connections for ${duration} s `
  + `(pool ${fmt(config.pool)} tokens; ${fmt(load.rps)} req/s while profiled, the profiler slows it down); ${m.cpu}, Node ${m.node}. `
  + `${fmt(total)} samples, ${fmt((100 * idle) / total, 1)} % idle; percentages are of the busy samples; `
  + `${fmt(served)} requests served in all, ${perRequest(busy)} µs of busy CPU per request.\n\n`
  + `Self time by package:\n\n${catTable}\n\nTop self-time frames inside packages/*:\n\n${oursSelf}\n\n`
  + `Top inclusive frames inside packages/*:\n\n${oursInclusive}\n\nTop self-time frames overall:\n\n${overall}\n`;
console.log(markdown);
await writeFile(`${dir}profile.md`, markdown);
log(`profile: ${dir}${file}`);
