import type { Framework } from './audit-report.js';

/** What an export turned out to be. */
export interface AppShape {
  framework: Framework;
  kind: 'app' | 'router';
}

type Shape = Record<string, unknown>;

function hasFunctions(value: Shape, names: readonly string[]): boolean {
  return names.every((n) => typeof value[n] === 'function');
}

/**
 * Recognises an app by its shape, without importing any framework: an Express app (a function
 * with `use`, `handle`, `set`, `engine`), an Express Router (a function with a `stack` array and
 * `route`), a Koa app (an object with `callback` and a `middleware` array) or an `@koa/router`
 * Router (an object with a `stack` array, `routes` and `allowedMethods`).
 */
export function detectApp(value: unknown): AppShape | undefined {
  if (typeof value === 'function') {
    const fn = value as unknown as Shape;
    if (hasFunctions(fn, ['use', 'handle', 'set', 'engine'])) return { framework: 'express', kind: 'app' };
    if (Array.isArray(fn.stack) && hasFunctions(fn, ['use', 'route'])) return { framework: 'express', kind: 'router' };
    return undefined;
  }
  if (value === null || typeof value !== 'object') return undefined;
  const obj = value as Shape;
  if (Array.isArray(obj.middleware) && hasFunctions(obj, ['use', 'callback'])) return { framework: 'koa', kind: 'app' };
  if (Array.isArray(obj.stack) && hasFunctions(obj, ['routes', 'allowedMethods'])) return { framework: 'koa', kind: 'router' };
  return undefined;
}

/** A short phrase for what a value is, for error messages: `an object`, `a function (start)`. */
export function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'function') return value.name === '' ? 'a function' : `a function (${value.name})`;
  if (typeof value === 'object') return 'an object';
  return `a ${typeof value}`;
}
