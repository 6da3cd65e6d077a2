/**
 * The route report's pattern reasoning, checked against the real matchers: whenever it says a
 * guard covers a route, every URL the route serves passes the guard's own path-to-regexp; and
 * whenever it says a route cannot serve a public path, the route's own matcher refuses it.
 */
import { describe, expect, it } from '@jest/globals';
import { createRequire } from 'node:module';
import fc from 'fast-check';
import { match } from 'path-to-regexp';
import { parsePattern, patternCovers, patternMayServe, type PatternDialect } from '@tollgate/core';

/** Express 4's own path-to-regexp 0.1, as Express 4 resolves it. */
const express4PathToRegexp = createRequire(createRequire(import.meta.url).resolve('express4'))('path-to-regexp') as
  (path: string, keys: unknown[], options: { end: boolean; sensitive: boolean; strict: boolean }) => RegExp;

type Part = { kind: 'literal'; text: string } | { kind: 'param' } | { kind: 'rest' };
interface Spec { parts: Part[]; caseSensitive: boolean; strict: boolean }

const part: fc.Arbitrary<Part> = fc.oneof(
  fc.constantFrom('a', 'b', 'ab', 'A').map((text): Part => ({ kind: 'literal', text })),
  fc.constant<Part>({ kind: 'param' }),
);
const spec: fc.Arbitrary<Spec> = fc.record({
  parts: fc.tuple(fc.array(part, { maxLength: 3 }), fc.boolean()).map(([parts, rest]) => (rest ? [...parts, { kind: 'rest' } as Part] : parts)),
  caseSensitive: fc.boolean(),
  strict: fc.boolean(),
});

function render(s: Spec, dialect: PatternDialect): string {
  let n = 0;
  const text = s.parts.map((p) => (p.kind === 'literal' ? p.text : p.kind === 'param' ? `:p${n++}` : dialect === 'express4' ? '*' : `*r${n++}`)).join('/');
  return `/${text}`;
}

/** A URL the route serves: literals in any case the route accepts, a value for each parameter, one or two segments for a rest. */
const urlOf = (s: Spec): fc.Arbitrary<string> => fc.tuple(...s.parts.map((p) => {
  if (p.kind === 'literal') return s.caseSensitive ? fc.constant(p.text) : fc.constantFrom(p.text, p.text.toUpperCase(), p.text.toLowerCase());
  if (p.kind === 'param') return fc.constantFrom('a', 'x', 'A', 'b.c');
  return fc.constantFrom('a', 'x/y', 'A/b');
}), fc.boolean()).map(([...all]) => {
  const slash = all.pop() as boolean;
  const url = `/${(all as string[]).join('/')}`;
  return slash && !s.strict && url !== '/' ? `${url}/` : url;
});

function realMatcher(s: Spec, dialect: PatternDialect, prefix: boolean): (url: string) => boolean {
  const path = render(s, dialect);
  // A mount at `/` runs for every path in both frameworks (router 2's `slash`, Express 4's `fast_slash`).
  if (prefix && path === '/') return () => true;
  if (dialect === 'express4') {
    const re = express4PathToRegexp(path, [], { end: !prefix, sensitive: s.caseSensitive, strict: s.strict });
    return (url) => re.test(url);
  }
  const m = match(path, { end: !prefix, sensitive: s.caseSensitive, trailing: !s.strict });
  return (url) => m(url) !== false;
}

const settings = (s: Spec, dialect: PatternDialect) => ({ dialect, caseSensitive: s.caseSensitive, strict: s.strict });

describe.each(['express4', 'path-to-regexp'] as const)('%s patterns', (dialect) => {
  it('a guard said to cover a route passes every URL the route serves', () => {
    fc.assert(fc.property(spec, spec, fc.boolean(), (guard, route, prefix) => {
      const covers = patternCovers(parsePattern(render(guard, dialect), settings(guard, dialect)), parsePattern(render(route, dialect), settings(route, dialect)), prefix);
      fc.pre(covers);
      const guardMatches = realMatcher(guard, dialect, prefix);
      const routeMatches = realMatcher(route, dialect, false);
      fc.assert(fc.property(urlOf(route), (url) => {
        fc.pre(routeMatches(url));
        expect({ guard: render(guard, dialect), route: render(route, dialect), url, passes: guardMatches(url) }).toMatchObject({ passes: true });
      }), { numRuns: 20 });
    }), { numRuns: 400 });
  });

  it('a route said not to serve a public path does not match it', () => {
    fc.assert(fc.property(spec, spec, (route, other) => {
      const publicPath = fc.sample(urlOf(other), 1)[0]!;
      fc.pre(!patternMayServe(parsePattern(render(route, dialect), settings(route, dialect)), publicPath));
      expect({ route: render(route, dialect), publicPath, matches: realMatcher(route, dialect, false)(publicPath) }).toMatchObject({ matches: false });
    }), { numRuns: 400 });
  });
});

describe('coverage, by example', () => {
  const p8 = (path: string, extra: { caseSensitive?: boolean; strict?: boolean } = {}) => parsePattern(path, { dialect: 'path-to-regexp', ...extra });
  it.each([
    ['/files/:name', '/files/*path', false, false],
    ['/files/*rest', '/files/a/b', false, true],
    ['/files/*rest', '/files', false, false],
    ['/users/:id', '/users/me', false, true],
    ['/api', '/api/items', true, true],
    ['/api', '/apix', true, false],
    ['/api{/*rest}', '/api/x', false, true],
  ])('guard %s over route %s (prefix %s): %s', (guard, route, prefix, expected) => {
    expect(patternCovers(p8(guard), p8(route), prefix)).toBe(expected);
  });

  it('a case-sensitive guard does not cover an insensitive route; the other way round it does', () => {
    expect(patternCovers(p8('/admin', { caseSensitive: true }), p8('/admin/x'), true)).toBe(false);
    expect(patternCovers(p8('/admin'), p8('/admin/x', { caseSensitive: true }), true)).toBe(true);
  });

  it('a RegExp or an optional part is never covered except by a guard on every path', () => {
    expect(patternCovers(p8('/legacy'), parsePattern(/^\/legacy\/\d+$/, { dialect: 'path-to-regexp' }), true)).toBe(false);
    expect(patternCovers(p8('/'), parsePattern(/^\/legacy\/\d+$/, { dialect: 'path-to-regexp' }), true)).toBe(true);
    expect(patternCovers(p8('/a'), p8('/a{/:b}/c'), false)).toBe(false);
  });
});
