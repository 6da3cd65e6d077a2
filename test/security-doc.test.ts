/** SECURITY.md maps each threat to the test files that prove its controls: every file it names exists. */
import { describe, expect, it } from '@jest/globals';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../', import.meta.url));
const security = readFileSync(new URL('../SECURITY.md', import.meta.url), 'utf8');

describe('SECURITY.md', () => {
  const named = [...new Set([...security.matchAll(/`((?:test|packages)\/[\w./-]+\.ts)`/g)].map((m) => m[1]!))];

  it('names test files, and each of them exists', () => {
    expect(named.length).toBeGreaterThan(20);
    expect(named.filter((file) => !existsSync(`${root}${file}`))).toEqual([]);
  });

  it('covers every threat of the model and says how to report a vulnerability', () => {
    for (const heading of ['Reporting a vulnerability', 'Token theft', 'Replay', 'Algorithm confusion', 'Key injection',
      'Privilege escalation through scopes and roles', 'Brute force and key guessing', 'Denial of service on the verifier',
      'Denial of service on the issuer', 'Denial of service on the stores', 'Leaks through logs']) {
      expect(security).toMatch(new RegExp(`^#+ ${heading}`, 'm'));
    }
  });
});
