import type { AuthContext } from '../context.js';
import type { RejectionReason, TollgateErrorCode } from '../errors/error-codes.js';
import type { StoreKind, TollgateError } from '../errors/errors.js';
import { requestPath, type TollgateRequest } from '../extract/request.js';
import { setupError } from '../errors/setup-error.js';

export interface AuditEventBase {
  /** ISO 8601 time of the decision. */
  time: string;
  method: string;
  /** The request path, without the query (which may hold a token). */
  path: string;
  /** SHA-256 fingerprint of the token, when one was presented. Never the token. */
  fingerprint?: string;
  subject?: string;
  clientId?: string;
  issuer?: string;
  /** How the credential was presented (`Bearer`, `DPoP`, …), once it was verified. */
  scheme?: string;
  /** The API key's id, for API keys. Never the key. */
  keyId?: string;
}

// The second of the last event, as ISO 8601 up to the seconds: most events share it with the one before.
let isoSecond = Number.NaN;
let isoPrefix = '';

/** `new Date(ms).toISOString()`, without building the Date and its text for every event (that costs about 0.8 µs). */
export function isoTime(ms: number): string {
  const t = Math.trunc(ms);
  if (!(Math.abs(t) <= 8.64e15)) return new Date(t).toISOString(); // throws its RangeError, as before
  const second = Math.floor(t / 1000);
  if (second !== isoSecond) {
    isoPrefix = new Date(second * 1000).toISOString().slice(0, -4); // up to and including the '.'
    isoSecond = second;
  }
  const millis = t - second * 1000;
  return `${isoPrefix}${millis < 10 ? '00' : millis < 100 ? '0' : ''}${millis}Z`;
}

/**
 * The common part of every event: when, which request (path without the query), and who, as far
 * as known — the fingerprint alone for a token that failed verification, never the token.
 */
export function auditBase(req: TollgateRequest, time: number, who?: Pick<AuthContext, 'fingerprint'> & Partial<Pick<AuthContext, 'issuer' | 'subject' | 'clientId' | 'scheme' | 'keyId'>>): AuditEventBase {
  // Built by assignment, not by conditional spreads: this runs for every accepted request when a
  // sink is set, and spreads of varying shapes cost several µs each there.
  const base: AuditEventBase = { time: isoTime(time), method: req.method, path: requestPath(req) };
  if (who === undefined) return base;
  base.fingerprint = who.fingerprint;
  if (who.issuer !== undefined) base.issuer = who.issuer;
  if (who.subject !== undefined) base.subject = who.subject;
  if (who.clientId !== undefined) base.clientId = who.clientId;
  if (who.scheme !== undefined) base.scheme = who.scheme;
  if (who.keyId !== undefined) base.keyId = who.keyId;
  return base;
}

/** A token was verified and accepted. */
export interface AuthenticatedEvent extends AuditEventBase {
  type: 'authenticated';
  scopes: readonly string[];
  cached: boolean;
  /** Seconds `authenticate` took, measured only for sinks that ask for it ({@link wantsMetrics}). */
  duration?: number;
}

/** A request was refused before or during authentication (401, 400, 429, 503). */
export interface RejectedEvent extends AuditEventBase {
  type: 'rejected';
  status: number;
  code: TollgateErrorCode;
  reason: RejectionReason;
  /** For `store_unavailable`: the store that failed. */
  store?: StoreKind;
}

/** The `rejected` fields of an event about `error`: status, code, reason, and the failed store if any. */
export function rejection(error: TollgateError): Pick<RejectedEvent, 'type' | 'status' | 'code' | 'reason' | 'store'> {
  return { type: 'rejected', status: error.status, code: error.code, reason: error.reason, ...(error.store === undefined ? {} : { store: error.store }) };
}

/** An authenticated request lacked a scope, role or claim (403). */
export interface ForbiddenEvent extends AuditEventBase {
  type: 'forbidden';
  status: 403;
  code: TollgateErrorCode;
  reason: RejectionReason;
  /** Scopes or roles the route needed and the token did not grant. */
  missing: readonly string[];
}

/** The signals of `authenticate({ anomalies })`. */
export type AnomalyKind = 'many-clients' | 'failure-burst' | 'revoked-reuse';

/**
 * A pattern that suggests a stolen or guessed credential: one token from more client addresses
 * than allowed (`many-clients`), a burst of failed authentications from one address
 * (`failure-burst`, which blocks the address), a revoked or replayed token used again
 * (`revoked-reuse`).
 */
