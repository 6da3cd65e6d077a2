/** Codes of the `TypeError`s thrown when a middleware is created with bad options. */
export type SetupErrorCode =
  | 'ERR_TOLLGATE_INVALID_OPTION'
  | 'ERR_TOLLGATE_UNKNOWN_OPTION'
  | 'ERR_TOLLGATE_NO_KEY_SOURCE'
  | 'ERR_TOLLGATE_MULTIPLE_KEY_SOURCES'
  | 'ERR_TOLLGATE_ALG_NONE'
  | 'ERR_TOLLGATE_ALG_UNKNOWN'
  | 'ERR_TOLLGATE_ALG_MIXED'
  | 'ERR_TOLLGATE_ALG_KEY_MISMATCH'
  | 'ERR_TOLLGATE_WEAK_SECRET'
  | 'ERR_TOLLGATE_NO_ISSUER'
  | 'ERR_TOLLGATE_NO_AUDIENCE'
  | 'ERR_TOLLGATE_DUPLICATE_ISSUER'
  | 'ERR_TOLLGATE_EMPTY_LIST'
  | 'ERR_TOLLGATE_STORE_REUSED';

/** A `TypeError` with a stable `code`, thrown at setup, never at request time. */
export class TollgateSetupError extends TypeError {
  override readonly name = 'TollgateSetupError';
  readonly code: SetupErrorCode;
  constructor(code: SetupErrorCode, message: string) {
    super(`${message} (${code})`);
    this.code = code;
  }
}

/** Throws a {@link TollgateSetupError}. */
export function setupError(code: SetupErrorCode, message: string): never {
  throw new TollgateSetupError(code, message);
}

/** Rejects option names that are not in `known`: a typo must not silently weaken a check. */
export function assertKnownOptions(options: object, known: readonly string[], what: string): void {
  for (const key of Object.keys(options)) {
    if (!known.includes(key)) setupError('ERR_TOLLGATE_UNKNOWN_OPTION', `${what}: unknown option "${key}"`);
  }
}

/** Validates a non-empty list of non-empty strings, and returns a frozen copy. */
export function stringList(value: unknown, name: string, options: { allowSpaces?: boolean } = {}): readonly string[] {
  const list = typeof value === 'string' ? [value] : value;
  if (!Array.isArray(list)) setupError('ERR_TOLLGATE_INVALID_OPTION', `${name} must be a string or an array of strings`);
  if (list.length === 0) setupError('ERR_TOLLGATE_EMPTY_LIST', `${name} must not be empty`);
  for (const item of list) {
    if (typeof item !== 'string' || item === '') setupError('ERR_TOLLGATE_INVALID_OPTION', `${name} must hold non-empty strings`);
    if (options.allowSpaces !== true && /\s/.test(item)) setupError('ERR_TOLLGATE_INVALID_OPTION', `${name}: "${item}" must not contain white space`);
  }
  return Object.freeze([...new Set(list as string[])]);
}

/** Validates `match: 'all' | 'any'` (default `'all'`). */
export function matchOption(value: unknown, name: string): 'all' | 'any' {
  if (value === undefined) return 'all';
  if (value !== 'all' && value !== 'any') setupError('ERR_TOLLGATE_INVALID_OPTION', `${name}: match must be "all" or "any"`);
  return value;
}

/** Validates a finite, non-negative number. */
export function nonNegative(value: unknown, name: string, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) setupError('ERR_TOLLGATE_INVALID_OPTION', `${name} must be a non-negative number`);
  return value;
}

/**
 * The options every in-process store takes, and nothing else: `max`, a positive integer bound,
 * and `now`, a clock. A typo (`maxSize`) is refused rather than leaving the default bound.
 */
export function storeBounds(options: unknown, store: string, defaultMax: number): { max: number; now: () => number } {
  if (typeof options !== 'object' || options === null) setupError('ERR_TOLLGATE_INVALID_OPTION', `${store}: options must be an object`);
  assertKnownOptions(options, ['max', 'now'], store);
  const { max: given, now } = options as { max?: unknown; now?: unknown };
  const max = nonNegative(given, `${store}.max`, defaultMax);
  if (!Number.isInteger(max) || max < 1) setupError('ERR_TOLLGATE_INVALID_OPTION', `${store}.max must be a positive integer`);
  if (now !== undefined && typeof now !== 'function') setupError('ERR_TOLLGATE_INVALID_OPTION', `${store}.now must be a function`);
  return { max, now: (now as (() => number) | undefined) ?? Date.now };
}
