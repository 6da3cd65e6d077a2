// `npm run bench`: every row of targets.mjs in its own server process on a free loopback port,
// checked (a valid token passes, a forged one does not), warmed up, then driven by autocannon in
// interleaved rounds (A B C, then C B A, …), then `bench:chain` in process. Prints a Markdown table
// of medians with CPU µs per request, flags a run whose bare rows spread more than 10 % across
// rounds, and the verdict on every target; raw numbers go to bench/results/<timestamp>.json.
// Knobs: see bench/README.md.
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { benchConfig, machine, MAX_BARE_SPREAD, MIN_ROUNDS, redactUrl } from './lib/config.mjs';
import { startServer } from './lib/child.mjs';
import { get } from './lib/http.mjs';
import { checkTokens, mintPool, startIssuers } from './lib/issuers.mjs';
import { drive } from './lib/load.mjs';
import { writeResults } from './lib/results.mjs';
import { fmt, markdownTable, median, serpentine, timestamp } from './lib/stats.mjs';
import { bareOf, GOALS, METRICS_ROUTE, ROUTE, TARGETS } from './targets.mjs';

const config = benchConfig();
const stamp = timestamp();
const prefix = `tollgate-bench:${stamp}:`;
const log = (...args) => console.error('[bench]', ...args);
const began = Date.now();

const targets = config.rows.length === 0 ? TARGETS : TARGETS.filter((t) => config.rows.includes(t.id));
if (targets.length === 0) throw new TypeError(`BENCH_ROWS names no known row; rows: ${TARGETS.map((t) => t.id).join(', ')}`);

const servers = new Map(); // id -> handle
let stopping = false;
async function stopAll() {
  await Promise.all([...servers.values()].map((s) => s.stop().catch(() => {})));
}
process.on('SIGINT', () => {
  if (stopping) return;
  stopping = true;
  stopAll().finally(() => process.exit(130));
});

// ---- identity: issuers and token pools ----
const idp = await startIssuers();
const ctx = { issuers: idp.ctxIssuers, redisUrl: config.redisUrl, databaseUrl: config.databaseUrl, prefix, pool: config.pool };
log(`minting ${config.pool} RS256 and ${config.pool} ES256 tokens`);
const pools = { RS256: await mintPool(idp.issuers.RS256, config.pool), ES256: await mintPool(idp.issuers.ES256, config.pool) };
const probes = { RS256: await checkTokens(idp.issuers.RS256), ES256: await checkTokens(idp.issuers.ES256) };

/** A server-wide count of Redis commands (INFO commandstats), as a cross-check of the per-process count. */
async function redisMonitor() {
  try {
    const { createClient } = await import('redis');
    const client = createClient({ url: config.redisUrl, socket: { connectTimeout: 2000, reconnectStrategy: false } });
    client.on('error', () => {});
    await client.connect();
    return {
      async commands() {
        const info = await client.info('commandstats');
        let total = 0;
        for (const m of info.matchAll(/^cmdstat_(\w+):calls=(\d+)/gm)) if (m[1] !== 'info') total += Number(m[2]);
        return total;
      },
      async cleanup() {
        // Bounded: the run's own keys only (they expire anyway), at most 10 000 SCAN steps.
        let cursor = '0';
        for (let step = 0; step < 10_000; step++) {
          const reply = await client.scan(cursor, { MATCH: `${prefix}*`, COUNT: 1000 });
          if (reply.keys.length > 0) await client.unlink(reply.keys);
          cursor = String(reply.cursor);
          if (cursor === '0') break;
        }
      },
      close: () => client.destroy(),
    };
  } catch {
    return undefined;
  }
}
const monitor = targets.some((t) => t.redis) ? await redisMonitor() : undefined;

// ---- start and check every server ----
const rows = new Map(); // id -> { target, status, reason, rounds: [] }
for (const target of targets) rows.set(target.id, { target, status: 'pending', reason: undefined, rounds: [], checks: [], processes: 0 });

