import { auditBase, emitAudit, type AuditEvent, type AuditEventBase, type AuditSink } from '../monitoring/audit.js';
import { challengeScheme, type AuthContext } from '../context.js';
import type { RejectionReason } from '../errors/error-codes.js';
import { TollgateError } from '../errors/errors.js';
import type { PolicyDescriptor } from '../policy/policy.js';
import { promised, type MaybePromise } from '../promised.js';
import type { TollgateRequest } from '../extract/request.js';

/** A framework-free check that runs after `authenticate`. Adapters wrap it in middleware. */
export interface Guard<P extends PolicyDescriptor = PolicyDescriptor> {
  readonly policy: P;
  /** Resolves when the request may pass; rejects with a {@link TollgateError} otherwise. */
  check(auth: AuthContext | undefined, req: TollgateRequest): Promise<void>;
  /**
   * `check` for adapters on the hot path: returns (scope and role checks synchronously) when
   * the request may pass, throws or rejects with the {@link TollgateError} otherwise.
   */
  run(auth: AuthContext | undefined, req: TollgateRequest): MaybePromise<void>;
}

/** Builds a frozen guard from its policy and its hot-path check; `check` is derived from `run`. */
export function defineGuard<P extends PolicyDescriptor>(policy: P, run: Guard<P>['run']): Guard<P> {
  return Object.freeze({ policy, run, check: (auth: AuthContext | undefined, req: TollgateRequest) => promised(() => run(auth, req)) });
}

// The audit sink and clock of the authenticator that produced each context, so guards report to
// it too, with the time the authenticator's own events carry.
const sinks = new WeakMap<AuthContext, { readonly sink: AuditSink; readonly now: () => number }>();

/** Remembers which sink (and clock) an auth context's decisions are reported to. */
export function bindAuditSink(auth: AuthContext, sink: AuditSink | undefined, now: () => number): void {
  if (sink !== undefined) sinks.set(auth, { sink, now });
}

/** Sends an event about an authenticated request to its authenticator's sink, stamped by its clock. */
function report(auth: AuthContext, req: TollgateRequest, event: (base: AuditEventBase) => AuditEvent): void {
  const bound = sinks.get(auth);
  if (bound !== undefined) emitAudit(bound.sink, event(auditBase(req, bound.now(), auth)));
}

/**
 * The 401 of a guard that runs with no `authenticate` before it: a misplaced guard fails
 * closed, it never lets the request through.
 */
export function notAuthenticated(): TollgateError {
  return new TollgateError('missing_token', 'The request is not authenticated', { reason: 'not_authenticated', challenge: { scheme: 'Bearer' } });
}

/** Builds the 403 of a failed scope, role or claim check and reports it. */
export function forbidden(
  auth: AuthContext,
  req: TollgateRequest,
  reason: Extract<RejectionReason, 'insufficient_scope' | 'insufficient_role' | 'claim_check_failed'>,
  description: string,
  missing: readonly string[],
): TollgateError {
  const error = new TollgateError('insufficient_scope', description, {
    reason,
    challenge: { scheme: challengeScheme(auth) },
    ...(reason === 'insufficient_scope' ? { scopes: missing } : {}),
  });
  report(auth, req, (base) => ({ ...base, type: 'forbidden', status: 403, code: error.code, reason, missing }));
  return error;
}

/** Reports a refusal of an authenticated request (429, 503) to the auth context's sink, and returns the error. */
export function reportRejection(auth: AuthContext, req: TollgateRequest, error: TollgateError): TollgateError {
  report(auth, req, (base) => ({ ...base, type: 'rejected', status: error.status, code: error.code, reason: error.reason }));
  return error;
}
