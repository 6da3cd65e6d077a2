import { readFileSync } from 'node:fs';
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
