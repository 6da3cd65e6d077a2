import { stat } from 'node:fs/promises';
import { extname } from 'node:path';
import { pathToFileURL } from 'node:url';
import { AuditInputError, messageOf } from './audit-input-error.js';
import { describeValue, detectApp, type AppShape } from './detect-app.js';

/** Imports a module by file URL and resolves to its namespace. */
export type ModuleImporter = (url: string) => Promise<unknown>;

/** How modules are imported; the defaults suit the `tollgate` binary. */
export interface ModuleImporters {
  /** For `.ts`, `.mts`, `.cts`, `.tsx`. Default: `tsImport` from the installed `tsx`. */
  importTypeScript?: ModuleImporter;
  /** For `.js`, `.mjs`, `.cjs`: Node's own `import()`, which also loads CommonJS. */
  importJavaScript?: ModuleImporter;
}

const TYPESCRIPT = new Set(['.ts', '.mts', '.cts', '.tsx']);

/** Imports TypeScript through tsx, so an app can be audited from its sources without a build. */
async function importWithTsx(url: string): Promise<unknown> {
  let tsx: typeof import('tsx/esm/api');
  try {
    tsx = await import('tsx/esm/api');
  } catch (error) {
    throw new AuditInputError(`Auditing a TypeScript module needs the tsx package (npm install --save-dev tsx): ${messageOf(error)}`);
  }
  return tsx.tsImport(url, import.meta.url) as Promise<unknown>;
}

function importNatively(url: string): Promise<unknown> {
  return import(url) as Promise<unknown>;
}

/** Imports the module at the absolute path `file` (`shown` names it in errors); a missing file or a failing import is an {@link AuditInputError}. */
export async function importModule(file: string, importers: ModuleImporters = {}, shown = file): Promise<Record<string, unknown>> {
  const info = await stat(file).catch(() => undefined);
  if (info === undefined || !info.isFile()) throw new AuditInputError(`Module not found: ${shown}${shown === file ? '' : ` (looked for ${file})`}`);
  const isTypeScript = TYPESCRIPT.has(extname(file).toLowerCase());
  const load = isTypeScript ? importers.importTypeScript ?? importWithTsx : importers.importJavaScript ?? importNatively;
  try {
    return (await load(pathToFileURL(file).href)) as Record<string, unknown>;
  } catch (error) {
    if (error instanceof AuditInputError) throw error;
    throw new AuditInputError(`Could not load ${shown}: ${messageOf(error)}`);
  }
}

function isObjectLike(value: unknown): value is Record<string, unknown> {
  return (typeof value === 'object' && value !== null) || typeof value === 'function';
}

/** `module.exports` of CommonJS compiled from ESM: `{ __esModule: true, default: app }`. */
function unwrapInterop(value: unknown, name: string): unknown {
  if (detectApp(value) === undefined && isObjectLike(value) && value.__esModule === true && name in value) return value[name];
  return value;
}

function pick(namespace: Record<string, unknown>, name: string): unknown {
  if (name in namespace) return unwrapInterop(namespace[name], name);
  // CommonJS whose named exports Node could not detect: they sit on `module.exports` (the default).
  const cjs = namespace.default;
  if (name !== 'default' && isObjectLike(cjs) && name in cjs) return cjs[name];
  return undefined;
}

/** The app an audit reads, with what it is. */
export interface LoadedApp extends AppShape {
  app: unknown;
}

/**
 * Takes `exportName` from the module and turns it into an app: an app or router as is; a
 * Promise of one awaited; a factory function called (with no arguments) and its result awaited.
 */
export async function resolveApp(namespace: Record<string, unknown>, exportName: string, source: string): Promise<LoadedApp> {
  let value = pick(namespace, exportName);
  if (value === undefined) {
    const names = Object.keys(namespace).filter((n) => n !== '__esModule' && n !== 'module.exports');
    throw new AuditInputError(`${source} has no export "${exportName}" (its exports: ${names.join(', ') || 'none'}); choose one with --export NAME`);
  }
  try {
    value = await value;
    if (detectApp(value) === undefined && typeof value === 'function') value = await (value as () => unknown)();
  } catch (error) {
    throw new AuditInputError(`The export "${exportName}" of ${source} failed while creating the app: ${messageOf(error)}`);
  }
  const shape = detectApp(value);
  if (shape === undefined) throw new AuditInputError(`The export "${exportName}" of ${source} is ${describeValue(value)}, not an Express or Koa app or router`);
  return { ...shape, app: value };
}
