/** Thrown by a key source that cannot be reached; verification answers 503 for it. */
export class KeySourceUnavailableError extends Error {
  override readonly name = 'KeySourceUnavailableError';
}
