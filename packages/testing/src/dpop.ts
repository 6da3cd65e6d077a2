import { randomUUID, createHash } from 'node:crypto';
import { calculateJwkThumbprint, exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK } from 'jose';

/** Claims and header of one DPoP proof; anything left out gets a correct default. */
export interface ProofOptions {
  /** HTTP method. Default `GET`. */
  htm?: string;
  /** The target URI, e.g. `http://127.0.0.1/orders`. */
  htu: string;
  /** The access token the proof goes with (sets `ath`). */
  accessToken?: string;
  /** Server nonce (RFC 9449 §8). */
  nonce?: string;
  /** Seconds since the epoch. Default now. */
  iat?: number;
  /** Default a fresh UUID. */
  jti?: string;
  /** Extra or overriding claims (`ath`, …); `undefined` values remove a claim. */
  claims?: Record<string, unknown>;
  /** Extra or overriding header parameters (`typ`, `jwk`, …). */
  header?: Record<string, unknown>;
  /** Sign with another key than the holder's (the header still shows the holder's). */
  signWith?: CryptoKey;
}

/** A client's DPoP key pair: its thumbprint (for `cnf.jkt`) and proof minting. */
export interface DpopHolder {
  readonly algorithm: string;
  readonly publicJwk: JWK;
  /** The RFC 7638 SHA-256 thumbprint, for the token's `cnf.jkt`. */
  readonly jkt: string;
  /** Mints a `dpop+jwt` proof. */
  proof(options: ProofOptions): Promise<string>;
}

/** Makes a DPoP key pair with `jose` (ES256 unless told otherwise). */
export async function createDpopHolder(algorithm: 'ES256' | 'EdDSA' | 'RS256' | 'PS256' = 'ES256'): Promise<DpopHolder> {
  const { privateKey, publicKey } = await generateKeyPair(algorithm, { extractable: true });
  const publicJwk = await exportJWK(publicKey);
  const jkt = await calculateJwkThumbprint(publicJwk, 'sha256');
  return {
    algorithm,
    publicJwk,
    jkt,
    async proof(options) {
      const claims: Record<string, unknown> = {
        htm: options.htm ?? 'GET',
        htu: options.htu,
        iat: options.iat ?? Math.floor(Date.now() / 1000),
        jti: options.jti ?? randomUUID(),
        ...(options.accessToken === undefined ? {} : { ath: createHash('sha256').update(options.accessToken).digest('base64url') }),
        ...(options.nonce === undefined ? {} : { nonce: options.nonce }),
        ...options.claims,
      };
      for (const [name, value] of Object.entries(claims)) if (value === undefined) delete claims[name];
      const header = { alg: algorithm, typ: 'dpop+jwt', jwk: publicJwk, ...options.header };
      return new SignJWT(claims).setProtectedHeader(header as { alg: string }).sign(options.signWith ?? privateKey);
    },
  };
}
