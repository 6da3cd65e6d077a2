import { routeKey } from './finding.js';

/** One approved route, as written in `tollgate.policy.json` (defaults filled in). */
export interface ApprovedRoute {
  method: string;
  path: string;
  scopes: string[];
  roles: string[];
  replay: boolean;
  rateLimit: boolean;
  public: boolean;
}

/** The approved policy: `{ "$schema"?, "description"?, "routes": [...] }`. */
export interface ApprovedPolicy {
  $schema?: string;
  description?: string;
  routes: ApprovedRoute[];
}

/** Thrown when a policy file does not follow `tollgate.policy.schema.json`; lists every problem. */
export class PolicyFileError extends Error {
  override readonly name = 'PolicyFileError';
  /** One line per problem, each starting with a JSON path such as `routes[2].scopes`. */
  readonly problems: readonly string[];
  constructor(source: string, problems: readonly string[]) {
    super(`${source} is not a valid Tollgate policy:\n  ${problems.join('\n  ')}`);
    this.problems = problems;
  }
}

/** The properties the schema allows, at the top and in a route (`additionalProperties: false`). */
export const POLICY_KEYS: readonly string[] = Object.freeze(['$schema', 'description', 'routes']);
export const ROUTE_KEYS: readonly string[] = Object.freeze(['method', 'path', 'scopes', 'roles', 'replay', 'rateLimit', 'public']);
/** The schema's `method` pattern. */
export const METHOD_PATTERN = /^[A-Z][A-Z-]*$/;

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function kindOf(value: unknown): string {
  return value === null ? 'null' : Array.isArray(value) ? 'array' : typeof value;
}

function unknownKeys(value: Record<string, unknown>, allowed: readonly string[], at: string, problems: string[]): void {
  for (const key of Object.keys(value)) {
    if (!allowed.includes(key)) problems.push(`${at}${at === '' ? '' : '.'}${key}: unknown property (allowed: ${allowed.join(', ')})`);
  }
}

function stringList(value: unknown, at: string, problems: string[]): string[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) {
    problems.push(`${at}: must be an array of strings, got ${kindOf(value)}`);
    return [];
  }
  const out: string[] = [];
  value.forEach((item: unknown, i) => {
    if (typeof item !== 'string' || item === '') problems.push(`${at}[${i}]: must be a non-empty string`);
    else if (out.includes(item)) problems.push(`${at}[${i}]: "${item}" is listed twice`);
    else out.push(item);
  });
  return out;
}

function flag(value: unknown, at: string, problems: string[]): boolean {
  if (value === undefined) return false;
  if (typeof value !== 'boolean') {
    problems.push(`${at}: must be true or false, got ${kindOf(value)}`);
    return false;
  }
  return value;
}

function parseRoute(value: unknown, at: string, problems: string[]): ApprovedRoute | undefined {
  if (!isRecord(value)) {
    problems.push(`${at}: must be an object, got ${kindOf(value)}`);
    return undefined;
  }
  const before = problems.length;
  unknownKeys(value, ROUTE_KEYS, at, problems);
  const { method, path } = value;
  if (typeof method !== 'string' || !METHOD_PATTERN.test(method)) problems.push(`${at}.method: must be an upper-case HTTP method such as GET or ALL`);
  if (typeof path !== 'string' || path === '') problems.push(`${at}.path: must be a non-empty string`);
  const route: ApprovedRoute = {
    method: String(method), path: String(path),
    scopes: stringList(value.scopes, `${at}.scopes`, problems),
    roles: stringList(value.roles, `${at}.roles`, problems),
    replay: flag(value.replay, `${at}.replay`, problems),
    rateLimit: flag(value.rateLimit, `${at}.rateLimit`, problems),
    public: flag(value.public, `${at}.public`, problems),
  };
  if (route.public) {
    const demands = [route.scopes.length > 0 && 'scopes', route.roles.length > 0 && 'roles', route.replay && 'replay', route.rateLimit && 'rateLimit'].filter(Boolean);
    if (demands.length > 0) problems.push(`${at}: a public route cannot demand ${demands.join(', ')} (they need a verified token)`);
  }
  return problems.length === before ? route : undefined;
}

/**
 * Checks a parsed policy file against the rules of `tollgate.policy.schema.json` (by hand, so
 * the CLI needs no schema library) and returns it with defaults filled in. Unknown properties
 * are errors, so a typo such as `"scope"` cannot silently approve less than meant.
 * Throws a {@link PolicyFileError} listing every problem.
 */
export function validatePolicy(value: unknown, source = 'policy'): ApprovedPolicy {
  const problems: string[] = [];
  if (!isRecord(value)) throw new PolicyFileError(source, [`(root): must be an object with a "routes" array, got ${kindOf(value)}`]);
  unknownKeys(value, POLICY_KEYS, '', problems);
  if (value.$schema !== undefined && typeof value.$schema !== 'string') problems.push('$schema: must be a string');
  if (value.description !== undefined && typeof value.description !== 'string') problems.push('description: must be a string');
  const routes: ApprovedRoute[] = [];
  if (!Array.isArray(value.routes)) {
    problems.push(value.routes === undefined ? 'routes: is required' : `routes: must be an array, got ${kindOf(value.routes)}`);
  } else {
    const seen = new Map<string, number>();
    value.routes.forEach((item: unknown, i) => {
      const route = parseRoute(item, `routes[${i}]`, problems);
      if (route === undefined) return;
      const key = routeKey(route.method, route.path);
      const first = seen.get(key);
      if (first !== undefined) problems.push(`routes[${i}]: ${key} is already listed at routes[${first}]`);
      else seen.set(key, i);
      routes.push(route);
    });
  }
  if (problems.length > 0) throw new PolicyFileError(source, problems);
  return {
    ...(typeof value.$schema === 'string' ? { $schema: value.$schema } : {}),
    ...(typeof value.description === 'string' ? { description: value.description } : {}),
    routes,
  };
}

/** Parses the text of a policy file (JSON) and validates it; throws a {@link PolicyFileError}. */
export function parsePolicy(text: string, source = 'policy'): ApprovedPolicy {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new PolicyFileError(source, [`not valid JSON: ${(error as Error).message}`]);
  }
  return validatePolicy(value, source);
}
