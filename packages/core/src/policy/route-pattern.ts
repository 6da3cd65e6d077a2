/**
 * Route patterns as segments, so that the route report can decide whether a guard's pattern
 * passes every URL a route serves. Everything the model does not understand (regular
 * expressions, optional parts, several parameters in one segment) is an `unknown` segment,
 * and every question about an unknown segment is answered on the safe side: a guard does not
 * cover it, a public path may reach it.
 */

/** How a framework spells its patterns: Express 4 (path-to-regexp 0.1) or path-to-regexp 8 (Express 5, @koa/router). */
export type PatternDialect = 'express4' | 'path-to-regexp';

/** One `/`-separated part of a pattern. */
export type PatternSegment =
  | { kind: 'literal'; text: string; caseSensitive: boolean }
  /** Exactly one non-empty segment (`:id`). */
  | { kind: 'param'; name: string }
  /** The rest of the path (`*name`; Express 4's `*`, which may also be empty). */
  | { kind: 'rest'; mayBeEmpty: boolean }
  /** Anything else: not reasoned about. */
  | { kind: 'unknown'; text: string };

/** A route's or guard's path as segments, with the matching settings of the router it sits in. */
export interface RoutePattern {
  readonly segments: readonly PatternSegment[];
  /** Strict routing: `/a` does not also serve `/a/`. */
  readonly strict: boolean;
}

/** Settings of the router a pattern is registered in. */
export interface PatternSettings {
  dialect: PatternDialect;
  caseSensitive?: boolean | undefined;
  strict?: boolean | undefined;
}

