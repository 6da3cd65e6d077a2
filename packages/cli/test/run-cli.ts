import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { runCli, type CliContext } from '@tollgate/cli';

/** The repository root: module paths in the goldens are relative to it. */
export const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
export const FIXTURES = 'packages/cli/test/fixtures';

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs `tollgate` in-process from the repository root. Jest cannot host tsx's loader hooks
 * (it refuses `module.register`), so TypeScript modules come through Jest's own transform here;
 * the spawned-binary test covers tsx. Adapters come through Jest's module map (their sources).
 */
export async function cli(args: readonly string[], context: Partial<CliContext> = {}): Promise<CliRun> {
  let stdout = '';
  let stderr = '';
  const code = await runCli(args, {
    stdout: (t) => { stdout += t; },
    stderr: (t) => { stderr += t; },
    cwd: ROOT,
    env: {},
    isTTY: false,
    importTypeScript: (url) => import(url),
    importAdapter: (name) => import(name),
    ...context,
  });
  return { code, stdout, stderr };
}

/** A golden file's text. */
export function golden(name: string): string {
  return readFileSync(new URL(`./golden/${name}`, import.meta.url), 'utf8');
}

/**
 * The golden file `name` after writing `text` to it when `UPDATE_GOLDEN=1` (`npm run golden`,
 * the one way goldens are regenerated: review the diff before committing it).
 */
export function goldenFor(name: string, text: string): string {
  if (process.env.UPDATE_GOLDEN === '1') writeFileSync(new URL(`./golden/${name}`, import.meta.url), text);
  return golden(name);
}
