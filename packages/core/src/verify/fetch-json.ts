import { KeySourceUnavailableError } from './key-source-error.js';
import { readCappedText } from './read-capped.js';

/** The largest JWKS or discovery document read: real ones are a few KiB, an endless one must not fill the heap. */
export const MAX_KEY_DOCUMENT_BYTES = 1024 * 1024;

/** How {@link fetchJson} asks. */
export interface FetchJsonOptions {
  /** What is fetched, for error messages: `'the JWKS'`, `'discovery'`. */
  what: string;
  /** The whole exchange, body included, ends after this many ms. */
  timeoutMs: number;
  /** The media types accepted (without parameters), lower-case. */
  mediaTypes: readonly string[];
  headers?: Record<string, string>;
  fetch: typeof globalThis.fetch;
}

function mediaType(response: Response): string {
  return (response.headers.get('content-type') ?? '').split(';', 1)[0]!.trim().toLowerCase();
}

/**
 * Fetches one JSON document of a key source (a JWKS, OpenID discovery metadata): status 200, one
 * of `mediaTypes`, at most {@link MAX_KEY_DOCUMENT_BYTES}, within `timeoutMs` for the whole
 * exchange, redirects not followed. Anything else is a {@link KeySourceUnavailableError}.
 */
export async function fetchJson(url: URL, options: FetchJsonOptions): Promise<unknown> {
  const { what } = options;
  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      const error = new KeySourceUnavailableError(`${what} did not answer within ${options.timeoutMs} ms`);
      controller.abort(error);
      reject(error);
    }, options.timeoutMs);
    timer.unref();
  });
  const exchange = (async () => {
    const response = await options.fetch(url, { headers: { accept: options.mediaTypes.join(', '), ...options.headers }, signal: controller.signal, redirect: 'manual' });
    if (response.status !== 200) {
      response.body?.cancel().catch(() => { /* not read */ });
      throw new KeySourceUnavailableError(`${what} answered ${response.status}`);
    }
    if (!options.mediaTypes.includes(mediaType(response))) {
      response.body?.cancel().catch(() => { /* not read */ });
      throw new KeySourceUnavailableError(`${what} answered with the content type ${JSON.stringify(mediaType(response))}, not JSON`);
    }
    const text = await readCappedText(response, MAX_KEY_DOCUMENT_BYTES, (problem) => new KeySourceUnavailableError(
      problem === 'no body' ? `${what} answered without a body` : `${what} is larger than ${MAX_KEY_DOCUMENT_BYTES} bytes`));
    try {
      return JSON.parse(text) as unknown;
    } catch {
      throw new KeySourceUnavailableError(`${what} is not valid JSON`);
    }
  })();
  try {
    // The race also ends an injected fetch that ignores the abort signal.
    return await Promise.race([exchange, timedOut]);
  } finally {
    clearTimeout(timer);
    exchange.catch(() => { /* settled after the race: already reported */ });
  }
}
