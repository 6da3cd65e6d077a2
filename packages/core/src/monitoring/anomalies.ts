import type { AuthContext } from '../context.js';
import { challengeScheme, type Challenge } from '../errors/challenge.js';
import { isTollgateError, TollgateError } from '../errors/errors.js';
import { assertKnownOptions, setupError } from '../errors/setup-error.js';
import type { TollgateRequest } from '../extract/request.js';
import { isThenable, type MaybePromise } from '../promised.js';
import { MemoryAnomalyStore, type AnomalyStore, type ClientCount, type ClientWindow, type FailureWindow } from './anomaly-store.js';
import { auditBase, emitAudit, markMetricsSink, metricsHooks, type AnomalyEvent, type AuditEvent, type AuditSink } from './audit.js';
import { clientKey } from './client-address.js';

/** `authenticate({ anomalies })`: signals of stolen or guessed credentials. */
export interface AnomalyOptions {
  /** Where counts are kept. Default: a `MemoryAnomalyStore` (this process only). */
  store?: AnomalyStore;
  /**
   * One token (or API key) from more than `max` (at most 1000) client addresses in `windowMs` is
   * a `many-clients` anomaly; `action: 'deny'` also refuses it (401) for the rest of the window.
   */
  clientsPerToken?: { max: number; windowMs: number; action?: 'report' | 'deny' };
  /**
   * More than `max` failed authentications (400/401) from one client address in `windowMs`
   * block it for `blockMs`: a 429 with `Retry-After`, before any verification work (`failure-burst`).
   */
  failuresPerClient?: { max: number; windowMs: number; blockMs: number };
  /** A failing store answers 503 instead of being reported and skipped. Default false. */
  failClosed?: boolean;
}

/** {@link AnomalyOptions}, validated and frozen. */
export interface ParsedAnomalyOptions {
  readonly store: AnomalyStore;
  readonly clientsPerToken: (ClientWindow & { readonly action: 'report' | 'deny' }) | undefined;
  readonly failuresPerClient: FailureWindow | undefined;
  readonly failClosed: boolean;
}

// A token seen from more addresses than this in one window needs no finer count to be suspect,
// and the bound keeps a memory store's addresses per token small.
const MAX_CLIENTS_PER_TOKEN = 1000;

function positiveInteger(value: unknown, name: string, most = Number.MAX_SAFE_INTEGER): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1 || value > most) {
    setupError('ERR_TOLLGATE_INVALID_OPTION', `anomalies.${name} must be an integer from 1 to ${most}`);
  }
  return value;
}

function section<K extends string>(value: unknown, name: string, keys: readonly K[]): Record<K, unknown> | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'object' || value === null) setupError('ERR_TOLLGATE_INVALID_OPTION', `anomalies.${name} must be an object`);
  assertKnownOptions(value, keys, `anomalies.${name}`);
  return value as Record<K, unknown>;
}

/** Validates `authenticate`'s `anomalies` option once, at setup. */
export function parseAnomalyOptions(options: AnomalyOptions): ParsedAnomalyOptions {
  if (typeof options !== 'object' || options === null) setupError('ERR_TOLLGATE_INVALID_OPTION', 'anomalies must be an object');
  assertKnownOptions(options, ['store', 'clientsPerToken', 'failuresPerClient', 'failClosed'], 'anomalies');
  const store = options.store ?? new MemoryAnomalyStore();
  if (typeof store !== 'object' || store === null || !(['addClient', 'addFailure', 'blockedFor'] as const).every((m) => typeof store[m] === 'function')) {
    setupError('ERR_TOLLGATE_INVALID_OPTION', 'anomalies.store must be an AnomalyStore');
  }
  const clients = section(options.clientsPerToken, 'clientsPerToken', ['max', 'windowMs', 'action']);
  const action = clients?.action ?? 'report';
  if (action !== 'report' && action !== 'deny') setupError('ERR_TOLLGATE_INVALID_OPTION', 'anomalies.clientsPerToken.action must be "report" or "deny"');
  const failures = section(options.failuresPerClient, 'failuresPerClient', ['max', 'windowMs', 'blockMs']);
  if (options.failClosed !== undefined && typeof options.failClosed !== 'boolean') setupError('ERR_TOLLGATE_INVALID_OPTION', 'anomalies.failClosed must be a boolean');
  return Object.freeze({
    store,
    clientsPerToken: clients === undefined ? undefined : Object.freeze({
      max: positiveInteger(clients.max, 'clientsPerToken.max', MAX_CLIENTS_PER_TOKEN), windowMs: positiveInteger(clients.windowMs, 'clientsPerToken.windowMs'), action,
    }),
    failuresPerClient: failures === undefined ? undefined : Object.freeze({
      max: positiveInteger(failures.max, 'failuresPerClient.max'),
      windowMs: positiveInteger(failures.windowMs, 'failuresPerClient.windowMs'),
      blockMs: positiveInteger(failures.blockMs, 'failuresPerClient.blockMs'),
    }),
    failClosed: options.failClosed ?? false,
  });
}

