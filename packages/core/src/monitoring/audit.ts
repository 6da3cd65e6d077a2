import type { AuthContext } from '../context.js';
import type { RejectionReason, TollgateErrorCode } from '../errors/error-codes.js';
import { requestPath, type TollgateRequest } from '../extract/request.js';

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
  /** The API key's id, for API keys. Never the key. */
  keyId?: string;
}

/**
 * The common part of every event: when, which request (path without the query), and who, as far
 * as known — the fingerprint alone for a token that failed verification, never the token.
 */
export function auditBase(req: TollgateRequest, time: number, who?: Pick<AuthContext, 'fingerprint'> & Partial<Pick<AuthContext, 'issuer' | 'subject' | 'clientId' | 'keyId'>>): AuditEventBase {
  return {
    time: new Date(time).toISOString(), method: req.method, path: requestPath(req),
    ...(who === undefined ? {} : { fingerprint: who.fingerprint }),
    ...(who?.issuer === undefined ? {} : { issuer: who.issuer }),
    ...(who?.subject === undefined ? {} : { subject: who.subject }),
    ...(who?.clientId === undefined ? {} : { clientId: who.clientId }),
    ...(who?.keyId === undefined ? {} : { keyId: who.keyId }),
  };
}

/** A token was verified and accepted. */
export interface AuthenticatedEvent extends AuditEventBase {
  type: 'authenticated';
  scopes: readonly string[];
  cached: boolean;
}

/** A request was refused before or during authentication (401, 400, 429, 503). */
export interface RejectedEvent extends AuditEventBase {
  type: 'rejected';
  status: number;
  code: TollgateErrorCode;
  reason: RejectionReason;
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

/** Every decision Tollgate makes is one of these. */
export type AuditEvent = AuthenticatedEvent | RejectedEvent | ForbiddenEvent;

/** Receives audit events. It must not throw; if it does, the error is swallowed. */
export type AuditSink = (event: AuditEvent) => void;

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
 * An audit sink that writes to a pino-style logger: `authenticated` at `info`,
 * `rejected` and `forbidden` at `warn`, the event under the `tollgate` key.
 */
export function pinoAuditSink(logger: LevelLogger): AuditSink {
  return function tollgateAuditToLogger(event) {
    if (event.type === 'authenticated') logger.info({ tollgate: event }, 'tollgate: token accepted');
    else logger.warn({ tollgate: event }, `tollgate: request ${event.type} (${event.reason})`);
  };
}