export interface AnomalyEvent extends AuditEventBase {
  type: 'anomaly';
  kind: AnomalyKind;
  /** The client address the framework's trust-proxy rules gave, when known. */
  client?: string;
  /** Distinct addresses (`many-clients`) or failures (`failure-burst`) counted in the window. */
  count?: number;
  /** What was done about it: reported only, the request denied, or the address blocked. */
  action: 'report' | 'deny' | 'block';
}

/** A store failed and the request went on without it (a fail-open store, such as the anomaly store by default). */
export interface StoreErrorEvent extends AuditEventBase {
  type: 'store-error';
  store: StoreKind;
}

/** Every decision Tollgate makes, and every signal it raises, is one of these. */
export type AuditEvent = AuthenticatedEvent | RejectedEvent | ForbiddenEvent | AnomalyEvent | StoreErrorEvent;

/** Receives audit events. It must not throw; if it does, the error is swallowed. */
export type AuditSink = (event: AuditEvent) => void;

const METRICS = Symbol.for('tollgate.metricsHooks');

/** How a fetch of a remote key set or discovery document ended: a 2xx, another status, or no answer. */
export type KeyFetchOutcome = 'ok' | 'http_error' | 'network_error';

/** What a metrics sink receives beside audit events; a sink marked with them also gets durations. */
export interface MetricsHooks {
  /** One fetch of a remote key set or discovery document ended. */
  keyFetched(outcome: KeyFetchOutcome): void;
  /**
   * Given only by a sink that counts `authenticated` events and reads nothing else of them:
   * `authenticate` then calls it instead of building the event, on the path every accepted
   * request takes. `seconds` is how long `authenticate` took.
   */
  readonly accepted?: (scheme: string, cached: boolean, seconds: number) => void;
}

/**
 * Marks a sink as one that wants what only metrics need: `authenticate`'s duration on
 * `authenticated` events, and key fetches through `hooks`. Unmarked sinks never pay for them.
 */
export function markMetricsSink<S extends AuditSink>(sink: S, hooks: MetricsHooks): S {
  Object.defineProperty(sink, METRICS, { value: hooks });
  return sink;
}

/** The metrics hooks of a sink marked by {@link markMetricsSink}, else `undefined`. */
export function metricsHooks(sink: AuditSink | undefined): MetricsHooks | undefined {
  return sink === undefined ? undefined : (sink as { [METRICS]?: MetricsHooks })[METRICS];
}

/** True when `sink` asked for durations and key fetches ({@link markMetricsSink}). */
export function wantsMetrics(sink: AuditSink | undefined): boolean {
  return metricsHooks(sink) !== undefined;
}

/**
 * One sink that hands every event to each of `sinks` in turn (for example a logger and
 * metrics). A sink that throws does not keep the event from the others.
 */
export function combineSinks(...sinks: readonly AuditSink[]): AuditSink {
  for (const sink of sinks) {
    if (typeof sink !== 'function') setupError('ERR_TOLLGATE_INVALID_OPTION', 'combineSinks: every sink must be a function');
  }
  const all = [...sinks];
  const combined: AuditSink = function tollgateCombinedSinks(event) {
    for (const sink of all) emitAudit(sink, event);
  };
  const hooks = all.map(metricsHooks).filter((h): h is MetricsHooks => h !== undefined);
  if (hooks.length === 0) return combined;
  // No `accepted`: the other sinks need the whole event.
  return markMetricsSink(combined, {
    keyFetched(outcome) {
      for (const hook of hooks) hook.keyFetched(outcome);
    },
  });
}

/** Calls a sink without letting its failure change the request's outcome. */
export function emitAudit(sink: AuditSink | undefined, event: AuditEvent): void {
  if (sink === undefined) return;
  try {
    sink(event);
  } catch {
    // An audit sink must never turn a decision into a 500 or an allow.
  }
}

/** The part of a pino (or bunyan, or console-like) logger the adapter needs. */
export interface LevelLogger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
}

/**
 * An audit sink that writes to a pino-style logger: `authenticated` at `info`; `rejected`,
 * `forbidden`, `anomaly` and `store-error` at `warn`; the event under the `tollgate` key.
 */
export function pinoAuditSink(logger: LevelLogger): AuditSink {
  return function tollgateAuditToLogger(event) {
    switch (event.type) {
      case 'authenticated': logger.info({ tollgate: event }, 'tollgate: token accepted'); break;
      case 'anomaly': logger.warn({ tollgate: event }, `tollgate: anomaly ${event.kind} (${event.action})`); break;
      case 'store-error': logger.warn({ tollgate: event }, `tollgate: ${event.store} store failed; request judged without it`); break;
      default: logger.warn({ tollgate: event }, `tollgate: request ${event.type} (${event.reason})`);
    }
  };
}
