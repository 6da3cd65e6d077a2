import { createHmac, hash, timingSafeEqual } from 'node:crypto';
import { calculateJwkThumbprint, EmbeddedJWK, jwtVerify, type JWK } from 'jose';
import type { Challenge } from '../errors/challenge.js';
import type { AuthContext } from '../context.js';
import type { ParsedDpopOptions } from './dpop-options.js';
import type { ProofQuota } from './proof-quota.js';
import type { RejectionReason } from '../errors/error-codes.js';
import { TollgateError } from '../errors/errors.js';
import { headerValue, requestPath, type TollgateRequest } from '../extract/request.js';
import { spellingOf } from '../verify/canonical-encoding.js';

/** Everything a proof check needs besides the request. */
export interface DpopContext {
  readonly options: ParsedDpopOptions;
  readonly challenges: readonly Challenge[];
  readonly clockTolerance: number;
  readonly now: () => number;
  /** Proofs per key thumbprint, counted before a `jti` is stored. */
  readonly quota: ProofQuota;
}

function invalidProof(context: DpopContext, reason: RejectionReason, description: string, cause?: unknown): TollgateError {
  return new TollgateError('invalid_dpop_proof', description, { reason, challenge: [...context.challenges], cause });
}

// Only the current and the previous slot are ever asked for, on every response: the last few are kept.
const noncesBySecret = new WeakMap<Uint8Array, Map<number, string>>();
const KEPT_SLOTS = 4;

/** The server nonce of a time slot: an HMAC, so every instance sharing the secret agrees. */
function nonceFor(secret: Uint8Array, slot: number): string {
  let kept = noncesBySecret.get(secret);
  if (kept === undefined) {
    kept = new Map();
    noncesBySecret.set(secret, kept);
  }
  let nonce = kept.get(slot);
  if (nonce === undefined) {
    nonce = createHmac('sha256', secret).update(`tollgate-dpop-nonce:${slot}`).digest('base64url').slice(0, 32);
    if (kept.size >= KEPT_SLOTS) kept.delete(kept.keys().next().value!);
    kept.set(slot, nonce);
  }
  return nonce;
}

/** The current server nonce, for the `DPoP-Nonce` response header; `undefined` when nonces are off. */
export function currentDpopNonce(context: DpopContext): string | undefined {
  const { nonce } = context.options;
  return nonce === undefined ? undefined : nonceFor(nonce.secret, Math.floor(context.now() / nonce.rotateMs));
}

function isCurrentNonce(context: DpopContext, value: unknown): boolean {
  const { nonce } = context.options;
  if (nonce === undefined) return true;
  if (typeof value !== 'string') return false;
  const slot = Math.floor(context.now() / nonce.rotateMs);
  const given = Buffer.from(value);
  return [slot, slot - 1].some((s) => {
    const expected = Buffer.from(nonceFor(nonce.secret, s));
    return expected.length === given.length && timingSafeEqual(expected, given);
  });
}

/**
 * The URI a proof's `htu` must name: the configured public origin (or the one the framework's
 * proxy rules established — never a bare `Host` header a client made up) and the request path.
 * Query and fragment are left out, as RFC 9449 §4.3 says.
 */
function expectedHtu(req: TollgateRequest, context: DpopContext): string | undefined {
  const origin = context.options.origin ?? req.origin;
  if (origin === undefined) return undefined;
  try {
    return normalizeHtu(`${origin}${requestPath(req)}`);
  } catch {
    return undefined;
  }
}

/** RFC 3986 §6.2.2–6.2.3 normalisation (case, default port, dot segments), without query and fragment. */
function normalizeHtu(value: string): string {
  const url = new URL(value);
  return `${url.protocol}//${url.host}${url.pathname}`;
}

/**
 * Checks the DPoP proof of a request that presents a DPoP-bound token (RFC 9449 §4.3, §7):
 * one `DPoP` header; a `dpop+jwt` signed by the public `jwk` in its header with an allowed
 * algorithm; `htm` and `htu` matching this request; `iat` within the window; `ath` the hash of
 * this access token; the key's thumbprint equal to the token's `cnf.jkt`; a server nonce when
 * nonces are on; the key within its proof quota; and a `jti` never seen before.
 */