/** The credentials a row is driven with: its own API keys when its server made them, else its algorithm's JWT pool; `oneToken` rows get the first one alone. */
function tokensOf(target) {
  const pool = servers.get(target.id)?.tokens ?? pools[target.alg ?? 'RS256'];
  return target.oneToken ? [pool[0]] : pool;
}

async function singleUseTokens(target, count) {
  return mintPool(idp.issuers[target.alg ?? 'RS256'], count, { lifetime: 900 });
}

async function preflight(target, port) {
  const alg = target.alg ?? 'RS256';
  const bearer = (token) => ({ authorization: `Bearer ${token}` });
  const checks = [];
  const expect = async (name, headers, status, extra) => {
    const res = await get(port, ROUTE, headers);
    const ok = res.status === status && (extra === undefined || extra(res));
    checks.push({ name, expected: status, got: res.status, ok });
    return ok;
  };
  const valid = target.singleUse ? (await singleUseTokens(target, 1))[0] : tokensOf(target)[0];
  await expect('valid token', bearer(valid), 200, target.rateLimited && !target.bare ? (res) => res.headers.ratelimit !== undefined || res.headers['ratelimit-policy'] !== undefined : undefined);
  if (!target.bare) {
    await expect('no token', {}, 401);
    await expect('forged signature', bearer(probes[alg].forged), 401);
    await expect('missing scope', bearer(probes[alg].noScope), 403);
    if (target.singleUse) await expect('replayed token', bearer(valid), 401);
  }
  if (target.monitored) {
    // The metrics must have seen the checks above: an allow and the refusals, by error code.
    const res = await get(port, METRICS_ROUTE, {});
    const ok = res.status === 200 && res.body.includes('tollgate_decisions_total{decision="allow"') && res.body.includes('reason="invalid_token"');
    checks.push({ name: 'metrics endpoint', expected: 200, got: res.status, ok });
  }
  return checks;
}

/**
 * Starts `target`'s server in a new process and checks it; on success it becomes the row's server.
 * Answers whether the row can be measured (else its status and reason say why).
 */
async function launch(target) {
  const row = rows.get(target.id);
  const server = await startServer(target.id, ctx);
  if (server.status !== 'ready') {
    row.status = server.status;
    row.reason = server.reason;
    log(`${target.id}: ${server.status}: ${server.reason}`);
    return false;
  }
  servers.set(target.id, server);
  try {
    row.checks = await preflight(target, server.port);
  } catch (error) {
    row.checks = [{ name: 'request', ok: false, error: String(error.message) }];
  }
  const failed = row.checks.filter((c) => !c.ok);
  if (failed.length > 0) {
    row.status = 'refused';
    row.reason = `broken stack: ${failed.map((c) => `${c.name} → ${c.got ?? c.error} (want ${c.expected ?? 'an answer'})`).join('; ')}`;
    log(`${target.id}: REFUSED, ${row.reason}`);
    await server.stop();
    servers.delete(target.id);
    return false;
  }
  row.status = 'ready';
  row.processes += 1;
  return true;
}

for (const target of targets) {
  if (await launch(target)) log(`${target.id}: ready on 127.0.0.1:${servers.get(target.id).port}, checks passed (${rows.get(target.id).checks.map((c) => c.name).join(', ')})`);
}

const active = targets.filter((t) => rows.get(t.id).status === 'ready');

// ---- warm up and measure, interleaved ----
const estimate = new Map(); // single-use rows: req/s seen so far, to size the next token batch

async function warm(target, seconds) {
  if (seconds <= 0) return;
  const server = servers.get(target.id);
  if (target.singleUse) {
    const amount = Math.max(500, Math.round((estimate.get(target.id) ?? 2000) * seconds));
    const result = await drive(server.port, { tokens: await singleUseTokens(target, amount), connections: config.connections, amount });
    if (!estimate.has(target.id)) estimate.set(target.id, result.rps);
    return;
  }
  await drive(server.port, { tokens: tokensOf(target), connections: config.connections, duration: seconds });
}