/** Characters that are plain text in both dialects. */
const PLAIN = /^[\w.~%@,;=&'!$-]*$/;
const PARAM = /^:([A-Za-z_$][\w$]*)$/;
const REST = /^\*([A-Za-z_$][\w$]*)$/;
/** `{*rest}`: the rest of the path, or nothing. */
const OPTIONAL_REST = /^\{\*([A-Za-z_$][\w$]*)\}$/;
/** `/api{/*rest}` ends like `/api/{*rest}` but also serves `/api`: read as the latter, which serves less. */
const OPTIONAL_REST_TAIL = /\{\/(\*[A-Za-z_$][\w$]*)\}$/;

function parseSegment(text: string, settings: PatternSettings): PatternSegment {
  const param = PARAM.exec(text);
  if (param !== null) return { kind: 'param', name: param[1] ?? '' };
  if (settings.dialect === 'express4') {
    if (text === '*') return { kind: 'rest', mayBeEmpty: true };
    // path-to-regexp 0.1 keeps `$`, `!` and friends as regular-expression syntax.
    if (/^[\w.~%@,;=&'-]*$/.test(text)) return { kind: 'literal', text, caseSensitive: settings.caseSensitive === true };
    return { kind: 'unknown', text };
  }
  if (REST.test(text)) return { kind: 'rest', mayBeEmpty: false };
  if (OPTIONAL_REST.test(text)) return { kind: 'rest', mayBeEmpty: true };
  if (PLAIN.test(text)) return { kind: 'literal', text, caseSensitive: settings.caseSensitive === true };
  return { kind: 'unknown', text };
}

/** The pattern of `path` (a string or a RegExp, which is one unknown segment). */
export function parsePattern(path: string | RegExp, settings: PatternSettings): RoutePattern {
  const strict = settings.strict === true;
  if (typeof path !== 'string') return { segments: [{ kind: 'unknown', text: path.source }], strict };
  // A pattern that does not start with `/` is not anchored the way the segments assume.
  if (!path.startsWith('/')) return { segments: [{ kind: 'unknown', text: path }], strict };
  const source = settings.dialect === 'path-to-regexp' ? path.replace(OPTIONAL_REST_TAIL, '/{$1}') : path;
  const body = source === '/' ? '' : source.slice(1);
  const parts = body === '' ? [] : body.split('/');
  // A trailing slash matters only in strict routing; elsewhere `/a/` serves what `/a` serves.
  if (!strict && parts.length > 0 && parts[parts.length - 1] === '') parts.pop();
  const segments = parts.map((part) => parseSegment(part, settings));
  // A rest segment anywhere but last, or a group spanning segments, leaves the alignment unknown.
  const firstRest = segments.findIndex((s) => s.kind === 'rest');
  if (firstRest !== -1 && firstRest !== segments.length - 1) segments[firstRest] = { kind: 'unknown', text: parts[firstRest] ?? '' };
  return { segments, strict };
}

/** A mount path followed by a pattern inside it; the inner router's strictness decides. */
export function joinPatterns(outer: RoutePattern, inner: RoutePattern): RoutePattern {
  return { segments: [...outer.segments, ...inner.segments], strict: inner.strict };
}

/** The pattern that matches every path. */
export const EVERY_PATH_PATTERN: RoutePattern = Object.freeze({ segments: Object.freeze([]), strict: false });

function sameText(guard: Extract<PatternSegment, { kind: 'literal' }>, route: Extract<PatternSegment, { kind: 'literal' }>): boolean {
  // A case-sensitive guard passes a route only if the route is case-sensitive too: an
  // insensitive route also serves `/ADMIN`, which a sensitive `/admin` guard never matches.
  if (guard.caseSensitive) return route.caseSensitive && guard.text === route.text;
  return guard.text.toLowerCase() === route.text.toLowerCase();
}

/**
 * Whether every URL `route` serves passes a guard registered on `guard`: `prefix` for a
 * mounted middleware (`use()`: the guard's path and anything below it), otherwise a whole-path
 * match (a route layer). False whenever that cannot be shown.
 */
export function patternCovers(guard: RoutePattern, route: RoutePattern, prefix: boolean): boolean {
  const g = guard.segments;
  const r = route.segments;
  for (let i = 0; i < g.length; i++) {
    const gs = g[i]!;
    const rs = r[i];
    if (rs === undefined || rs.kind === 'unknown') return false;
    switch (gs.kind) {
      case 'unknown': return false;
      case 'rest':
        if (i !== g.length - 1) return false;
        // `*name` needs at least one character where the route may serve none.
        return gs.mayBeEmpty || !(rs.kind === 'rest' && rs.mayBeEmpty) && !(rs.kind === 'literal' && rs.text === '');
      case 'param':
        if (rs.kind === 'param' || (rs.kind === 'literal' && rs.text !== '')) continue;
        return false;
      case 'literal':
        if (rs.kind === 'literal' && sameText(gs, rs)) continue;
        return false;
    }
  }
  if (prefix) return true;
  // A whole-path guard: the route must end where the guard does, and a strict guard does not
  // pass the trailing-slash form a non-strict route also serves.
  return r.length === g.length && (!guard.strict || route.strict);
}

/**
 * Whether `route` may serve a URL that the public path `publicPath` (exact, or a prefix ending
 * in `/*`, as `protect()` reads it) leaves open. True when that cannot be ruled out.
 */
export function patternMayServe(route: RoutePattern, publicPath: string): boolean {
  const isPrefix = publicPath.endsWith('/*');
  const body = (isPrefix ? publicPath.slice(0, -2) : publicPath).slice(1);
  const parts = body === '' ? [] : body.split('/');
  const r = route.segments;
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i]!;
    const rs = r[i];
    if (rs === undefined) return !route.strict && part === '' && i === parts.length - 1;
    if (rs.kind === 'unknown' || rs.kind === 'rest') return true;
    if (rs.kind === 'param') {
      if (part === '') return false;
      continue;
    }
    if (rs.caseSensitive ? rs.text !== part : rs.text.toLowerCase() !== part.toLowerCase()) return false;
  }
  if (isPrefix) return true;
  // Exactly the public path: the route must be able to end here.
  return r.slice(parts.length).every((s) => s.kind === 'unknown' || (s.kind === 'rest' && s.mayBeEmpty));
}

/**
 * Whether some URL may match both a middleware registered on `scope` (as a prefix) and
 * `route`: only literal segments that differ rule it out.
 */
export function patternsMayOverlap(scope: RoutePattern, route: RoutePattern): boolean {
  const s = scope.segments;
  const r = route.segments;
  for (let i = 0; i < s.length; i++) {
    const ss = s[i]!;
    const rs = r[i];
    if (ss.kind === 'rest' || ss.kind === 'unknown') return true;
    if (rs === undefined) return false;
    if (rs.kind === 'rest' || rs.kind === 'unknown') return true;
    if (ss.kind === 'literal' && rs.kind === 'literal' && ss.text.toLowerCase() !== rs.text.toLowerCase()) return false;
  }
  return true;
}

/**
 * A concrete path the pattern serves, for a probe request: parameters become `probe`, a rest
 * `probe/probe`. Undefined when the pattern has a part the model does not understand.
 */
export function examplePath(pattern: RoutePattern): string | undefined {
  const parts: string[] = [];
  for (const s of pattern.segments) {
    if (s.kind === 'unknown') return undefined;
    parts.push(s.kind === 'literal' ? s.text : s.kind === 'param' ? 'probe' : 'probe/probe');
  }
  return `/${parts.join('/')}`;
}