/** What the watch needs from its authenticator. */
export interface AnomalyWatchContext {
  readonly audit: AuditSink | undefined;
  readonly now: () => number;
  /** The challenges of an error for a credential presented with `scheme`. */
  readonly challengesFor: (scheme: 'Bearer' | 'DPoP') => readonly Challenge[];
}

/** The anomaly signals around one authenticator: `createAuthenticator` calls it at three points. */
export interface AnomalyWatch {
  /** The audit sink with `revoked-reuse` added: every revoked or replayed rejection also raises it. */
  readonly sink: AuditSink | undefined;
  /**
   * Runs `check(req, started)` (the whole authentication) unless the client is blocked (then a
   * 429, reported through `refuse`, before any verification work), and counts its failures.
   * Plain arguments, not a closure: this runs for every request.
   */
  guard(
    req: TollgateRequest, started: number, check: (req: TollgateRequest, started: number) => MaybePromise<AuthContext>,
    refuse: (req: TollgateRequest, error: TollgateError) => TollgateError,
  ): MaybePromise<AuthContext>;
  /** After every check passed: counts the client for the credential; throws to deny (`action: 'deny'`). */
  seen(req: TollgateRequest, auth: AuthContext): MaybePromise<void>;
}

/** `then` that stays synchronous for a synchronous value. */
function chain<T, U>(value: MaybePromise<T>, next: (value: T) => MaybePromise<U>): MaybePromise<U> {
  return isThenable(value) ? Promise.resolve(value).then(next) : next(value);
}

/** Failures that count towards a burst: refused credentials, not a missing one, not our own refusals or the DPoP nonce dance. */
function isFailedAuthentication(error: unknown): boolean {
  return isTollgateError(error) && (error.status === 401 || error.status === 400)
    && error.code !== 'missing_token' && error.code !== 'use_dpop_nonce' && error.reason !== 'many_clients';
}

function withReuseSignal(sink: AuditSink): AuditSink {
  const signalling: AuditSink = function tollgateRevokedReuse(event: AuditEvent) {
    emitAudit(sink, event);
    if (event.type === 'rejected' && (event.reason === 'revoked' || event.reason === 'replayed')) {
      const { type: _type, status: _status, code: _code, reason: _reason, store: _store, ...base } = event;
      emitAudit(sink, { ...base, type: 'anomaly', kind: 'revoked-reuse', action: 'report' });
    }
  };
  const hooks = metricsHooks(sink);
  return hooks === undefined ? signalling : markMetricsSink(signalling, hooks);
}

