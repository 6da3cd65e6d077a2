// Knobs of the benchmark, read once from the environment.
import { cpus } from 'node:os';

/**
 * The environment variable `name` as a number in [min, max] (a whole one when `integer`), or
 * `fallback` when it is unset or empty. Anything else throws: a typo must not run a wrong benchmark.
 */
function envNumber(name, fallback, { min, max = Number.MAX_SAFE_INTEGER, integer: whole }) {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  const valid = whole ? Number.isInteger(value) : Number.isFinite(value);
  if (!valid || value < min || value > max) {
    throw new TypeError(`${name} must be ${whole ? 'an integer' : 'a number'} in [${min}, ${max}], got ${JSON.stringify(raw)}`);
  }
  return value;
}

const integer = (name, fallback, { min = 1, max } = {}) => envNumber(name, fallback, { min, max, integer: true });
const number = (name, fallback, { min = 0, max } = {}) => envNumber(name, fallback, { min, max, integer: false });

/**
 * `url` with its password replaced by `***`, for what is logged or written to results/ (connections
 * use the real one). A string that is not a URL, or a URL without a password, comes back unchanged.
 */
export function redactUrl(url) {
  let parsed;
  try {
    parsed = new URL(url);
  } catch {
    return url;
  }
  if (parsed.password === '') return url;
  parsed.password = '***';
  return parsed.href;
}

/** Rounds a run needs for its verdicts to count: fewer are allowed for a quick look, and said so. */
export const MIN_ROUNDS = 6;
/** A run whose bare rows' req/s spread more than this across rounds is flagged: the machine was not steady. */
export const MAX_BARE_SPREAD = 0.1;

/** The knobs of `npm run bench` (see bench/README.md). */
export function benchConfig() {
  return Object.freeze({
    duration: number('BENCH_DURATION', 10, { min: 1, max: 600 }),
    connections: integer('BENCH_CONNECTIONS', 32, { max: 1024 }),
    rounds: integer('BENCH_ROUNDS', MIN_ROUNDS, { max: 20 }),
    chain: process.env.BENCH_CHAIN !== '0',
    fresh: process.env.BENCH_FRESH !== '0',
    pool: integer('BENCH_POOL', 1000, { max: 100_000 }),
    warmup: number('BENCH_WARMUP', 1, { min: 0, max: 60 }),
    firstWarmup: number('BENCH_FIRST_WARMUP', 2, { min: 0, max: 60 }),
    singleUseMax: integer('BENCH_SINGLE_USE_MAX', 120_000, { min: 100, max: 1_000_000 }),
    rows: (process.env.BENCH_ROWS ?? '').split(',').map((s) => s.trim()).filter(Boolean),
    redisUrl: process.env.REDIS_URL || 'redis://127.0.0.1:6379',
    databaseUrl: process.env.DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/test',
  });
}

export { integer, number };

/** What the numbers were measured on. */
export function machine() {
  const list = cpus();
  return { node: process.version, cpu: list[0]?.model ?? 'unknown', cores: list.length, platform: `${process.platform}-${process.arch}` };
}
