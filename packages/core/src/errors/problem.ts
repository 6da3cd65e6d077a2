import { isTollgateError } from './errors.js';

/** An RFC 9457 problem body, with the RFC 6750 error code beside it. */
export interface ProblemBody {
  type: string;
  title: string;
  status: number;
  detail: string;
  error: string;
}

const TITLES: Record<number, string> = {
  400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 429: 'Too Many Requests', 503: 'Service Unavailable',
};

/**
 * The JSON problem body for an error that a Tollgate middleware raised, or `undefined` for
 * any other error (which the app's own handler should deal with).
 */
export function problemBody(error: unknown): ProblemBody | undefined {
  if (!isTollgateError(error)) return undefined;
  return { type: 'about:blank', title: TITLES[error.status] ?? 'Error', status: error.status, detail: error.description, error: error.code };
}
