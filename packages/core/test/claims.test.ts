import { describe, expect, it } from '@jest/globals';
import { readClaim, readRoles, readScopes } from '@tollgate/core';

describe('readScopes', () => {
  it.each([
    [{ scope: 'a b  c' }, ['a', 'b', 'c']],
    [{ scp: ['a', 'b'] }, ['a', 'b']],
    [{ scp: 'a b' }, ['a', 'b']],
    [{ permissions: ['read:orders'] }, ['read:orders']],
    [{ scope: 'a', scp: ['b'] }, ['a']],
    [{ scope: 42 }, []],
    [{ scope: ['a', 3] }, []],
    [{ scope: { a: true } }, []],
    [{}, []],
  ])('reads %j as %j', (claims, scopes) => {
    expect(readScopes(claims as Record<string, unknown>)).toEqual(scopes);
  });

  it('follows a configured claim, dotted path or function', () => {
    expect(readScopes({ perms: 'x y' }, 'perms')).toEqual(['x', 'y']);
    expect(readScopes({ ext: { scopes: ['x'] } }, 'ext.scopes')).toEqual(['x']);
    expect(readScopes({ a: 'x' }, (c) => [String(c.a)])).toEqual(['x']);
  });

  it('grants nothing when a reader function throws', () => {
    expect(readScopes({}, () => { throw new Error('boom'); })).toEqual([]);
  });
});

describe('readRoles', () => {
  it('reads roles by default and Keycloak realm roles by path', () => {
    expect(readRoles({ roles: ['admin'] })).toEqual(['admin']);
    expect(readRoles({ realm_access: { roles: ['admin', 'user'] } }, 'realm_access.roles')).toEqual(['admin', 'user']);
  });
  it('never takes roles or scopes from a flat claim named like a dotted path', () => {
    expect(readRoles({ 'realm_access.roles': ['admin'], realm_access: { roles: ['user'] } }, 'realm_access.roles')).toEqual(['user']);
    expect(readRoles({ 'realm_access.roles': ['admin'] }, 'realm_access.roles')).toEqual([]);
    expect(readScopes({ 'ext.scopes': 'admin:all' }, 'ext.scopes')).toEqual([]);
  });
});

describe('readClaim', () => {
  it('reads a dotted path through nested objects only, never a flat claim named like the path', () => {
    expect(readClaim({ 'realm_access.roles': ['admin'] }, 'realm_access.roles')).toBeUndefined();
    expect(readClaim({ 'realm_access.roles': ['admin'], realm_access: { roles: ['user'] } }, 'realm_access.roles')).toEqual(['user']);
    expect(readClaim({ 'https://example.com/roles': ['x'] }, 'https://example.com/roles')).toBeUndefined();
  });
  it('reads a claim whose own name holds dots when the path is given as segments', () => {
    expect(readClaim({ 'https://example.com/roles': ['x'] }, ['https://example.com/roles'])).toEqual(['x']);
    expect(readClaim({ realm_access: { roles: ['user'] } }, ['realm_access', 'roles'])).toEqual(['user']);
    expect(readClaim({ 'realm_access.roles': ['admin'] }, ['realm_access', 'roles'])).toBeUndefined();
  });
  it('never follows prototype properties', () => {
    expect(readClaim({}, 'constructor')).toBeUndefined();
    expect(readClaim({}, '__proto__.toString')).toBeUndefined();
    expect(readClaim({ a: [1] }, 'a.length')).toBeUndefined();
    expect(readClaim(JSON.parse('{"__proto__": {"x": 1}}'), '__proto__.x')).toBe(1);
  });
});
