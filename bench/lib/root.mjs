// Resolves modules as the monorepo root sees them, so the bench measures the same `jose` that
// @tollgate/core uses (bench/node_modules holds jose 4 for express-oauth2-jwt-bearer).
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const rootRequire = createRequire(new URL('../../package.json', import.meta.url));

/** Imports `name` resolved from the repository root's node_modules. */
export async function importFromRoot(name) {
  return import(pathToFileURL(rootRequire.resolve(name)).href);
}
