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
    id,
    pid: child.pid,
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
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      resolve({ ...handle, status: 'failed', reason: 'did not start in time' });
    }, timeoutMs);
    child.on('message', (message) => {
      if (message?.type === 'ready') resolve({ ...handle, status: 'ready', port: message.port });
      else if (message?.type === 'unavailable' || message?.type === 'failed') {
        handle.stop().then(() => resolve({ ...handle, status: message.type, reason: message.reason }));
        return;
      } else return;
      clearTimeout(timer);
    });
    exit.then((code) => {
      clearTimeout(timer);
      resolve({ ...handle, status: 'failed', reason: `exited with code ${code}` });
    });
  });
}
