import { describe, expect, it } from '@jest/globals';
import { generateKeyPairSync } from 'node:crypto';
import { createAuthenticator, createClaimsGuard, createRoleGuard, createScopeGuard, type AuthenticateOptions, type SetupErrorCode } from '@tollgate/core';

const base = { issuer: 'https://id.example', audience: 'api' };
const jwksUri = 'https://id.example/jwks.json';
const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });

function setupCode(make: () => unknown): SetupErrorCode | undefined {
  try {
    make();
  } catch (error) {
    expect(error).toBeInstanceOf(TypeError);
    return (error as { code: SetupErrorCode }).code;
  }
  return undefined;
}

describe('authenticate options are validated once, at setup', () => {
  it.each<[string, unknown, SetupErrorCode]>([
    ['no key source', base, 'ERR_TOLLGATE_NO_KEY_SOURCE'],
    ['two key sources', { ...base, jwksUri, secret: 'x'.repeat(32) }, 'ERR_TOLLGATE_MULTIPLE_KEY_SOURCES'],
    ['alg none', { ...base, jwksUri, algorithms: ['none'] }, 'ERR_TOLLGATE_ALG_NONE'],
    ['alg NONE in any case', { ...base, jwksUri, algorithms: ['RS256', 'None'] }, 'ERR_TOLLGATE_ALG_NONE'],
    ['an unknown algorithm', { ...base, jwksUri, algorithms: ['RS1'] }, 'ERR_TOLLGATE_ALG_UNKNOWN'],
    ['HMAC mixed with RSA', { ...base, jwksUri, algorithms: ['RS256', 'HS256'] }, 'ERR_TOLLGATE_ALG_MIXED'],
    ['HMAC with a JWKS', { ...base, jwksUri, algorithms: ['HS256'] }, 'ERR_TOLLGATE_ALG_KEY_MISMATCH'],
    ['RSA with a secret', { ...base, secret: 'x'.repeat(32), algorithms: ['RS256'] }, 'ERR_TOLLGATE_ALG_KEY_MISMATCH'],
    ['a private key as public key is fine but a secret KeyObject is not', { ...base, publicKey: { kty: 'oct', k: 'AAAA' } }, 'ERR_TOLLGATE_ALG_KEY_MISMATCH'],
    ['a short HS256 secret', { ...base, secret: 'too-short' }, 'ERR_TOLLGATE_WEAK_SECRET'],
    ['a short HS512 secret', { ...base, secret: 'x'.repeat(32), algorithms: ['HS512'] }, 'ERR_TOLLGATE_WEAK_SECRET'],
    ['an empty algorithm list', { ...base, jwksUri, algorithms: [] }, 'ERR_TOLLGATE_EMPTY_LIST'],
    ['a typo in an option name', { ...base, jwksUri, audiance: 'api' }, 'ERR_TOLLGATE_UNKNOWN_OPTION'],
    ['no issuer', { audience: 'api', jwksUri }, 'ERR_TOLLGATE_NO_ISSUER'],
    ['no audience', { issuer: 'https://id.example', jwksUri }, 'ERR_TOLLGATE_NO_AUDIENCE'],
    ['an empty audience list', { ...base, audience: [], jwksUri }, 'ERR_TOLLGATE_EMPTY_LIST'],
    ['a non-URL jwksUri', { ...base, jwksUri: 'not a url' }, 'ERR_TOLLGATE_INVALID_OPTION'],
    ['a file: jwksUri', { ...base, jwksUri: 'file:///etc/passwd' }, 'ERR_TOLLGATE_INVALID_OPTION'],
    ['a JWKS holding a private key', { ...base, jwks: { keys: [rsa.privateKey.export({ format: 'jwk' })] } }, 'ERR_TOLLGATE_ALG_KEY_MISMATCH'],
    ['one issuer twice', { issuers: [{ ...base, jwksUri }, { ...base, jwksUri }] }, 'ERR_TOLLGATE_DUPLICATE_ISSUER'],
    ['issuers and a top-level issuer', { ...base, issuers: [{ ...base, jwksUri }] }, 'ERR_TOLLGATE_INVALID_OPTION'],
    ['every token location off', { ...base, jwksUri, tokenLocations: { header: false } }, 'ERR_TOLLGATE_EMPTY_LIST'],
    ['a bad cookie name', { ...base, jwksUri, tokenLocations: { cookie: 'a b' } }, 'ERR_TOLLGATE_INVALID_OPTION'],
    ['a negative clock tolerance', { ...base, jwksUri, clockTolerance: -1 }, 'ERR_TOLLGATE_INVALID_OPTION'],
    ['a zero-sized cache', { ...base, jwksUri, cache: { max: 0 } }, 'ERR_TOLLGATE_INVALID_OPTION'],
    ['a revocation store without isRevoked', { ...base, jwksUri, revocation: {} }, 'ERR_TOLLGATE_INVALID_OPTION'],
    ['an HMAC algorithm for DPoP proofs', { ...base, jwksUri, dpop: { origin: 'https://api.example', algorithms: ['HS256'] } }, 'ERR_TOLLGATE_ALG_KEY_MISMATCH'],
    ['DPoP without origin (the Host header would decide what a proof must name)', { ...base, jwksUri, dpop: {} }, 'ERR_TOLLGATE_INVALID_OPTION'],
    ['DPoP without origin, trustHostHeader false', { ...base, jwksUri, dpop: { trustHostHeader: false, required: true } }, 'ERR_TOLLGATE_INVALID_OPTION'],
    ['a non-boolean dpop.trustHostHeader', { ...base, jwksUri, dpop: { trustHostHeader: 'yes' } }, 'ERR_TOLLGATE_INVALID_OPTION'],
    ['an empty segment in a claim path', { ...base, jwksUri, rolesClaim: 'realm_access..roles' }, 'ERR_TOLLGATE_INVALID_OPTION'],
    ['a __proto__ segment in a claim path', { ...base, jwksUri, scopeClaim: '__proto__.scope' }, 'ERR_TOLLGATE_INVALID_OPTION'],
    ['a constructor claim path', { ...base, jwksUri, rolesClaim: ['constructor'] }, 'ERR_TOLLGATE_INVALID_OPTION'],
    ['an empty array as a claim path', { ...base, jwksUri, rolesClaim: [] }, 'ERR_TOLLGATE_INVALID_OPTION'],
    ['a DPoP proof quota of 0', { ...base, jwksUri, dpop: { origin: 'https://api.example', maxProofsPerKey: 0 } }, 'ERR_TOLLGATE_INVALID_OPTION'],
    ['a fractional DPoP proof quota', { ...base, jwksUri, dpop: { origin: 'https://api.example', maxProofsPerKey: 2.5 } }, 'ERR_TOLLGATE_INVALID_OPTION'],
  ])('%s', (_what, options, code) => {
    expect(setupCode(() => createAuthenticator(options as AuthenticateOptions))).toBe(code);
  });

  it('accepts DPoP with an origin, or without one when trustHostHeader says the Host header is trusted', () => {
    expect(() => createAuthenticator({ ...base, jwksUri, dpop: { origin: 'https://api.example' } })).not.toThrow();
    expect(() => createAuthenticator({ ...base, jwksUri, dpop: { trustHostHeader: true } })).not.toThrow();
  });

  it('derives the allow-list from a public key and freezes the result', () => {
    const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const authenticator = createAuthenticator({ ...base, publicKey: ec.publicKey.export({ format: 'pem', type: 'spki' }) as string });
    expect(authenticator.options.issuers[0]!.keySource.algorithms).toEqual(['ES256']);
    expect(Object.isFrozen(authenticator.options)).toBe(true);
    expect(authenticator.options.requiredClaims).toContain('exp');
    expect(authenticator.policy).toMatchObject({ kind: 'authenticate', issuers: ['https://id.example'], audiences: ['api'], algorithms: ['ES256'], tokenLocations: ['header'] });
  });

  it('never accepts exp being dropped from requiredClaims', () => {
    const authenticator = createAuthenticator({ ...base, jwksUri, requiredClaims: ['sub'] });
    expect([...authenticator.options.requiredClaims].sort()).toEqual(['exp', 'sub']);
  });
});

