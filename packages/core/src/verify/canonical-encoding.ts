import { base64url } from 'jose';

/**
 * How a compact JWS (an access token or a DPoP proof) is spelled: `canonical` when every
 * dot-separated segment is the one base64url spelling of its bytes — no `=` padding (RFC 7515
 * §2), the spare low bits of the last character zero (RFC 4648 §3.5), nothing skipped;
 * `undecodable` when a segment is no base64url at all; `non-canonical` otherwise.
 *
 * A decoder that tolerates padding or spare bits lets one signature be written many ways, and
 * each spelling would verify; anything keyed on the token string (the verified-token cache, the
 * per-token rate limit, audit fingerprints, the DPoP `ath`) would then count one token as many.
 * jose decodes and encodes here, so the rule is jose's own alphabet, not a second parser.
 */
export function spellingOf(compact: string): 'canonical' | 'non-canonical' | 'undecodable' {
  let spelling: 'canonical' | 'non-canonical' = 'canonical';
  for (const segment of compact.split('.')) {
    let bytes: Uint8Array;
    try {
      bytes = base64url.decode(segment);
    } catch {
      return 'undecodable';
    }
    if (base64url.encode(bytes) !== segment) spelling = 'non-canonical';
  }
  return spelling;
}
