import { Counter, Registry } from 'prom-client';
import { ERROR_TABLE } from '../errors/error-codes.js';
import { assertKnownOptions, setupError } from '../errors/setup-error.js';
import { markMetricsSink, type AuditEvent, type AuditSink } from './audit.js';
import { DurationHistogram } from './durations.js';

/** Options of {@link tollgateMetrics}. */
export interface TollgateMetricsOptions {
  /** The prom-client registry the metrics are registered in. Default: a new one of their own. */
  registry?: Registry;
}

/** What {@link tollgateMetrics} returns: the registry to serve, and the audit sink that feeds it. */
export interface TollgateMetrics {
  /** Holds Tollgate's metrics; serve it with the adapters' `metricsEndpoint(metrics)`. */
  readonly registry: Registry;
  /** Pass it as `authenticate({ audit })`, alone or through `combineSinks(...)`. */
  readonly sink: AuditSink;
}

// Every label value comes from one of these fixed lists (anything else is `other`), so no
// token, subject, key id, client address or path can ever become a label.
const SCHEMES = new Set(['Bearer', 'DPoP', 'api-key', 'introspection']);
const STORES = new Set(['revocation', 'nonce', 'dpop', 'rate-limit', 'anomaly', 'api-key']);
const OUTCOMES = new Set(['ok', 'http_error', 'network_error']);
const KINDS = new Set(['many-clients', 'failure-burst', 'revoked-reuse']);
const DURATION_BUCKETS = [0.000_01, 0.000_05, 0.000_1, 0.000_5, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5];

/** One label set's count: what the request path adds to, and what the counter was last handed. */
interface Tally {
  readonly labels: Record<'decision' | 'reason' | 'scheme', string>;
  count: number;
  reported: number;
}

const label = (allowed: ReadonlySet<string>, value: unknown): string => (typeof value === 'string' && allowed.has(value) ? value : 'other');
const codeLabel = (code: unknown): string => (typeof code === 'string' && Object.hasOwn(ERROR_TABLE, code) ? code : 'other');

/**
 * Prometheus metrics of Tollgate's decisions, on `prom-client`, fed by an audit sink:
 *
 * - `tollgate_decisions_total{decision="allow"|"deny",reason,scheme}`: `reason` is the error
 *   code of a refusal (`invalid_token`, `rate_limited`, …) or `none` for an allow;
 * - `tollgate_verify_duration_seconds{cache="hit"|"miss"}`: how long `authenticate` took;
 * - `tollgate_key_fetches_total{outcome}`: remote key set and discovery fetches;
 * - `tollgate_store_errors_total{store}`: failures of the shared stores;
 * - `tollgate_anomalies_total{kind}`: the signals of `authenticate({ anomalies })`.
 *
 * Labels take only fixed values: never a token, subject, key id, address or path.
 */
export function tollgateMetrics(options: TollgateMetricsOptions = {}): TollgateMetrics {
  if (typeof options !== 'object' || options === null) setupError('ERR_TOLLGATE_INVALID_OPTION', 'tollgateMetrics: options must be an object');
  assertKnownOptions(options, ['registry'], 'tollgateMetrics');
  const registry = options.registry ?? new Registry();
  if (typeof registry.registerMetric !== 'function' || typeof registry.metrics !== 'function') {
    setupError('ERR_TOLLGATE_INVALID_OPTION', 'tollgateMetrics: registry must be a prom-client Registry');
  }
  if (registry.getSingleMetric('tollgate_decisions_total') !== undefined) {
    setupError('ERR_TOLLGATE_INVALID_OPTION', 'tollgateMetrics: this registry already holds Tollgate metrics; share one tollgateMetrics() instead');
  }
  const registers = [registry];
  // Decisions are counted as plain numbers on the request path (a prom-client `inc` hashes its
  // labels on every call) and handed to the counter when the registry is read.
  const tallies = new Map<string, Tally>();
  const decisions = new Counter({
    name: 'tollgate_decisions_total', help: 'Decisions of Tollgate middlewares, by outcome, error code and scheme', labelNames: ['decision', 'reason', 'scheme'] as const, registers,
    collect() {
      for (const tally of tallies.values()) {
        if (tally.count === tally.reported) continue;
        this.inc(tally.labels, tally.count - tally.reported);
        tally.reported = tally.count;
      }
    },
  });
  const duration = new DurationHistogram({ name: 'tollgate_verify_duration_seconds', help: 'Time authenticate took for an accepted credential, by verified-token cache outcome', buckets: DURATION_BUCKETS, registers });
  const keyFetches = new Counter({ name: 'tollgate_key_fetches_total', help: 'Fetches of remote key sets and discovery documents, by outcome', labelNames: ['outcome'] as const, registers });
  const storeErrors = new Counter({ name: 'tollgate_store_errors_total', help: 'Failures of the shared stores, by store', labelNames: ['store'] as const, registers });
  const anomalies = new Counter({ name: 'tollgate_anomalies_total', help: 'Anomaly signals raised, by kind', labelNames: ['kind'] as const, registers });

  /** The tally of one label set (a bounded number of them: every label comes from a fixed list). */
  const decision = (outcome: 'allow' | 'deny', reason: string, scheme: string): Tally => {
    const key = `${outcome} ${reason} ${scheme}`;
    let tally = tallies.get(key);
    if (tally === undefined) tallies.set(key, tally = { labels: { decision: outcome, reason, scheme }, count: 0, reported: 0 });
    return tally;
  };
  const hit = duration.recorder('hit');
  const miss = duration.recorder('miss');

  // The allow tally of the last scheme seen: nearly every request is an allow with the scheme of the one before.
  let allowScheme: unknown;
  let allowTally: Tally | undefined;

  function accepted(scheme: unknown, cached: boolean, seconds: number | undefined): void {
    if (allowTally === undefined || scheme !== allowScheme) {
      allowTally = decision('allow', 'none', label(SCHEMES, scheme));
      allowScheme = scheme;
    }
    allowTally.count++;
    if (seconds !== undefined) (cached ? hit : miss)(seconds);
  }

  function tollgateMetricsSink(event: AuditEvent): void {
    switch (event.type) {
      case 'authenticated':
        accepted(event.scheme, event.cached, event.duration);
        break;
      case 'rejected':
      case 'forbidden':
        decision('deny', codeLabel(event.code), event.scheme === undefined ? 'none' : label(SCHEMES, event.scheme)).count++;
        if (event.type === 'rejected' && event.reason === 'store_unavailable') storeErrors.inc({ store: label(STORES, event.store) });
        break;
      case 'store-error':
        storeErrors.inc({ store: label(STORES, event.store) });
        break;
      case 'anomaly':
        anomalies.inc({ kind: label(KINDS, event.kind) });
        break;
    }
  }
  const hooks = { keyFetched: (outcome: string) => keyFetches.inc({ outcome: label(OUTCOMES, outcome) }), accepted };
  return Object.freeze({ registry, sink: markMetricsSink(tollgateMetricsSink, hooks) });
}

/** Checks, at setup, that `metrics` is what {@link tollgateMetrics} returned; answers its registry. */
export function metricsRegistry(metrics: Pick<TollgateMetrics, 'registry'>, what: string): Registry {
  const registry = (metrics as Partial<TollgateMetrics> | null | undefined)?.registry;
  if (typeof registry?.metrics !== 'function' || typeof registry.contentType !== 'string') {
    setupError('ERR_TOLLGATE_INVALID_OPTION', `${what}: pass what tollgateMetrics() returned`);
  }
  return registry;
}
