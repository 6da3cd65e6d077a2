/** The part of Node's `ServerResponse` that {@link appendHeaders} writes through. */
export interface HeaderTarget {
  getHeader(name: string): number | string | string[] | undefined;
  setHeader(name: string, value: number | string | readonly string[]): unknown;
}

/**
 * Adds each header after any value already set (by another limiter, say), as Express's
 * `res.append` and Koa's `ctx.append` do, straight on Node's response: both adapters write the
 * RateLimit headers of every counted request through it, so it skips the frameworks' detours.
 */
export function appendHeaders(res: HeaderTarget, headers: Readonly<Record<string, string>>): void {
  for (const name in headers) {
    const value = headers[name]!;
    const previous = res.getHeader(name);
    res.setHeader(name, previous === undefined ? value : [...(Array.isArray(previous) ? previous : [String(previous)]), value]);
  }
}
