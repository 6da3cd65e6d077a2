// Knobs of the benchmark, read once from the environment.
import { cpus } from 'node:os';

function integer(name, fallback, { min = 1, max = Number.MAX_SAFE_INTEGER } = {}) {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new TypeError(`${name} must be an integer in [${min}, ${max}], got ${JSON.stringify(raw)}`);
  }
  return value;
}

function number(name, fallback, { min = 0, max = Number.MAX_SAFE_INTEGER } = {}) {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < min || value > max) {
    throw new TypeError(`${name} must be a number in [${min}, ${max}], got ${JSON.stringify(raw)}`);
  }
  return value;
}

/** The knobs of `npm run bench` (see bench/README.md). */
export function benchConfig() {
  return Object.freeze({
    duration: number('BENCH_DURATION', 10, { min: 1, max: 600 }),
    connections: integer('BENCH_CONNECTIONS', 32, { max: 1024 }),
    rounds: integer('BENCH_ROUNDS', 4, { max: 20 }),
    pool: integer('BENCH_POOL', 1000, { max: 100_000 }),
    warmup: number('BENCH_WARMUP', 1, { min: 0, max: 60 }),
    firstWarmup: number('BENCH_FIRST_WARMUP', 2, { min: 0, max: 60 }),
    singleUseMax: integer('BENCH_SINGLE_USE_MAX', 120_000, { min: 100, max: 1_000_000 }),
    rows: (process.env.BENCH_ROWS ?? '').split(',').map((s) => s.trim()).filter(Boolean),
    redisUrl: process.env.REDIS_URL || 'redis://127.0.0.1:6379',
  });
}

export { integer, number };

/** What the numbers were measured on. */
export function machine() {
  const list = cpus();
  return { node: process.version, cpu: list[0]?.model ?? 'unknown', cores: list.length, platform: `${process.platform}-${process.arch}` };
}
