// `npm run bench:chain`: the cost of Tollgate's middleware chain itself, in process, without HTTP.
// `authenticate` + `requireScopes('orders:read')` + `rateLimitPerToken` (memory store) run on
// Express 5 and Koa 3 request objects (real IncomingMessage/ServerResponse, set up as each framework
// does per request), against the same loop with no middleware (the harness). Cache hit: one token,
// repeated. Cache miss: a pool of tokens cycled through a smaller cache, so that every request
// verifies a signature; its cost is compared with `jose.jwtVerify` on the same key and tokens.
// Each framework runs in a child process of its own (a service runs one, and one framework's
// objects must not shape the compiled code the other's are measured with); within it, its variants
// run in interleaved rounds in serpentine order, after a full GC each, and each difference is taken
// within a round. Times are CPU time of the process (`process.cpuUsage`), so a descheduled moment
// on a busy machine does not count. Knobs: BENCH_CHAIN_MS (per measurement, default 200), BENCH_CHAIN_ROUNDS
// (default 20), BENCH_CHAIN_ALG (RS256, ES256 or EdDSA; default RS256).
import { execFile } from 'node:child_process';
import { IncomingMessage, ServerResponse } from 'node:http';
import { Socket } from 'node:net';
import { fileURLToPath } from 'node:url';
import { createTestIssuer } from '@tollgate/testing';
import { integer, machine } from './lib/config.mjs';
import { writeResults } from './lib/results.mjs';
import { importFromRoot } from './lib/root.mjs';
import { fmt, markdownTable, median, serpentine, timestamp } from './lib/stats.mjs';
import { MONITORED_ANOMALIES, RATE_LIMIT, ROUTE, SCOPE, WINDOW_MS } from './targets.mjs';

const MS = integer('BENCH_CHAIN_MS', 200, { min: 20, max: 60_000 });
const ROUNDS = integer('BENCH_CHAIN_ROUNDS', 20, { min: 2, max: 200 });
const ALG = process.env.BENCH_CHAIN_ALG || 'RS256';
if (!['RS256', 'ES256', 'EdDSA'].includes(ALG)) throw new TypeError(`BENCH_CHAIN_ALG must be RS256, ES256 or EdDSA, got ${JSON.stringify(ALG)}`);
const FRAMEWORKS = ['express', 'koa'];
/** Distinct tokens of the miss variants, cycled through a cache of MISS_CACHE entries: LRU never keeps the next one. */
const MISS_POOL = 256;
const MISS_CACHE = 64;
/** Targets of issue 19, in µs per request. */
const HIT_BUDGET = 3;
const MISS_BUDGET = 3;

const [{ default: express }, { default: Koa }, jose, tgCore, tgExpress, tgKoa] = await Promise.all([
  importFromRoot('express'), importFromRoot('koa'), importFromRoot('jose'), import('@tollgate/core'), import('@tollgate/express'), import('@tollgate/koa'),
]);
const log = (...args) => console.error('[bench:chain]', ...args);

const idp = await createTestIssuer({ algorithm: ALG });
const jwks = idp.jwks();
const baseOptions = { issuer: idp.issuer, audience: idp.audience, jwks, algorithms: [ALG] };
const claims = (i) => ({ sub: `user-${i}`, scope: `${SCOPE} profile` });
const oneToken = await idp.mint(claims(0), { expiresIn: 3600 });
const missTokens = await Promise.all(Array.from({ length: MISS_POOL }, (_, i) => idp.mint(claims(i), { expiresIn: 3600 })));
await idp.close(); // the JWKS is handed over as a local set: nothing is fetched

// ---- requests, as each framework sets them up per request ----
const socket = new Socket();
// The client address the framework reads (`req.ip`, `ctx.ip`): the anomaly signals count by it.
Object.defineProperty(socket, 'remoteAddress', { value: '127.0.0.1' });
function nodePair(token) {
  const req = new IncomingMessage(socket);
  req.method = 'GET';
  req.url = ROUTE;
  req.headers = { host: 'api.bench.test', authorization: `Bearer ${token}` };
  return [req, new ServerResponse(req)];
}

const expressApp = express();
/** What Express 5 does before a route's handlers run: the app's prototypes on req and res, `res.locals`, `req.originalUrl`. */
function expressPair(token) {
  const [req, res] = nodePair(token);
  req.res = res;
  res.req = req;
  Object.setPrototypeOf(req, expressApp.request);
  Object.setPrototypeOf(res, expressApp.response);
  res.locals = Object.create(null);
  req.originalUrl = req.url;
  return [req, res];
}

const koaApp = new Koa();
koaApp.silent = true;
const koaContext = (token) => koaApp.createContext(...nodePair(token));

