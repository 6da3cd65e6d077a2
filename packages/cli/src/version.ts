import { readFileSync } from 'node:fs';

/** The CLI's version, read from its package.json (one directory above both src and dist). */
export function cliVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version?: unknown };
  return typeof pkg.version === 'string' ? pkg.version : '0.0.0';
}
