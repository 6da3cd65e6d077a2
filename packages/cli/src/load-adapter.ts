import type { ProbeTarget, RouteDescription } from '@tollgate/core';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { AuditInputError, messageOf } from './audit-input-error.js';
import type { Framework } from './audit-report.js';

/** The `describeRoutes` both adapters export. */
export type DescribeRoutes = (app: unknown) => RouteDescription[];

/** Imports an adapter package (`@tollgate/express` or `@tollgate/koa`) for the module at `fromFile`. */
export type AdapterImporter = (packageName: string, fromFile: string) => Promise<unknown>;

/** The adapter package that describes each framework's routes. */
export const ADAPTER_PACKAGES: Readonly<Record<Framework, string>> = Object.freeze({ express: '@tollgate/express', koa: '@tollgate/koa' });

/**
 * Imports the adapter the audited module itself would get (resolved from its location), so the
 * routes are read by the same copy that guards them; falls back to the CLI's own dependency.
 */
export async function importAdapterNear(packageName: string, fromFile: string): Promise<unknown> {
  let near: string | undefined;
  try {
    near = createRequire(fromFile).resolve(packageName);
  } catch {
    near = undefined;
  }
  return near === undefined ? import(packageName) : import(pathToFileURL(near).href);
}

/** The adapter's `probeRoutes`: swaps an app's handlers for recorders (`tollgate audit --probe`). */
export type ProbeRoutes = (app: unknown) => ProbeTarget;

async function adapterExport(framework: Framework, fromFile: string, importer: AdapterImporter, exportName: string): Promise<unknown> {
  const name = ADAPTER_PACKAGES[framework];
  let adapter: unknown;
  try {
    adapter = await importer(name, fromFile);
  } catch (error) {
    throw new AuditInputError(`Auditing a ${framework === 'express' ? 'Express' : 'Koa'} app needs ${name}, installed next to the app or the CLI: ${messageOf(error)}`);
  }
  const value = (adapter as Record<string, unknown> | undefined)?.[exportName];
  if (typeof value !== 'function') throw new AuditInputError(`${name} does not export ${exportName} (is it an older version?)`);
  return value;
}

/** The `describeRoutes` of the framework's adapter; an {@link AuditInputError} when it cannot be loaded. */
export async function loadDescribeRoutes(framework: Framework, fromFile: string, importer: AdapterImporter = importAdapterNear): Promise<DescribeRoutes> {
  return await adapterExport(framework, fromFile, importer, 'describeRoutes') as DescribeRoutes;
}

/** The `probeRoutes` of the framework's adapter; an {@link AuditInputError} when it cannot be loaded. */
export async function loadProbeRoutes(framework: Framework, fromFile: string, importer: AdapterImporter = importAdapterNear): Promise<ProbeRoutes> {
  return await adapterExport(framework, fromFile, importer, 'probeRoutes') as ProbeRoutes;
}

/**
 * An app serving a router at `/`, made with the framework the audited module resolves (the
 * probe needs an app to send requests to): `express().use(router)`, `new Koa().use(router.routes())`.
 */
export async function appAroundRouter(framework: Framework, router: unknown, fromFile: string, importer: AdapterImporter = importAdapterNear): Promise<unknown> {
  const name = framework;
  let loaded: unknown;
  try {
    loaded = await importer(name, fromFile);
  } catch (error) {
    throw new AuditInputError(`Probing a router needs ${name}, installed next to the router: ${messageOf(error)}`);
  }
  const create = (loaded as { default?: unknown }).default ?? loaded;
  if (typeof create !== 'function') throw new AuditInputError(`${name} did not load as a function`);
  if (framework === 'express') return (create as () => { use(r: unknown): unknown }) ().use(router);
  const app = new (create as new () => { use(m: unknown): unknown })();
  return app.use((router as { routes(): unknown }).routes());
}
