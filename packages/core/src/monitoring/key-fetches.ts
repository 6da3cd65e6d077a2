import { metricsHooks, type AuditSink, type KeyFetchOutcome, type MetricsHooks } from './audit.js';

type Fetch = typeof globalThis.fetch;

/**
 * Wraps the `fetch` that key sources use so that every fetch of a key set or discovery document
 * reaches `hooks.keyFetched`: `ok`, `http_error` or `network_error`. The answer or error itself
 * passes through unchanged. `fetchImpl` undefined means the global `fetch`, looked up per call.
 */
export function reportKeyFetches(fetchImpl: Fetch | undefined, hooks: MetricsHooks): Fetch {
  const report = (outcome: KeyFetchOutcome): void => {
    try {
      hooks.keyFetched(outcome);
    } catch {
      // Like an audit sink, a metrics hook never changes what the fetch answers.
    }
  };
  return async function tollgateKeyFetch(input, init) {
    let response: Response;
    try {
      response = await (fetchImpl ?? globalThis.fetch)(input, init);
    } catch (error) {
      report('network_error');
      throw error;
    }
    report(response.ok ? 'ok' : 'http_error');
    return response;
  };
}

/**
 * `authenticate`'s options with key fetches reported, when the audit sink is a metrics sink;
 * the options themselves otherwise. Validation is left to the options parser.
 */
export function withKeyFetchEvents<O extends { audit?: AuditSink; fetch?: Fetch }>(options: O): O {
  if (typeof options !== 'object' || options === null) return options;
  const hooks = metricsHooks(options.audit);
  if (hooks === undefined || (options.fetch !== undefined && typeof options.fetch !== 'function')) return options;
  return { ...options, fetch: reportKeyFetches(options.fetch, hooks) };
}
