import type { RouteDescription } from '@tollgate/core';
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

/** The `describeRoutes` of the framework's adapter; an {@link AuditInputError} when it cannot be loaded. */
export async function loadDescribeRoutes(framework: Framework, fromFile: string, importer: AdapterImporter = importAdapterNear): Promise<DescribeRoutes> {
  const name = ADAPTER_PACKAGES[framework];
  let adapter: unknown;
  try {
    adapter = await importer(name, fromFile);
  } catch (error) {
    throw new AuditInputError(`Auditing a ${framework === 'express' ? 'Express' : 'Koa'} app needs ${name}, installed next to the app or the CLI: ${messageOf(error)}`);
  }
  const describe = (adapter as { describeRoutes?: unknown } | undefined)?.describeRoutes;
  if (typeof describe !== 'function') throw new AuditInputError(`${name} does not export describeRoutes (is it an older version?)`);
  return describe as DescribeRoutes;
}
