import { describe, expect, it } from '@jest/globals';
import { extractToken, parseCookies, TollgateError, type TollgateRequest } from '@tollgate/core';

const all = { header: true, body: true, query: true, cookie: 'session' as const };
const headerOnly = { header: true, body: false, query: false, cookie: false as const };
const options = (locations: typeof all | typeof headerOnly = headerOnly) => ({ locations, dpop: false, maxTokenLength: 100, challenges: [{ scheme: 'Bearer' as const }] });
const req = (parts: Partial<TollgateRequest>): TollgateRequest => ({ method: 'GET', url: '/', headers: {}, ...parts });

function refusal(run: () => unknown): [number, string] | undefined {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(TollgateError);
    return [(error as TollgateError).status, (error as TollgateError).reason];
  }
  return undefined;
}

describe('extractToken (RFC 6750 §2)', () => {
  it.each(['Bearer', 'bearer', 'BEARER', 'bEaReR'])('reads the %s scheme case-insensitively', (scheme) => {
    expect(extractToken(req({ headers: { authorization: `${scheme} abc.def.ghi` } }), options())).toEqual({ token: 'abc.def.ghi', scheme: 'Bearer', location: 'header' });
  });

  it('accepts the whole b64token alphabet with padding', () => {
    expect(extractToken(req({ headers: { authorization: 'Bearer aZ09-._~+/==' } }), options())?.token).toBe('aZ09-._~+/==');
  });

  it('finds no token when there is none, or another scheme is used', () => {
    expect(extractToken(req({}), options())).toBeUndefined();
    expect(extractToken(req({ headers: { authorization: 'Basic dXNlcjpwYXNz' } }), options())).toBeUndefined();
    expect(extractToken(req({ headers: { authorization: 'DPoP abc' } }), options())).toBeUndefined();
  });

  it.each([
    ['Bearer'],
    ['Bearer '],
    ['Bearer a b'],
    ['Bearer a=b'],
    ['Bearer "abc"'],
    [' Bearer abc'],
    ['Bearer\tabc'],
  ])('refuses the malformed header %j with 400', (header) => {
    expect(refusal(() => extractToken(req({ headers: { authorization: header } }), options()))).toEqual([400, 'malformed_header']);
  });

  it('refuses an oversized token before any parsing', () => {
    expect(refusal(() => extractToken(req({ headers: { authorization: `Bearer ${'a'.repeat(101)}` } }), options()))).toEqual([400, 'token_too_large']);
  });

  it('ignores query, body and cookie unless they are turned on', () => {
    const request = req({ method: 'POST', query: { access_token: 'q' }, body: { access_token: 'b' }, headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: 'session=c' } });
    expect(extractToken(request, options())).toBeUndefined();
  });

  it('reads each opt-in location', () => {
    expect(extractToken(req({ query: { access_token: 'q1' } }), options(all))).toMatchObject({ token: 'q1', location: 'query' });
    expect(extractToken(req({ method: 'POST', body: { access_token: 'b1' }, headers: { 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' } }), options(all))).toMatchObject({ token: 'b1', location: 'body' });
    expect(extractToken(req({ headers: { cookie: 'theme=dark; session=c1' } }), options(all))).toMatchObject({ token: 'c1', location: 'cookie' });
    expect(extractToken(req({ cookies: { session: 'c2' } }), options(all))).toMatchObject({ token: 'c2', location: 'cookie' });
  });

  it('reads the body only for a form-encoded body and never on GET (RFC 6750 §2.2)', () => {
    expect(extractToken(req({ method: 'POST', body: { access_token: 'b1' }, headers: { 'content-type': 'application/json' } }), options(all))).toBeUndefined();
    expect(extractToken(req({ method: 'GET', body: { access_token: 'b1' }, headers: { 'content-type': 'application/x-www-form-urlencoded' } }), options(all))).toBeUndefined();
  });

  it('refuses a token sent by more than one method, or twice in the query', () => {
    const twoMethods = req({ query: { access_token: 'q' }, headers: { authorization: 'Bearer h' } });
    expect(refusal(() => extractToken(twoMethods, options(all)))).toEqual([400, 'multiple_token_methods']);
    expect(refusal(() => extractToken(req({ query: { access_token: ['a', 'b'] } }), options(all)))).toEqual([400, 'multiple_token_methods']);
  });

  it('does not read inherited properties as parameters', () => {
    const query = Object.create({ access_token: 'inherited' }) as object;
    expect(extractToken(req({ query }), options(all))).toBeUndefined();
  });
});

describe('parseCookies', () => {
  it('keeps the first of a repeated name and unquotes values', () => {
    expect({ ...parseCookies('a=1; b="two"; a=3; junk; =x') }).toEqual({ a: '1', b: 'two' });
  });
  it('has no prototype, so __proto__ is just a name', () => {
    const cookies = parseCookies('__proto__=x');
    expect(Object.getPrototypeOf(cookies)).toBeNull();
    expect(cookies.__proto__).toBe('x');
  });
});
