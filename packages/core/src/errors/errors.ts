import { ERROR_TABLE, type RejectionReason, type TollgateErrorCode } from './error-codes.js';
import { buildChallenge, type Challenge } from './challenge.js';
import { libraryCause } from './library-cause.js';

/** Options shared by every {@link TollgateError}. */
export interface TollgateErrorOptions {
  /** Fine-grained reason, for audit events and logs. */
  reason: RejectionReason;
  /** Extra response headers (`WWW-Authenticate` is added from `challenge`). */
  headers?: Record<string, string>;
  /** The challenge(s) that `WWW-Authenticate` is built from. */
  challenge?: Challenge | Challenge[];
  /** Scopes the route needs, for `insufficient_scope`. */
  scopes?: readonly string[];
  /** More challenge parameters, e.g. RFC 9470's `acr_values` and `max_age`. */
  challengeParams?: Readonly<Record<string, string>>;
  /**
   * The underlying error. Never shown to clients. A `jose` error is kept only as a
   * `LibraryErrorSummary` (code, claim, message), never with the claims it carries.
   */
  cause?: unknown;
  /** For `store_unavailable`: which store failed (audit events and metrics carry it). */
  store?: StoreKind;
}

/** The shared stores a request may wait on, as audit events and metrics name them. */
export type StoreKind = 'revocation' | 'nonce' | 'dpop' | 'rate-limit' | 'anomaly' | 'api-key';

/**
 * The one error family of Tollgate. Every refusal is a `TollgateError` whose `status`,
 * `headers` and `expose` the frameworks' own error paths already honour.
 *
 * `message` and `description` are safe to show a client: they never contain the token, a key
 * or a stack. `stack` carries no frames, since these are expected outcomes, not bugs; the
 * underlying `cause` keeps its own stack for server-side debugging, except a `jose` error,
 * summarised to its code and claim name so that no token's claims reach a log.
 */
export class TollgateError extends Error {
  override readonly name: string = 'TollgateError';
  /** HTTP status. */
  readonly status: number;
  /** Alias of `status`, for handlers that read `statusCode`. */
  readonly statusCode: number;
  /** Stable, machine-readable code. */
  readonly code: TollgateErrorCode;
  /** Why the request was refused. */
  readonly reason: RejectionReason;
  /** Human-readable, client-safe description. */
  readonly description: string;
  /** Response headers, `WWW-Authenticate` included. */
  readonly headers: Readonly<Record<string, string>>;
  /** Scopes the route needs (insufficient_scope only). */
  readonly scopes: readonly string[] | undefined;
  /** For `store_unavailable`: which store failed. */
  readonly store: StoreKind | undefined;
  /** Always true: the description is meant for the client. */
  readonly expose = true;

  constructor(code: TollgateErrorCode, description: string, options: TollgateErrorOptions) {
    super(description, options.cause === undefined ? undefined : { cause: libraryCause(options.cause) });
    const { status } = ERROR_TABLE[code];
    this.status = status;
    this.statusCode = status;
    this.code = code;
    this.reason = options.reason;
    this.description = description;
    this.scopes = options.scopes;
    this.store = options.store;
    const headers: Record<string, string> = { ...options.headers };
    if (options.challenge !== undefined) {
      const challenges = Array.isArray(options.challenge) ? options.challenge : [options.challenge];
      headers['WWW-Authenticate'] = challenges
        .map((c) => buildChallenge(c, ERROR_TABLE[code].challenge && c.bare !== true ? code : undefined, description, options.scopes, options.challengeParams))
        .join(', ');
    }
    this.headers = Object.freeze(headers);
    Object.defineProperty(this, 'stack', { value: `${this.name}: ${description}`, writable: true, configurable: true });
  }

  /**
   * How `console.log(err)` / `util.inspect(err)` show a refusal: one line, without the `cause`.
   * Express 5's final handler logs `console.error(err)` for every error it gets, and Node's
   * default rendering would add the cause's full stack (a `jose` error for a forged token): a
   * dozen log lines per bad token, an attacker's lever for log flooding. An app that wants the
   * underlying error logs `err.cause` itself.
   */
  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return `${this.name}: ${this.description} (${this.status} ${this.code}, ${this.reason})`;
  }
}

/** Type guard for errors of the Tollgate family (works across duplicated package copies). */
export function isTollgateError(value: unknown): value is TollgateError {
  return value instanceof TollgateError || (value instanceof Error && value.name === 'TollgateError' && 'reason' in value && 'code' in value);
}