async function measure(target) {
  const server = servers.get(target.id);
  let tokens = tokensOf(target);
  let amount;
  if (target.singleUse) {
    amount = Math.min(config.singleUseMax, Math.max(1000, Math.ceil((estimate.get(target.id) ?? 2000) * config.duration * 1.1)));
    tokens = await singleUseTokens(target, amount);
  }
  const serverBefore = await server.stats();
  const redisBefore = target.redis && monitor !== undefined ? await monitor.commands() : undefined;
  const result = await drive(server.port, { tokens, connections: config.connections, duration: config.duration, amount });
  const serverAfter = await server.stats();
  const redisAfter = target.redis && monitor !== undefined ? await monitor.commands() : undefined;
  const cpuMs = (serverAfter.cpu.user - serverBefore.cpu.user + serverAfter.cpu.system - serverBefore.cpu.system) / 1000;
  if (target.singleUse) estimate.set(target.id, result.rps);
  return {
    ...result,
    cpuPercent: (cpuMs / result.wallMs) * 100,
    // Server CPU per request answered: less sensitive than req/s to the load generator being starved.
    cpuUsPerRequest: (cpuMs * 1000) / (serverAfter.requests - serverBefore.requests),
    // Per request the server answered: autocannon does not count the requests in flight when it stops.
    redisPerRequest: target.redis ? (serverAfter.redis - serverBefore.redis) / (serverAfter.requests - serverBefore.requests) : undefined,
    served: serverAfter.requests - serverBefore.requests,
    // commands() leaves out its own INFO calls, so the delta is the row's commands alone.
    redisServerWidePerRequest: redisBefore === undefined ? undefined : (redisAfter - redisBefore) / result.requests,
    rss: serverAfter.rss,
    heapUsed: serverAfter.heapUsed,
    singleUseTokens: amount,
  };
}

log(`warm-up: ${config.firstWarmup}s per row`);
for (const target of active) await warm(target, config.firstWarmup);

// Serpentine order (A B C, then C B A, …): a machine that slowly speeds up or slows down during the
// run biases each ratio one way in forward rounds and the other way in reverse ones, and with an
// even number of rounds the median (the mean of the middle two) takes one of each.
//
// With fresh processes (the default) every round after the first measures each row in a server
// process of its own, started, checked and warmed up anew: one process's speed is partly its own
// (where its JIT and heap land), and two processes of one stack differed by up to 15 % in req/s
// here, round after round. A row measured in one process carries that luck into every round; the
// median over rounds of fresh processes does not.
for (let round = 1; round <= config.rounds; round++) {
  for (const target of serpentine(active, round - 1)) {
    const row = rows.get(target.id);
    if (row.status !== 'ready') continue;
    if (config.fresh && round > 1) {
      await servers.get(target.id).stop();
      servers.delete(target.id);
      if (!(await launch(target))) continue;
      await warm(target, config.firstWarmup);
    }
    await warm(target, config.warmup);
    const result = await measure(target);
    row.rounds.push(result);
    const flag = result.non2xx + result.errors + result.timeouts > 0 ? `  (non-2xx ${result.non2xx}, errors ${result.errors}, timeouts ${result.timeouts})` : '';
    log(`round ${round}/${config.rounds} ${target.id}: ${fmt(result.rps)} req/s, p50 ${result.p50} ms, p99 ${result.p99} ms, CPU ${fmt(result.cpuPercent)}%${flag}`);
  }
}

await stopAll();
await idp.close();
if (monitor !== undefined) {
  await monitor.cleanup().catch(() => {});
  await monitor.close();
}

// ---- summary ----
/** Median over rounds of `row`'s req/s divided by `other`'s in the same round. */
function ratio(id, otherId) {
  const a = rows.get(id);
  const b = rows.get(otherId);
  if (a === undefined || b === undefined || a.status !== 'ready' || b.status !== 'ready') return undefined;
  return median(a.rounds.map((r, i) => (b.rounds[i] === undefined ? NaN : r.rps / b.rounds[i].rps)));
}

/** (max − min) / median of one row's req/s across rounds. */
function spread(values) {
  const mid = median(values);
  return mid === undefined || values.length < 2 ? undefined : (Math.max(...values) - Math.min(...values)) / mid;
}

