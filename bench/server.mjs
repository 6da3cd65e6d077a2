// One benchmarked server, in its own process: forked by run.mjs / profile.mjs, driven over IPC.
//   parent -> { type: 'start', id, ctx }   child -> { type: 'ready', port, tokens? } | { type: 'unavailable', reason } | { type: 'failed', reason }
//   parent -> { type: 'stats' }            child -> { type: 'stats', cpu, redis, rss, heapUsed }
//   parent -> { type: 'stop' }             child closes and exits (which also writes a --cpu-prof profile)
import { createServer } from 'node:http';
import { NotAvailable, TARGETS } from './targets.mjs';

const counters = { redis: 0, requests: 0 };
let server;
let closeTarget;

function send(message) {
  if (process.connected) process.send(message);
}

async function start({ id, ctx }) {
  const target = TARGETS.find((t) => t.id === id);
  if (target === undefined) {
    send({ type: 'failed', reason: `unknown target ${id}` });
    return;
  }
  let built;
  try {
    built = await target.build(ctx, counters);
  } catch (error) {
    send(error instanceof NotAvailable ? { type: 'unavailable', reason: error.message } : { type: 'failed', reason: String(error?.stack ?? error) });
    return;
  }
  closeTarget = built.close;
  server = createServer(built.handler);
  server.on('request', () => { counters.requests++; });
  server.keepAliveTimeout = 60_000;
  // A row that issues its own credentials (API keys) hands them to the runner with its port.
  server.listen(0, '127.0.0.1', () => send({ type: 'ready', port: server.address().port, tokens: built.tokens }));
}

// The runner asks for stats right after autocannon stops, when requests it abandoned may still be
// at work here (and still sending Redis commands). Counting them on one side of the measurement and
// their commands on the other skewed cmds/req by a few parts in ten thousand either way, so the
// stats wait until the counters have stood still for 50 ms (at most 2 s). No per-request cost.
async function settled() {
  // Both counters only grow, so their sum stands still exactly when both do.
  const deadline = Date.now() + 2000;
  let last = counters.requests + counters.redis;
  for (;;) {
    await new Promise((resolve) => setTimeout(resolve, 50));
    const now = counters.requests + counters.redis;
    if (now === last || Date.now() > deadline) return;
    last = now;
  }
}

async function stop() {
  const timer = setTimeout(() => process.exit(0), 3000);
  timer.unref();
  if (server !== undefined) {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
  await closeTarget?.();
  process.exit(0);
}

process.on('message', (message) => {
  if (message?.type === 'start') void start(message);
  else if (message?.type === 'stats') {
    void settled().then(() => {
      const memory = process.memoryUsage();
      send({ type: 'stats', cpu: process.cpuUsage(), redis: counters.redis, requests: counters.requests, rss: memory.rss, heapUsed: memory.heapUsed });
    });
  } else if (message?.type === 'stop') void stop();
});
// The runner went away: do not linger.
process.on('disconnect', () => void stop());
