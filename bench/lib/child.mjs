// The runner's side of server.mjs: fork one server, wait until it listens, ask it for stats.
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const SERVER = fileURLToPath(new URL('../server.mjs', import.meta.url));

/**
 * Forks the server of target `id` and resolves once it listens on a free loopback port (or
 * reports that it cannot run). `execArgv` adds node flags (e.g. `--cpu-prof`).
 */
export function startServer(id, ctx, { execArgv = [], timeoutMs = 20_000 } = {}) {
  const child = fork(SERVER, [], {
    env: { ...process.env, NODE_ENV: 'production' },
    execArgv,
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  child.send({ type: 'start', id, ctx });
  let exited = false;
  const exit = new Promise((resolve) => child.once('exit', (code) => {
    exited = true;
    resolve(code);
  }));

  function request(type, answer) {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`server ${id} did not answer ${type}`)), 5000);
      const onMessage = (message) => {
        if (message?.type !== answer) return;
        clearTimeout(timer);
        child.off('message', onMessage);
        resolve(message);
      };
      child.on('message', onMessage);
      child.send({ type });
    });
  }

  const handle = {
    stats: () => request('stats', 'stats'),
    async stop() {
      if (exited) return;
      child.send({ type: 'stop' });
      const timer = setTimeout(() => { if (!exited) child.kill('SIGKILL'); }, 5000);
      await exit;
      clearTimeout(timer);
    },
  };

  return new Promise((resolve) => {
    let settled = false;
    // The first outcome wins. A child that reports `unavailable` or `failed` is then stopped and
    // exits with code 0; that exit must not turn its own status and reason into "exited with code 0".
    function settle(outcome, before = async () => {}) {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      before().then(() => resolve({ ...handle, ...outcome }));
    }
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      settle({ status: 'failed', reason: 'did not start in time' });
    }, timeoutMs);
    child.on('message', (message) => {
      if (message?.type === 'ready') settle({ status: 'ready', port: message.port, tokens: message.tokens });
      // Resolved once the child is gone, so the next server does not start beside it.
      else if (message?.type === 'unavailable' || message?.type === 'failed') settle({ status: message.type, reason: message.reason }, () => handle.stop());
    });
    exit.then((code) => settle({ status: 'failed', reason: `exited with code ${code}` }));
  });
}