function summary(row) {
  const r = row.rounds;
  const bare = bareOf(row.target);
  return {
    rps: median(r.map((x) => x.rps)),
    p50: median(r.map((x) => x.p50)),
    p99: median(r.map((x) => x.p99)),
    cpuPercent: median(r.map((x) => x.cpuPercent)),
    cpuUsPerRequest: median(r.map((x) => x.cpuUsPerRequest)),
    redisPerRequest: row.target.redis ? median(r.map((x) => x.redisPerRequest)) : undefined,
    vsBare: row.target.bare ? 1 : ratio(row.target.id, bare.id),
    failures: r.reduce((n, x) => n + x.non2xx + x.errors + x.timeouts, 0),
    spread: spread(r.map((x) => x.rps)),
  };
}

const tableRows = [];
for (const row of rows.values()) {
  const t = row.target;
  if (row.status !== 'ready') {
    const what = row.status === 'unavailable' ? 'not available' : row.status === 'refused' ? 'REFUSED' : 'failed to start';
    tableRows.push([t.label, '–', '–', '–', '–', '–', '–', '–', `${what}: ${row.reason.split('\n')[0]}`]);
    continue;
  }
  const s = (row.summary = summary(row));
  const notes = [];
  if (t.singleUse) notes.push(`${fmt(median(row.rounds.map((x) => x.singleUseTokens)))} single-use tokens per round, every request verified`);
  else if (!t.bare) notes.push(`pool ${fmt(config.pool)} ${t.apiKeys ? 'API keys' : 'tokens'}`);
  if (t.oneToken) notes.push('one token repeated');
  if (t.bare && s.spread !== undefined) notes.push(`spread ${fmt(s.spread * 100)} % across rounds${s.spread > MAX_BARE_SPREAD ? ' ⚠' : ''}`);
  if (s.failures > 0) notes.push(`⚠ ${s.failures} non-2xx/errors`);
  tableRows.push([
    t.label, fmt(s.rps), t.bare ? '1.00' : fmt(s.vsBare, 2), fmt(s.p50, 1), fmt(s.p99, 1), fmt(s.cpuPercent), fmt(s.cpuUsPerRequest),
    s.redisPerRequest === undefined ? '' : fmt(s.redisPerRequest, 2), notes.join('; '),
  ]);
}

const m = machine();
const heading = `Medians of ${config.rounds} interleaved rounds, ${config.duration} s each after a ${config.warmup} s warm-up`
  + `${config.fresh ? `, each round in a fresh server process per row (started, checked and warmed up ${config.firstWarmup} s more)` : ', one server process per row for all rounds'}, ${config.connections} connections, `
  + `token pool ${fmt(config.pool)} (rotated per request; cache max 1000); ${m.cpu}, ${m.cores} cores, Node ${m.node}. `
  + '× bare = req/s over the bare framework\'s in the same round. CPU = the server process (100 % = one core), CPU µs/req = its CPU time per request answered '
  + `(the steadier number when the machine is shared); a run whose bare rows' req/s spread more than ${MAX_BARE_SPREAD * 100} % across rounds is flagged; `
  + 'autocannon runs on the same machine and takes about one core of the two.';
const table = markdownTable(['row', 'req/s', '× bare', 'p50 ms', 'p99 ms', 'CPU %', 'CPU µs/req', 'Redis cmds/req', 'notes'], tableRows, ['', 'r', 'r', 'r', 'r', 'r', 'r', 'r', '']);

