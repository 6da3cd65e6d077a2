import { Buffer } from 'node:buffer';
import { base64url } from 'jose';

export type Spelling = 'canonical' | 'non-canonical' | 'undecodable';

/**
 * How a compact JWS (an access token or a DPoP proof) is spelled: `canonical` when every
 * dot-separated segment is the one base64url spelling of its bytes — no `=` padding (RFC 7515
 * §2), the spare low bits of the last character zero (RFC 4648 §3.5), nothing skipped;
 * `undecodable` when a segment is no base64url at all; `non-canonical` otherwise.
 *
 * A decoder that tolerates padding or spare bits lets one signature be written many ways, and
 * each spelling would verify; anything keyed on the token string (the verified-token cache, the
 * per-token rate limit, audit fingerprints, the DPoP `ath`) would then count one token as many.
 *
 * Node's own codec answers for nearly every token: whatever its decoder tolerates, a segment
 * that its encoder writes back unchanged is the canonical spelling of those bytes. Only a
 * segment that fails that round trip (a refused token) goes through jose's codec, which tells
 * a respelling from text that is no base64url at all. jose's is pure JavaScript and cost about
 * 10 µs per RS256 token on every cache miss; Node's costs well under one.
 */
export function spellingOf(compact: string): Spelling {
  let start = 0;
  for (let dot = compact.indexOf('.'); ; dot = compact.indexOf('.', start)) {
    const end = dot === -1 ? compact.length : dot;
    const segment = compact.slice(start, end);
    if (Buffer.from(segment, 'base64url').toString('base64url') !== segment) return spellingByJose(compact);
    if (dot === -1) return 'canonical';
    start = dot + 1;
  }
}

/** The same answer through jose's decoder and encoder, which throws on text that is no base64url. */
export function spellingByJose(compact: string): Spelling {
  let spelling: Spelling = 'canonical';
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