/** Runs Express handlers in order as the router does; undefined when all of them finished synchronously. */
function runExpress(handlers, req, res) {
  let index = 0;
  let settle;
  let failure;
  let finished = false;
  const next = (error) => {
    if (error !== undefined) failure = error;
    else if (index < handlers.length) {
      handlers[index++](req, res, next);
      return;
    } else finished = true;
    settle?.();
  };
  next();
  if (finished) return undefined;
  if (failure !== undefined) throw failure;
  return new Promise((resolve, reject) => {
    settle = () => (failure === undefined ? resolve() : reject(failure));
  });
}

/** Runs Koa middleware in order (the nesting koa-compose builds); undefined when it finished synchronously. */
function runKoa(middleware, ctx) {
  let finished = false;
  const at = (i) => (i === middleware.length ? (finished = true, Promise.resolve()) : middleware[i](ctx, () => at(i + 1)));
  const done = at(0);
  return finished ? undefined : done;
}

function expressChain(options) {
  return [
    tgExpress.authenticate(options),
    tgExpress.requireScopes(SCOPE),
    tgExpress.rateLimitPerToken({ limit: RATE_LIMIT, windowMs: WINDOW_MS }),
  ];
}

function koaChain(options) {
  return [
    tgKoa.authenticate(options),
    tgKoa.requireScopes(SCOPE),
    tgKoa.rateLimitPerToken({ limit: RATE_LIMIT, windowMs: WINDOW_MS }),
  ];
}

const hitOptions = baseOptions;
/** Metrics and anomaly signals as the monitored rows of `npm run bench` run them. */
function monitoredOptions(metrics) {
  return {
    ...baseOptions,
    audit: metrics.sink,
    anomalies: MONITORED_ANOMALIES,
  };
}
const missOptions = { ...baseOptions, cache: { max: MISS_CACHE } };
const localSet = jose.createLocalJWKSet(jwks);
const joseOptions = { issuer: idp.issuer, audience: idp.audience, algorithms: [ALG] };

/** The variants of one framework, each one request: `op(i)` returns undefined when done, or a promise. */
function variantsOf(framework) {
  const express = framework === 'express';
  const name = express ? 'Express 5' : 'Koa 3';
  const chain = express ? expressChain : koaChain;
  const run = express ? runExpress : runKoa;
  const make = express ? expressPair : (token) => [koaContext(token)];
  // What a handler would read after the chain: the subject and the RateLimit header.
  const outcome = express
    ? ([req, res]) => ({ auth: req.auth, header: res.getHeader('ratelimit') })
    : ([ctx]) => ({ auth: ctx.state.auth, header: ctx.response.get('RateLimit') || undefined });
  const timed = (id, label, handlers, tokenOf, extra = {}) => {
    let last;
    return { id, label, op: (i) => run(handlers, ...(last = make(tokenOf(i)))), outcome: () => outcome(last), ...extra };
  };
  const metrics = tgCore.tollgateMetrics();
  return [
    timed(`${framework}-bare`, `${name} harness, no middleware`, [], () => oneToken),
    timed(`${framework}-hit`, `${name}: authenticate + requireScopes + rateLimitPerToken, cache hit (one token)`, chain(hitOptions), () => oneToken),
    timed(`${framework}-monitored`, `${name}: the same chain + metrics + anomaly signals (memory), cache hit (one token)`, chain(monitoredOptions(metrics)), () => oneToken, { metrics }),
    timed(`${framework}-miss`, `${name}: the same chain, cache miss (${MISS_POOL} tokens through a cache of ${MISS_CACHE})`, chain(missOptions), (i) => missTokens[i % MISS_POOL]),
    { id: 'jose', label: `jose.jwtVerify (${ALG}, createLocalJWKSet), the same ${MISS_POOL} tokens`, op: (i) => jose.jwtVerify(missTokens[i % MISS_POOL], localSet, joseOptions) },
  ];
}

/** Each chain must do what it claims before it is timed: pass with its headers, and (miss) really miss. */
async function checkVariants(variants) {
  for (const v of variants) {
    await v.op(0);
    if (v.outcome === undefined || v.id.endsWith('-bare')) continue;
    const first = v.outcome();
    if (first.auth?.subject !== 'user-0' || typeof first.header !== 'string') throw new Error(`bench:chain: ${v.id} did not pass its request`);
    if (v.metrics !== undefined && !(await v.metrics.registry.metrics()).includes('tollgate_decisions_total{decision="allow"')) throw new Error(`bench:chain: ${v.id} counted no decision`);
    if (!v.id.endsWith('-miss')) continue;
    for (let i = 1; i <= MISS_POOL; i++) await v.op(i);
    if (v.outcome().auth === first.auth) throw new Error(`bench:chain: ${v.id} hit the cache; it must miss`);
  }
}