describe('guards validate their options at setup', () => {
  it.each<[string, () => unknown, SetupErrorCode]>([
    ['an empty scope list', () => createScopeGuard([]), 'ERR_TOLLGATE_EMPTY_LIST'],
    ['an empty scope', () => createScopeGuard(['']), 'ERR_TOLLGATE_INVALID_OPTION'],
    ['a scope with a space (two scopes in one string)', () => createScopeGuard('orders:read orders:write'), 'ERR_TOLLGATE_INVALID_OPTION'],
    ['a bad match', () => createScopeGuard('a', { match: 'some' as 'all' }), 'ERR_TOLLGATE_INVALID_OPTION'],
    ['an unknown guard option', () => createRoleGuard('admin', { mode: 'any' } as object), 'ERR_TOLLGATE_UNKNOWN_OPTION'],
    ['an empty role list', () => createRoleGuard([]), 'ERR_TOLLGATE_EMPTY_LIST'],
    ['an empty claims object', () => createClaimsGuard({}), 'ERR_TOLLGATE_EMPTY_LIST'],
    ['a prototype segment in a requireClaims key', () => createClaimsGuard({ 'org.prototype': 'x' }), 'ERR_TOLLGATE_INVALID_OPTION'],
    ['an empty segment in a requireClaims key', () => createClaimsGuard({ 'org.': 'x' }), 'ERR_TOLLGATE_INVALID_OPTION'],
    ['an object as expected claim value', () => createClaimsGuard({ tenant: {} as string }), 'ERR_TOLLGATE_INVALID_OPTION'],
    ['no check at all', () => createClaimsGuard(undefined as unknown as () => boolean), 'ERR_TOLLGATE_INVALID_OPTION'],
  ])('%s', (_what, make, code) => {
    expect(setupCode(make)).toBe(code);
  });
});
