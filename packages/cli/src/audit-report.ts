import type { PolicyDescriptor, RateLimitPolicy, RouteDescription } from '@tollgate/core';
import { allowPublicMatcher } from './allow-public.js';
import { checkDuplicateRoutes } from './duplicate-routes.js';
import { routeKey, RULES, type Finding } from './finding.js';
import type { ApprovedPolicy } from './policy-file.js';
import { checkPolicyDrift } from './policy-drift.js';
import { checkRoute } from './route-checks.js';
import { SEVERITIES, severityRank, type Severity } from './severity.js';

/** The web frameworks the audit reads. */
export type Framework = 'express' | 'koa';

/** What was audited. */
export interface AuditTarget {
  /** The module path as given, relative to the working directory when inside it. */
  module: string;
  /** The export the app came from (`default` unless `--export`). */
  export: string;
  framework: Framework;
  /** An app, or a router audited on its own. */
  kind: 'app' | 'router';
}

/** Counts for the report's header. */
export type AuditSummary = { routes: number; protected: number; public: number; findings: number } & Record<Severity, number>;

/** Everything a format renders: the routes, the findings and their counts. */
export interface AuditReport {
  tool: { name: 'tollgate'; version: string };
  target: AuditTarget;
  routes: RouteDescription[];
  findings: Finding[];
  summary: AuditSummary;
}

/** Options of {@link auditRoutes}. */
export interface AuditOptions {
  /** Paths approved as public (`--allow-public`): exact, or a prefix ending in `/*`. */
  allowPublic?: readonly string[];
  /** The approved policy to report drift against (`--policy`). */
  policy?: ApprovedPolicy;
  /** Findings made elsewhere (the probe's), sorted in with the rest. */
  extraFindings?: readonly Finding[];
}

function cleanPolicy(policy: PolicyDescriptor): PolicyDescriptor {
  return JSON.parse(JSON.stringify(policy)) as PolicyDescriptor;
}

/** The documented fields only, as plain data (adapters may add non-enumerable extras). */
function cleanRoute(route: RouteDescription): RouteDescription {
  const extra: Partial<RouteDescription> = {};
  if (route.opaque === true) extra.opaque = true;
  if (route.name !== undefined) extra.name = route.name;
  if (route.concerns !== undefined) extra.concerns = route.concerns.map((c) => ({ kind: c.kind, subjects: [...c.subjects] }));
  return {
    method: route.method,
    path: route.path,
    protected: route.protected,
    scopes: [...route.scopes],
    roles: [...route.roles],
    replayProtected: route.replayProtected,
    rateLimit: route.rateLimit.map((r) => cleanPolicy(r) as RateLimitPolicy),
    policies: route.policies.map(cleanPolicy),
    ...extra,
  };
}

/**
 * Audits the routes `describeRoutes` returned: per-route checks, duplicate listings, and drift
 * from the approved policy when one is given. Findings are sorted by severity, then by route order.
 */
export function auditRoutes(routes: readonly RouteDescription[], options: AuditOptions = {}): Finding[] {
  const isAllowedPublic = allowPublicMatcher(options.allowPublic ?? []);
  // An opaque entry stands for routes that cannot be read: it is no route to compare or approve.
  const readable = routes.filter((r) => r.opaque !== true);
  const findings = [
    ...routes.flatMap((route) => checkRoute(route, isAllowedPublic)),
    ...checkDuplicateRoutes(readable),
    ...(options.policy === undefined ? [] : checkPolicyDrift(readable, options.policy)),
    ...(options.extraFindings ?? []),
  ];
  const position = new Map<string, number>();
  routes.forEach((r, i) => {
    const key = routeKey(r.method, r.path);
    if (!position.has(key)) position.set(key, i);
  });
  const ruleOrder = (id: string) => RULES.findIndex((r) => r.id === id);
  const routeOrder = (f: Finding) => position.get(routeKey(f.method, f.path)) ?? routes.length;
  // Array#sort is stable: findings of one rule on one route keep their order.
  return findings.sort((a, b) => severityRank(a.severity) - severityRank(b.severity) || routeOrder(a) - routeOrder(b) || ruleOrder(a.id) - ruleOrder(b.id));
}

/** Builds the report every format renders. */
export function buildReport(target: AuditTarget, routes: readonly RouteDescription[], findings: readonly Finding[], version: string): AuditReport {
  const counts = Object.fromEntries(SEVERITIES.map((s) => [s, findings.filter((f) => f.severity === s).length])) as Record<Severity, number>;
  const protectedCount = routes.filter((r) => r.protected).length;
  return {
    tool: { name: 'tollgate', version },
    target,
    routes: routes.map(cleanRoute),
    findings: findings.map((f) => ({ id: f.id, severity: f.severity, method: f.method, path: f.path, message: f.message })),
    summary: { routes: routes.length, protected: protectedCount, public: routes.length - protectedCount, findings: findings.length, ...counts },
  };
}
