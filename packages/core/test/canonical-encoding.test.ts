import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { base64url } from 'jose';
import { spellingByJose, spellingOf } from '../src/verify/canonical-encoding.js';

// Characters a lenient decoder might skip, translate or stop at, beside the base64url alphabet.
const NEAR_BASE64 = [...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_', '+', '/', '=', '.', ' ', '\n', '%', '\u00e9', '\u0000', '\ud83d\ude00'];
const nearBase64 = fc.array(fc.constantFrom(...NEAR_BASE64), { maxLength: 40 }).map((chars) => chars.join(''));

describe('spellingOf', () => {
  it('answers as jose\u2019s decoder and encoder do, for any text', () => {
    fc.assert(fc.property(fc.oneof(nearBase64, fc.string(), fc.string({ unit: 'binary' })), (text) => {
      expect(spellingOf(text)).toBe(spellingByJose(text));
    }), { numRuns: 20_000 });
  });

  it('calls canonical exactly the segments jose writes itself, and nothing padded or with spare bits set', () => {
    fc.assert(fc.property(fc.array(fc.uint8Array({ maxLength: 70 }), { minLength: 1, maxLength: 5 }), (parts) => {
      const compact = parts.map((bytes) => base64url.encode(bytes)).join('.');
      expect(spellingOf(compact)).toBe('canonical');
      const last = compact.at(-1);
      if (parts.at(-1)!.length % 3 !== 0) {
        expect(spellingOf(`${compact}=`)).not.toBe('canonical');
        // the last character with its lowest (spare) bit flipped decodes to the same bytes
        const flipped = compact.slice(0, -1) + String.fromCharCode(last!.charCodeAt(0) ^ 1);
        if (/^[A-Za-z0-9_-]$/.test(flipped.at(-1)!)) expect(spellingOf(flipped)).toBe('non-canonical');
      }
    }));
  });

  it('tells a respelling from text that is no base64url', () => {
    expect(spellingOf('eyJhbGciOiJub25lIn0.e30.')).toBe('canonical');
    expect(spellingOf('eyJhbGciOiJub25lIn0=.e30.')).toBe('non-canonical');
    expect(spellingOf('eyJhbGciOiJub25lIn0.e3+.')).toBe('undecodable');
    expect(spellingOf('eyJhbGciOiJub25lIn0.e30.a')).toBe('undecodable');
    expect(spellingOf('eyJ hbGc.e30.')).toBe('non-canonical'); // jose skips the space: same bytes, another spelling
    expect(spellingOf('e30.\u00e9')).toBe('undecodable');
    expect(spellingOf('')).toBe('canonical');
  });
});
