// The error codes of `jose`: its claim errors carry the token's whole payload (`payload`).
const JOSE_CODE = /^ERR_(JOSE|JWT|JWS|JWE|JWK|JWKS)_/;

/**
 * What a {@link TollgateError} keeps of a `jose` error as its `cause`: the class name, `code`,
 * message and, for a claim check, `claim` and `reason`. Never the payload that jose attaches:
 * Express prints an error with its cause (`console.error(err)`), and verified claims (emails,
 * names) of every refused token must not reach the logs.
 */
export class LibraryErrorSummary extends Error {
  override readonly name: string;
  readonly code: string;
  readonly claim: string | undefined;
  readonly reason: string | undefined;

  constructor(source: Error & { code: string }) {
    super(source.message);
    const { claim, reason } = source as { claim?: unknown; reason?: unknown };
    this.name = source.name;
    this.code = source.code;
    this.claim = typeof claim === 'string' ? claim : undefined;
    this.reason = typeof reason === 'string' ? reason : undefined;
    Object.defineProperty(this, 'stack', { value: `${this.name} [${this.code}]: ${this.message}`, writable: true, configurable: true });
  }
}

/** `cause` as a {@link TollgateError} may keep it: a `jose` error summarised, anything else as it is. */
export function libraryCause(cause: unknown): unknown {
  if (!(cause instanceof Error)) return cause;
  const { code } = cause as { code?: unknown };
  return typeof code === 'string' && JOSE_CODE.test(code) ? new LibraryErrorSummary(cause as Error & { code: string }) : cause;
}
