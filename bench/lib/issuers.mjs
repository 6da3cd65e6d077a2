// The identity side of the bench: loopback JWKS issuers (@tollgate/testing) and token pools.
import { createTestIssuer } from '@tollgate/testing';
import { SCOPE } from '../targets.mjs';

const LIFETIME = 3600; // seconds: outlives any run

/** Starts one RS256 and one ES256 issuer; `ctx` is what each server is built from. */
export async function startIssuers() {
  const [rs, es] = await Promise.all([createTestIssuer({ algorithm: 'RS256' }), createTestIssuer({ algorithm: 'ES256' })]);
  const describe = (i) => ({ issuer: i.issuer, audience: i.audience, jwksUri: i.jwksUri, algorithm: i.algorithm });
  return { issuers: { RS256: rs, ES256: es }, ctxIssuers: { RS256: describe(rs), ES256: describe(es) }, close: () => Promise.all([rs.close(), es.close()]) };
}

/** `count` distinct valid tokens (each its own `sub` and `jti`), minted in batches. */
export async function mintPool(issuer, count, { lifetime = LIFETIME, batch = 500 } = {}) {
  const tokens = [];
  for (let start = 0; start < count; start += batch) {
    const size = Math.min(batch, count - start);
    const minted = await Promise.all(Array.from({ length: size }, (_, i) => issuer.mint({ sub: `user-${start + i}`, scope: `${SCOPE} profile` }, { expiresIn: lifetime })));
    tokens.push(...minted);
  }
  return tokens;
}

/** The tokens of the pre-flight checks: one without the scope, one signed by a key the JWKS does not list. */
export async function checkTokens(issuer) {
  const noScope = await issuer.mint({ scope: 'profile' }, { expiresIn: LIFETIME });
  const forged = await issuer.mint({ scope: `${SCOPE} profile` }, { expiresIn: LIFETIME, key: await issuer.foreignKey() });
  return { noScope, forged };
}
