import { isPublicPath } from '@tollgate/core';

/** Tells whether a route path was approved as public with `--allow-public`. */
export type PublicPathMatcher = (path: string) => boolean;

/**
 * Builds the matcher for `--allow-public` entries, with the same rule as `protect()`'s
 * `publicPaths` (core's `isPublicPath`): an exact path (`/health`), or a prefix ending in `/*`
 * (`/docs/*` covers `/docs` and `/docs/x`, not `/docsx`).
 */
export function allowPublicMatcher(entries: readonly string[]): PublicPathMatcher {
  const list = [...entries];
  return (path) => isPublicPath(path, list);
}

/** Splits the `--allow-public` comma list; throws a `TypeError` when it names no path. */
export function parsePathList(list: string): string[] {
  const entries = list.split(',').map((p) => p.trim()).filter((p) => p !== '');
  if (entries.length === 0) throw new TypeError('expected a comma list of paths, e.g. /health,/docs/*');
  return entries;
}
