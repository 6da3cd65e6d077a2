/**
 * A problem with what the user asked to audit (a module or export not found, not an app, a bad
 * policy file): the CLI prints its message and exits with 2. Never carries a stack to the user.
 */
export class AuditInputError extends Error {
  override readonly name = 'AuditInputError';
}

/** The message of anything thrown, without its stack. */
export function messageOf(error: unknown): string {
  if (error instanceof Error) return error.message;
  return String(error);
}