/** CPU µs per request of `op` over about `ms` of wall time, after a full GC: synchronous ops in batches of 100, others awaited one at a time. */
async function cpuMicrosPerOp(op, ms) {
  globalThis.gc?.();
  let done = 0;
  const deadline = performance.now() + ms;
  const before = process.cpuUsage();
  while (performance.now() < deadline && done < 10_000_000) {
    for (let j = 0; j < 100; j++) {
      const pending = op(done);
      done++;
      if (pending !== undefined) await pending;
    }
  }
  const used = process.cpuUsage(before);
  return (used.user + used.system) / done;
}

const CHILD = process.env.BENCH_CHAIN_CHILD;
if (CHILD !== undefined) {
  if (!FRAMEWORKS.includes(CHILD)) throw new TypeError(`BENCH_CHAIN_CHILD: unknown framework ${CHILD}`);
  const variants = variantsOf(CHILD);
  await checkVariants(variants);
  for (const v of variants) await cpuMicrosPerOp(v.op, MS); // warm-up
  const timed = variants.map((v) => ({ id: v.id, label: v.label, samples: [] }));
  for (let round = 0; round < ROUNDS; round++) {
    for (const i of serpentine([...variants.keys()], round)) timed[i].samples.push(await cpuMicrosPerOp(variants[i].op, MS));
  }
  socket.destroy();
  await new Promise((resolve) => process.stdout.write(JSON.stringify(timed), resolve));
  process.exit(0);
}

function runChild(framework) {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, ['--expose-gc', fileURLToPath(import.meta.url)], { env: { ...process.env, BENCH_CHAIN_CHILD: framework }, maxBuffer: 1 << 20 }, (error, stdout, stderr) => {
      if (error !== null) reject(new Error(`bench:chain ${framework} child failed: ${stderr.trim() || error.message}`));
      else resolve(JSON.parse(stdout));
    });
  });
}

socket.destroy();
log(`${FRAMEWORKS.length} frameworks, one process each: 5 variants × ${ROUNDS} rounds × ${MS} ms, ${ALG}`);
const results = {};
for (const framework of FRAMEWORKS) results[framework] = await runChild(framework);

/** Median over rounds of one variant minus the sum of others, each taken in the same round of the same process. */
function within(framework, id, ...others) {
  const of = (v) => results[framework].find((x) => x.id === v).samples;
  return median(of(id).map((x, r) => others.reduce((rest, o) => rest - of(o)[r], x)));
}
const chainCosts = FRAMEWORKS.flatMap((f) => {
  const name = f === 'express' ? 'Express' : 'Koa';
  return [
    { id: `${f}-hit`, cost: within(f, `${f}-hit`, `${f}-bare`), budget: HIT_BUDGET, what: `${name} chain on a cache hit (above the bare harness)` },
    { id: `${f}-miss`, cost: within(f, `${f}-miss`, `${f}-bare`, 'jose'), budget: MISS_BUDGET, what: `${name} chain on a cache miss, above jose.jwtVerify (and the bare harness)` },
  ];
});

const variantTable = markdownTable(
  ['variant', 'CPU µs/req (median)', 'spread across rounds'],
  FRAMEWORKS.flatMap((f) => results[f].map((v) => {
    const mid = median(v.samples);
    return [`${v.id === 'jose' ? `(${f} process) ` : ''}${v.label}`, fmt(mid, 2), `${fmt(((Math.max(...v.samples) - Math.min(...v.samples)) / mid) * 100)} %`];
  })),
  ['', 'r', 'r'],
);
// No budget of its own (issue 17's is over HTTP): what metrics and anomaly signals add in process.
const monitoringCosts = markdownTable(
  ['metrics + anomaly signals on the cache-hit chain (issue 17)', 'CPU µs/req above the same chain'],
  FRAMEWORKS.map((f) => [f === 'express' ? 'Express' : 'Koa', fmt(within(f, `${f}-monitored`, `${f}-hit`), 2)]),
  ['', 'r'],
);
const verdicts = chainCosts.map((c) => [`${c.what} ≤ ${c.budget} µs`, `${fmt(c.cost, 2)} µs`, c.cost <= c.budget ? 'met' : 'NOT met']);
const verdictTable = markdownTable(['target (issue 19)', 'measured', 'verdict'], verdicts, ['', 'r', '']);

const m = machine();
const markdown = `In-process middleware chain, ${ALG}, CPU time per request, each framework in its own process, medians of ${ROUNDS} interleaved rounds of ${MS} ms; `
  + `${m.cpu}, ${m.cores} cores, Node ${m.node}.\n\n${variantTable}\n\n${verdictTable}\n\n${monitoringCosts}\n`;
console.log(markdown);
const file = await writeResults(`chain-${timestamp()}`, { machine: m, ms: MS, rounds: ROUNDS, alg: ALG, results, chainCosts, verdicts, markdown });
log(`raw results: ${file}`);
