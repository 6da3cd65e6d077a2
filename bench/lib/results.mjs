// Where the scripts leave their raw numbers: bench/results/ (git-ignored), one file per run.
import { mkdir, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';

const RESULTS = fileURLToPath(new URL('../results/', import.meta.url));

/**
 * Writes `data` as bench/results/<name>.json and, when `markdown` is given, the table as
 * bench/results/<name>.md beside it. Resolves to the JSON file's path, for the log line.
 */
export async function writeResults(name, data, { markdown } = {}) {
  await mkdir(RESULTS, { recursive: true });
  const file = `${RESULTS}${name}.json`;
  await writeFile(file, `${JSON.stringify(data, null, 2)}\n`);
  if (markdown !== undefined) await writeFile(`${RESULTS}${name}.md`, markdown);
  return file;
}