// Three decimals where two would round a miss up to the target (2.497 is not 2.50).
const ratioText = (value, want) => `${fmt(value, Math.abs(value - want) < 0.005 ? 3 : 2)}×`;
const goalRows = GOALS.map(({ issue, row, against, atLeast, label }) => {
  const value = ratio(row, against);
  return [`${label} (#${issue})`, value === undefined ? '–' : ratioText(value, atLeast), value === undefined ? 'not measured' : value >= atLeast ? 'met' : 'NOT met'];
});
for (const [id, checks] of [['tg-express-redis-limit', 1], ['tg-express-redis', 2], ['tg-express-full-monitored-redis', 2]]) {
  const per = rows.get(id)?.summary?.redisPerRequest;
  goalRows.push([`${rows.get(id)?.target.label ?? id}: ≤ 1 Redis round trip per store check (${checks} check${checks > 1 ? 's' : ''}) (#7)`,
    per === undefined ? '–' : `${fmt(per, 2)} cmds/req`, per === undefined ? 'not measured' : per <= checks + 1e-9 ? 'met' : 'NOT met']);
}

// ---- the in-process chain (bench:chain), its verdicts beside the HTTP ones ----
function runChain() {
  return new Promise((resolve) => {
    execFile(process.execPath, [fileURLToPath(new URL('chain.mjs', import.meta.url))], { maxBuffer: 1 << 22, env: process.env }, (error, stdout, stderr) => {
      resolve(error === null ? { markdown: stdout, file: /raw results: (\S+)/.exec(stderr)?.[1] } : { error: stderr.trim().split('\n').pop() || error.message });
    });
  });
}
let chain;
if (config.chain) {
  log('bench:chain (in process, no HTTP)');
  chain = await runChain();
  if (chain.error !== undefined) goalRows.push(['in-process chain targets (bench:chain) (#19)', '–', `not measured: ${chain.error}`]);
  else {
    const chainRows = [...chain.markdown.matchAll(/^\| (.+ ≤ \d+ µs) \| (.+) \| (met|NOT met) \|$/gm)];
    for (const [, label, measured, verdict] of chainRows) goalRows.push([`in process: ${label} (#19)`, measured, verdict]);
  }
}

// The bare rows are the yardstick of every ratio: when they moved across rounds, so may the ratios.
const bareSpreads = [...rows.values()].filter((r) => r.target.bare && r.summary?.spread !== undefined).map((r) => [r.target.id, r.summary.spread]);
const unsteady = bareSpreads.filter(([, value]) => value > MAX_BARE_SPREAD);
const warnings = [];
if (unsteady.length > 0) {
  warnings.push(`⚠ UNSTEADY RUN: ${unsteady.map(([id, value]) => `${id} req/s spread ${fmt(value * 100)} %`).join(', ')} across rounds (more than ${fmt(MAX_BARE_SPREAD * 100)} %): the machine's speed moved during the run; read the ratios as indicative only and run again on a quiet machine.`);
}
if (config.rounds < MIN_ROUNDS) warnings.push(`⚠ ${config.rounds} rounds, fewer than ${MIN_ROUNDS}: a quick look, not a run whose verdicts count.`);
const goalTable = markdownTable(['target (issue)', 'measured', 'verdict'], goalRows, ['', 'r', '']);

const markdown = `${heading}\n\n${warnings.map((w) => `${w}\n\n`).join('')}${table}\n\n${goalTable}\n${chain?.markdown === undefined ? '' : `\nIn process (bench:chain):\n\n${chain.markdown}`}`;
console.log(markdown);

// The results keep where Redis and PostgreSQL were, not their passwords (bench/runs/ is committed).
const file = await writeResults(stamp, {
  config: { ...config, redisUrl: redactUrl(config.redisUrl), databaseUrl: redactUrl(config.databaseUrl) }, machine: m, startedAt: new Date(began).toISOString(), elapsedSeconds: (Date.now() - began) / 1000,
  rows: [...rows.values()].map(({ target, status, reason, rounds, checks, processes, summary: s }) => ({ id: target.id, label: target.label, status, reason, checks, processes, summary: s, rounds })),
  goals: goalRows, bareSpreads: Object.fromEntries(bareSpreads), unsteady: unsteady.length > 0, chainResults: chain?.file, markdown,
}, { markdown });
log(`raw results: ${file} (${fmt((Date.now() - began) / 1000)} s in all)`);
process.exitCode = [...rows.values()].some((r) => r.status === 'refused' || r.status === 'failed') ? 1 : 0;
