/** A value now, or a promise of it: what the hot-path entry points return. */
export type MaybePromise<T> = T | Promise<T>;

/**
 * Runs a step that may answer synchronously (and may throw) and always hands back a promise:
 * the public `check`/`authenticate` methods are this wrapper around their hot-path twins.
 */
export function promised<T>(step: () => MaybePromise<T>): Promise<T> {
  try {
    return Promise.resolve(step());
  } catch (error) {
    return Promise.reject(error);
  }
}

/** True for anything a store may hand back instead of a value: a promise or another thenable. */
export function isThenable<T>(value: MaybePromise<T> | PromiseLike<T>): value is PromiseLike<T> {
  return typeof (value as { then?: unknown } | null)?.then === 'function';
}