export async function verifyDpopProof(req: TollgateRequest, auth: AuthContext, context: DpopContext): Promise<void> {
  const { value: proof, repeated } = headerValue(req, 'dpop');
  if (repeated || (typeof proof === 'string' && proof.includes(','))) throw invalidProof(context, 'dpop_invalid', 'More than one DPoP proof was sent');
  if (proof === undefined || proof === '') throw invalidProof(context, 'dpop_invalid', 'The DPoP proof is missing');
  if (proof.length > 8192) throw invalidProof(context, 'dpop_invalid', 'The DPoP proof is too large');
  // A garbage proof is left to jose below, which says what is wrong with it.
  if (spellingOf(proof) === 'non-canonical') throw invalidProof(context, 'non_canonical', 'The DPoP proof is not canonically base64url-encoded');

  let payload: Record<string, unknown>;
  let jwk: JWK;
  try {
    const result = await jwtVerify(proof, EmbeddedJWK, { typ: 'dpop+jwt', algorithms: [...context.options.algorithms], currentDate: new Date(context.now()) });
    payload = result.payload as Record<string, unknown>;
    jwk = result.protectedHeader.jwk as JWK;
  } catch (error) {
    throw invalidProof(context, 'dpop_invalid', 'The DPoP proof is invalid', error);
  }

  if (payload.htm !== req.method) throw invalidProof(context, 'dpop_invalid', 'The DPoP proof is for another method');
  const expected = expectedHtu(req, context);
  let htu: string | undefined;
  try {
    htu = typeof payload.htu === 'string' ? normalizeHtu(payload.htu) : undefined;
  } catch {
    htu = undefined;
  }
  if (expected === undefined || htu !== expected) throw invalidProof(context, 'dpop_invalid', 'The DPoP proof is for another URI');

  const now = context.now() / 1000;
  const { iat } = payload;
  if (typeof iat !== 'number' || iat > now + context.clockTolerance || iat < now - context.options.proofMaxAge - context.clockTolerance) {
    throw invalidProof(context, 'dpop_invalid', 'The DPoP proof is too old or from the future');
  }
  const ath = hash('sha256', auth.token, 'base64url');
  if (payload.ath !== ath) throw invalidProof(context, 'dpop_invalid', 'The DPoP proof is not for this access token');
  const jkt = await calculateJwkThumbprint(jwk, 'sha256');
  if (auth.jkt !== jkt) throw new TollgateError('invalid_token', 'The access token is bound to another key', { reason: 'dpop_binding_mismatch', challenge: [...context.challenges] });
  if (!isCurrentNonce(context, payload.nonce)) {
    const nonce = currentDpopNonce(context)!;
    throw new TollgateError('use_dpop_nonce', 'The DPoP proof needs the server nonce', {
      reason: 'dpop_nonce_required', challenge: [...context.challenges], headers: { 'DPoP-Nonce': nonce },
    });
  }
  const { jti } = payload;
  if (typeof jti !== 'string' || jti === '' || jti.length > 256) throw invalidProof(context, 'dpop_invalid', 'The DPoP proof has no usable jti');

  // The proof can be accepted for proofMaxAge plus the tolerance on either side; remember it as long.
  const ttl = (context.options.proofMaxAge + 2 * context.clockTolerance) * 1000;
  const wait = context.quota.take(jkt, context.now());
  if (wait > 0) {
    throw new TollgateError('rate_limited', 'Too many DPoP proofs from this key: retry later', { reason: 'rate_limited', headers: { 'Retry-After': String(Math.ceil(wait / 1000)) } });
  }
  let first: boolean;
  try {
    first = await context.options.store.claim(`dpop:${jkt}:${jti}`, ttl);
  } catch (error) {
    throw new TollgateError('temporarily_unavailable', 'DPoP proofs cannot be checked right now', { reason: 'store_unavailable', store: 'dpop', headers: { 'Retry-After': '1' }, cause: error });
  }
  if (!first) throw invalidProof(context, 'replayed', 'The DPoP proof was already used');
}
