import type { Severity } from './severity.js';

/** The rule a finding comes from: its `id` is the finding's `id` and the SARIF `ruleId`. */
export interface Rule {
  id: string;
  /** PascalCase name (SARIF `rule.name`). */
  name: string;
  /** The severity the rule reports with unless a route's context changes it. */
  severity: Severity;
  /** One line: what is wrong. */
  summary: string;
  /** What to do about it. */
  help: string;
}

/** One problem found on one route. */
export interface Finding {
  /** The rule id, e.g. `unprotected-route`. */
  id: string;
  severity: Severity;
  /** Upper-case method of the route, or `ALL`. */
  method: string;
  path: string;
  message: string;
}

/** `unprotected-route` as `UnprotectedRoute`: a rule's SARIF name is its id in PascalCase. */
function pascalCase(id: string): string {
  return id.split('-').map((word) => word.charAt(0).toUpperCase() + word.slice(1)).join('');
}

/** A frozen rule whose `id` keeps its literal type, so {@link RuleId} can be read off the table. */
function rule<Id extends string>(id: Id, severity: Severity, summary: string, help: string): Rule & { readonly id: Id } {
  return Object.freeze({ id, name: pascalCase(id), severity, summary, help });
}

/** Every rule the audit knows, in the order reports list them. */
export const RULES = Object.freeze([
  rule('unprotected-route', 'high',
    'Route is reachable without authentication',
    'Put `authenticate(...)` in front of the route, or approve it as public with `--allow-public` (reported as info then).'),
  rule('probe-reached-protected', 'high',
    'A request without a token reached a route the report calls protected',
    'The static report is wrong for this route: treat it as open, and report the case to Tollgate.'),
  rule('probe-preflight-reached', 'high',
    'A CORS preflight reached the handler of a protected route',
    'A preflight must never reach a route handler: answer preflights before Tollgate (the `cors` package) or upgrade Tollgate.'),
  rule('opaque-mount', 'high',
    'A mounted sub-app or middleware whose routes cannot be read',
    'Describe the sub-app on its own (audit it as its own module), or put `authenticate(...)` in front of the mount; the report cannot vouch for what is behind it.'),
  rule('guard-after-handler', 'high',
    'A guard runs after a function that can answer first',
    'Move every Tollgate guard of the route before its handler: a guard after the handler runs only if the handler lets it, so it is not counted.'),
  rule('error-handler-after-guards', 'high',
    'An error handler after guards may let a refused request go on',
    'Remove the error handler between the guards and the route, or make sure it never calls `next()` without the error: one that does lets a request without a token reach the route.'),
  rule('guard-before-authenticate', 'high',
    'A guard runs before authenticate',
    'Move `authenticate(...)` before every scope, role, claim, replay and rate-limit guard. The route fails closed today, but the stack is misordered.'),
  rule('inconsistent-duplicate-route', 'high',
    'Route is reachable through two listings with different guards',
    'Give every listing of the route the same guards, or remove the extra listing: a request takes whichever matches first.'),
  rule('policy-weaker-route', 'high',
    'Route is weaker than the approved policy',
    'Restore the missing guard, or have the weaker route approved and update the policy file.'),
  rule('write-without-replay-protection', 'medium',
    'Write route has no replay protection',
    'Add `preventReplay(...)` after `authenticate(...)` so a captured token cannot repeat the write.'),
  rule('write-without-rate-limit', 'medium',
    'Write route has no rate limit',
    'Add `rateLimitPerToken(...)` after `authenticate(...)`.'),
  rule('param-before-authenticate', 'medium',
    'A param callback runs before authenticate',
    'Put `authenticate(...)` in a `use()` before the router, so that a param callback cannot answer (e.g. 404 for unknown ids) to a request without a token.'),
  rule('guard-not-proven', 'medium',
    'A guard is not counted: its pattern does not provably pass every URL of the route',
    'Register the guard on a path that covers the route (the same prefix, `use()` without a path, matching case and strict settings).'),
  rule('policy-unknown-route', 'medium',
    'Route is not in the approved policy',
    'Have the route reviewed and add it to the policy file.'),
  rule('broad-scope-on-read', 'low',
    'Read route demands a wildcard or admin-grade scope',
    'Demand the narrowest scope that allows the read (least privilege), so readers need no admin-grade token.'),
  rule('probe-reached-open', 'info',
    'A request without a token reached the handler of an open route',
    'As the report says: approve the route with `--allow-public`, or guard it.'),
  rule('probe-not-sent', 'info',
    'The probe could not build a URL for the route',
    'The pattern has parts the probe cannot fill (a RegExp, optional parts); check the route by hand.'),
  rule('middleware-before-authenticate', 'low',
    'A middleware that is not a Tollgate guard runs before authenticate',
    'Check that the middleware cannot answer a request without a token, or move it after `authenticate(...)`.'),
  rule('policy-missing-route', 'low',
    'Approved route is no longer present',
    'Remove the route from the policy file if it was retired on purpose.'),
]);

/** The id of a rule in {@link RULES}: a finding built in code can only name a rule that exists. */
export type RuleId = (typeof RULES)[number]['id'];

/** The rule with `id`; throws for an unknown id (a programming error). */
export function ruleById(id: string): Rule {
  const found = RULES.find((r) => r.id === id);
  if (found === undefined) throw new Error(`unknown rule ${id}`);
  return found;
}

/** A finding of rule `id` on the route `at`, with the rule's own severity unless the route's context changes it. */
export function finding(id: RuleId, at: { method: string; path: string }, message: string, severity: Severity = ruleById(id).severity): Finding {
  return { id, severity, method: at.method, path: at.path, message };
}

/** `GET /orders`: how a route is keyed and named wherever routes are matched by method and path. */
export function routeKey(method: string, path: string): string {
  return `${method} ${path}`;
}