/** Builds the watch for validated options. */
export function createAnomalyWatch(options: ParsedAnomalyOptions, context: AnomalyWatchContext): AnomalyWatch {
  const { store, clientsPerToken, failuresPerClient, failClosed } = options;
  const { now } = context;
  const sink = context.audit === undefined ? undefined : withReuseSignal(context.audit);

  function signal(req: TollgateRequest, auth: AuthContext | undefined, fields: Pick<AnomalyEvent, 'kind' | 'client' | 'count' | 'action'>): void {
    if (sink !== undefined) emitAudit(sink, { ...auditBase(req, now(), auth), type: 'anomaly', ...fields });
  }

  /**
   * A store failure (a throw, or a rejected answer): reported, and answered with `undefined` (the
   * request is judged without the store), or, with `failClosed`, a 503 when `closes` says the
   * answer mattered.
   */
  function storeFailed(req: TollgateRequest, cause: unknown, closes: boolean): undefined {
    if (failClosed && closes) {
      throw new TollgateError('temporarily_unavailable', 'Anomaly signals cannot be checked right now', { reason: 'store_unavailable', store: 'anomaly', headers: { 'Retry-After': '1' }, cause });
    }
    if (sink !== undefined) emitAudit(sink, { ...auditBase(req, now()), type: 'store-error', store: 'anomaly' });
    return undefined;
  }

  /** A store's answer, with a rejection handed to {@link storeFailed}. */
  function settled<T>(req: TollgateRequest, answer: MaybePromise<T>, closes: boolean): MaybePromise<T | undefined> {
    return isThenable(answer) ? Promise.resolve(answer).then(undefined, (cause: unknown) => storeFailed(req, cause, closes)) : answer;
  }

  function countFailure(req: TollgateRequest, client: string, limits: FailureWindow, error: unknown): MaybePromise<never> {
    const fail = (): never => { throw error; };
    if (!isFailedAuthentication(error)) return fail();
    // The request is refused either way: a store failure here never changes its answer.
    let counted: MaybePromise<{ count: number; blockedMs: number } | undefined>;
    try {
      counted = settled(req, store.addFailure(client, limits, now()), false);
    } catch (cause) {
      counted = storeFailed(req, cause, false);
    }
    return chain(counted, (answer) => {
      if (answer !== undefined && answer.blockedMs > 0) signal(req, undefined, { kind: 'failure-burst', client, count: answer.count, action: 'block' });
      return fail();
    });
  }

  /** How long `client` stays blocked; `undefined` when the store could not say (and may not close). */
  function blockedFor(req: TollgateRequest, client: string): MaybePromise<number | undefined> {
    try {
      return settled(req, store.blockedFor(client, now()), true);
    } catch (cause) {
      return storeFailed(req, cause, true);
    }
  }

  /** Runs the check for a client that is not blocked, counting its failures; refuses a blocked one. */
  function admit(
    req: TollgateRequest, client: string, blockedMs: number | undefined, started: number,
    check: (req: TollgateRequest, started: number) => MaybePromise<AuthContext>, refuse: (req: TollgateRequest, error: TollgateError) => TollgateError,
  ): MaybePromise<AuthContext> {
    if (blockedMs !== undefined && blockedMs > 0) {
      throw refuse(req, new TollgateError('rate_limited', 'Too many failed authentications from this client; try again later', {
        reason: 'client_blocked', headers: { 'Retry-After': String(Math.max(1, Math.ceil(blockedMs / 1000))) },
      }));
    }
    let result: MaybePromise<AuthContext>;
    try {
      result = check(req, started);
    } catch (error) {
      return countFailure(req, client, failuresPerClient!, error);
    }
    return isThenable(result) ? result.then(undefined, (error: unknown) => countFailure(req, client, failuresPerClient!, error)) : result;
  }

  function guard(
    req: TollgateRequest, started: number, check: (req: TollgateRequest, started: number) => MaybePromise<AuthContext>,
    refuse: (req: TollgateRequest, error: TollgateError) => TollgateError,
  ): MaybePromise<AuthContext> {
    const client = failuresPerClient === undefined ? undefined : clientKey(req.ip);
    if (client === undefined) return check(req, started);
    let blocked: MaybePromise<number | undefined>;
    try {
      blocked = blockedFor(req, client);
    } catch (error) {
      throw refuse(req, error as TollgateError);
    }
    return isThenable(blocked)
      ? blocked.then((ms) => admit(req, client, ms, started, check, refuse), (error: unknown) => { throw refuse(req, error as TollgateError); })
      : admit(req, client, blocked, started, check, refuse);
  }

  /** Decides on the count of clients a token was seen from. */
  function judge(req: TollgateRequest, auth: AuthContext, client: string, counted: ClientCount | undefined): void {
    if (counted === undefined || clientsPerToken === undefined || counted.count <= clientsPerToken.max) return;
    const { action } = clientsPerToken;
    // One signal per token and window: when this client's address made the count pass max.
    if (counted.previous <= clientsPerToken.max) signal(req, auth, { kind: 'many-clients', client, count: counted.count, action });
    if (action === 'deny') {
      throw new TollgateError('invalid_token', 'The access token is in use from too many places', { reason: 'many_clients', challenge: [...context.challengesFor(challengeScheme(auth))] });
    }
  }

  function seen(req: TollgateRequest, auth: AuthContext): MaybePromise<void> {
    if (clientsPerToken === undefined) return;
    const client = clientKey(req.ip);
    if (client === undefined) return;
    let counted: MaybePromise<ClientCount | undefined>;
    try {
      counted = settled(req, store.addClient(auth.fingerprint, client, clientsPerToken, now()), true);
    } catch (cause) {
      counted = storeFailed(req, cause, true);
    }
    return isThenable(counted) ? counted.then((answer) => judge(req, auth, client, answer)) : judge(req, auth, client, counted);
  }

  return Object.freeze({ sink, guard, seen });
}
