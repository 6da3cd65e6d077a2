import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JSONWebKeySet, type JWK, type JWTHeaderParameters, type JWTPayload } from 'jose';

/** Signature algorithms the test issuer can sign with. */
export type TestAlgorithm = 'RS256' | 'PS256' | 'ES256' | 'ES384' | 'EdDSA';

/** Options of {@link createTestIssuer}. */
export interface TestIssuerOptions {
  /** The `iss` of minted tokens. Default: the issuer's own loopback origin. */
  issuer?: string;
  /** The default `aud` of minted tokens. Default `https://api.tollgate.test`. */
  audience?: string;
  /** Signing algorithm. Default `RS256`. */
  algorithm?: TestAlgorithm;
  /** Loopback port of the JWKS server. Default 0 (a free port). */
  port?: number;
  /** Default token lifetime in seconds. Default 300. */
  expiresIn?: number;
  /** The clock for `iat`/`exp`, in ms. Default `Date.now`. */
  now?: () => number;
}

/** How one token is minted. */
export interface MintOptions {
  /** Lifetime in seconds from `iat`; negative for an expired token. Default: the issuer's. */
  expiresIn?: number;
  /** Claims to leave out of the defaults (`exp`, `jti`, `iss`, …). */
  omit?: readonly string[];
  /** Protected header parameters to add or override (`alg`, `kid`, `typ`, `jku`, …). */
  header?: Partial<JWTHeaderParameters> & Record<string, unknown>;
  /** Sign with another key than the issuer's current one. */
  key?: CryptoKey | Uint8Array;
}

/** A dev identity provider: keys, a JWKS on loopback, and token minting. */
export interface TestIssuer {
  /** `iss` of minted tokens. */
  readonly issuer: string;
  /** Default `aud` of minted tokens. */
  readonly audience: string;
  readonly algorithm: TestAlgorithm;
  /** `http://127.0.0.1:PORT/.well-known/jwks.json`. */
  readonly jwksUri: string;
  /** The loopback origin of the server. */
  readonly origin: string;
  /** The public JWK Set the server serves. */
  jwks(): JSONWebKeySet;
  /** Options for `authenticate` that trust this issuer through its JWKS URI. */
  authenticateOptions(): { issuer: string; audience: string; jwksUri: string; algorithms: [TestAlgorithm] };
  /** Mints a signed token: `iss`, `aud`, `sub`, `iat`, `exp`, `jti` by default, `claims` on top. */
  mint(claims?: JWTPayload & Record<string, unknown>, options?: MintOptions): Promise<string>;
  /** A key pair of the same algorithm that the JWKS does not list. */
  foreignKey(): Promise<CryptoKey>;
  /** Adds a new signing key; the old one stays in the JWKS until `retire()` (key rotation). */
  rotate(): Promise<void>;
  /** Removes every key but the newest from the JWKS. */
  retire(): void;
  /** Makes the JWKS endpoint answer 503 (false) or normally (true). */
  setAvailable(available: boolean): void;
  /** How many JWKS requests the server has answered. */
  readonly jwksRequests: number;
  /** Stops the server. */
  close(): Promise<void>;
}

interface SigningKey {
  kid: string;
  privateKey: CryptoKey;
  publicJwk: JWK;
}

async function newKey(algorithm: TestAlgorithm): Promise<SigningKey> {
  const { privateKey, publicKey } = await generateKeyPair(algorithm, { extractable: true });
  const publicJwk = await exportJWK(publicKey);
  const kid = randomUUID();
  return { kid, privateKey, publicJwk: { ...publicJwk, kid, alg: algorithm, use: 'sig' } };
}

/**
 * Starts a test issuer: generates a key pair with `jose`, serves its JWKS and OpenID
 * configuration on 127.0.0.1, and mints tokens with any claims or header.
 *
 * @example
 * const idp = await createTestIssuer();
 * app.use(authenticate(idp.authenticateOptions()));
 * const token = await idp.mint({ scope: 'orders:read' });
 */
export async function createTestIssuer(options: TestIssuerOptions = {}): Promise<TestIssuer> {
  const algorithm = options.algorithm ?? 'RS256';
  const now = options.now ?? Date.now;
  const defaultLifetime = options.expiresIn ?? 300;
  const keys: SigningKey[] = [await newKey(algorithm)];
  let available = true;
  let jwksRequests = 0;
  let issuer = options.issuer ?? '';
  let origin = '';

  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?', 1)[0];
    if (path === '/.well-known/jwks.json') {
      jwksRequests++;
      if (!available) {
        res.writeHead(503).end();
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: keys.map((k) => k.publicJwk) }));
      return;
    }
    if (path === '/.well-known/openid-configuration') {
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ issuer, jwks_uri: `${origin}/.well-known/jwks.json` }));
      return;
    }
    res.writeHead(404).end();
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  server.unref();
  const { port } = server.address() as AddressInfo;
  origin = `http://127.0.0.1:${port}`;
  if (issuer === '') issuer = origin;
  const audience = options.audience ?? 'https://api.tollgate.test';
  const jwksUri = `${origin}/.well-known/jwks.json`;

  const current = () => keys[keys.length - 1]!;

  return {
    issuer,
    audience,
    algorithm,
    jwksUri,
    origin,
    jwks: () => ({ keys: keys.map((k) => ({ ...k.publicJwk })) }),
    authenticateOptions: () => ({ issuer, audience, jwksUri, algorithms: [algorithm] }),
    async mint(claims = {}, mint = {}) {
      const iat = Math.floor(now() / 1000);
      const payload: Record<string, unknown> = {
        iss: issuer, aud: audience, sub: 'user-1', iat, exp: iat + (mint.expiresIn ?? defaultLifetime), jti: randomUUID(), ...claims,
      };
      for (const name of mint.omit ?? []) delete payload[name];
      const key = current();
      const header = { alg: algorithm, kid: key.kid, typ: 'JWT', ...mint.header } as JWTHeaderParameters;
      // SignJWT sets iat/exp only when asked; the payload above already carries them.
      // An explicit `crit` list is signed as given, so tests can present extensions the verifier does not know.
      const crit = Array.isArray(header.crit) ? { crit: Object.fromEntries(header.crit.map((name) => [name, true])) } : undefined;
      return new SignJWT(payload as JWTPayload).setProtectedHeader(header).sign(mint.key ?? key.privateKey, crit);
    },
    async foreignKey() {
      return (await generateKeyPair(algorithm, { extractable: true })).privateKey;
    },
    async rotate() {
      keys.push(await newKey(algorithm));
    },
    retire() {
      keys.splice(0, keys.length - 1);
    },
    setAvailable(value) {
      available = value;
    },
    get jwksRequests() {
      return jwksRequests;
    },
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}
