/**
 * Other spellings of one compact JWS: the spare low bits of the last segment's final character
 * and `=` padding change the string, not the bytes it decodes to. A lenient decoder accepts them
 * all; Tollgate must accept only the token as it was minted.
 */
const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

/** Every other spelling of `compact` whose last segment decodes to the same bytes (original excluded). */
export function respellings(compact: string): string[] {
  const dot = compact.lastIndexOf('.');
  const head = compact.slice(0, dot + 1);
  const segment = compact.slice(dot + 1);
  const tail = segment.length % 4; // 2: one byte in the last group (4 spare bits); 3: two bytes (2 spare bits)
  if (tail !== 2 && tail !== 3) throw new Error('respellings: the last segment has no spare bits');
  const spare = tail === 2 ? 4 : 2;
  const value = ALPHABET.indexOf(segment.at(-1)!);
  const stem = segment.slice(0, -1);
  const padding = '='.repeat(4 - tail);
  const spellings: string[] = [];
  for (let bits = 0; bits < 2 ** spare; bits++) {
    const last = ALPHABET[(value & ~(2 ** spare - 1)) | bits]!;
    for (const pad of ['', padding]) spellings.push(`${head}${stem}${last}${pad}`);
  }
  return spellings.filter((s) => s !== compact);
}
