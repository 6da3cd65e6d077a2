import { Histogram, type Registry } from 'prom-client';

type Snapshot = Awaited<ReturnType<Histogram<'cache'>['get']>>;
type Sample = Snapshot['values'][number];
/** Where prom-client keeps a histogram's own labels, apart from `le`, before `get` merges them. */
interface Shared { sharedLabels: Record<string, string> }
export type CacheOutcome = 'hit' | 'miss';

// prom-client's Histogram has this method (the registry prefers it to `get`), untyped.
const base = Histogram.prototype as unknown as { getForPromString(this: Histogram<'cache'>): Promise<Snapshot> };

/** The observations of one label value: a count per bucket (not cumulative; the last one is above every bound), their sum and number. */
interface Tally {
  readonly buckets: Float64Array;
  sum: number;
  count: number;
}

/**
 * `tollgate_verify_duration_seconds{cache}`: a prom-client `Histogram` whose request-path
 * observations go through {@link DurationHistogram.recorder} into plain numbers. prom-client's own
 * `observe` checks and hashes the labels and finds the bucket by its bound's text on every call,
 * on the path of every accepted request; here that work is done when the registry is read, and
 * added to whatever was observed the usual way.
 */
export class DurationHistogram extends Histogram<'cache'> {
  readonly #name: string;
  readonly #bounds: readonly number[];
  readonly #tallies = new Map<CacheOutcome, Tally>();

  constructor(config: { name: string; help: string; buckets: readonly number[]; registers: Registry[] }) {
    super({ ...config, buckets: [...config.buckets], labelNames: ['cache'] as const });
    this.#name = config.name;
    this.#bounds = [...config.buckets];
  }

  /** Records the seconds one accepted request took, for one cache outcome. */
  recorder(cache: CacheOutcome): (seconds: number) => void {
    const bounds = this.#bounds;
    let tally = this.#tallies.get(cache);
    if (tally === undefined) this.#tallies.set(cache, tally = { buckets: new Float64Array(bounds.length + 1), sum: 0, count: 0 });
    const into = tally;
    return (seconds) => {
      if (!Number.isFinite(seconds)) return;
      let i = 0;
      while (i < bounds.length && seconds > bounds[i]!) i += 1;
      into.buckets[i]! += 1;
      into.sum += seconds;
      into.count += 1;
    };
  }

  /**
   * What the registry reads (prom-client's `get` reads it too, and flattens the labels): the
   * usual samples, with the recorded ones added to theirs or beside them.
   */
  async getForPromString(): Promise<Snapshot> {
    const snapshot = await base.getForPromString.call(this);
    const name = this.#name;
    const labelsOf = (v: Sample): Record<string, unknown> => ({ ...(v as Partial<Shared>).sharedLabels, ...v.labels });
    for (const [cache, tally] of this.#tallies) {
      if (tally.count === 0) continue;
      // In prom-client's own shape: `le` in `labels`, the histogram's labels in `sharedLabels`.
      const sample = (suffix: string, value: number, le?: number | '+Inf'): Sample & Shared => (
        { metricName: `${name}${suffix}`, labels: (le === undefined ? {} : { le }) as Sample['labels'], sharedLabels: { cache }, value });
      const samples: (Sample & Shared)[] = [];
      let below = 0;
      this.#bounds.forEach((le, i) => {
        below += tally.buckets[i]!;
        samples.push(sample('_bucket', below, le));
      });
      samples.push(sample('_bucket', tally.count, '+Inf'), sample('_sum', tally.sum), sample('_count', tally.count));
      for (const mine of samples) {
        const le = (mine.labels as { le?: unknown }).le;
        const same = snapshot.values.find((v) => {
          const labels = labelsOf(v);
          return v.metricName === mine.metricName && labels.cache === cache && labels.le === le;
        });
        if (same === undefined) snapshot.values.push(mine);
        else same.value += mine.value;
      }
    }
    return snapshot;
  }

  override reset(): void {
    super.reset();
    // prom-client's constructor calls reset() before this class's fields exist.
    if (!(#tallies in this)) return;
    for (const tally of this.#tallies.values()) {
      tally.buckets.fill(0);
      tally.sum = 0;
      tally.count = 0;
    }
  }
}
