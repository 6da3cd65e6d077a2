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

function rule(id: string, name: string, severity: Severity, summary: string, help: string): Rule {
  return Object.freeze({ id, name, severity, summary, help });
}

/** Every rule the audit knows, in the order reports list them. */
export const RULES: readonly Rule[] = Object.freeze([
  rule('unprotected-route', 'UnprotectedRoute', 'high',
    'Route is reachable without authentication',
    'Put `authenticate(...)` in front of the route, or approve it as public with `--allow-public` (reported as info then).'),
  rule('guard-before-authenticate', 'GuardBeforeAuthenticate', 'high',
    'A guard runs before authenticate',
    'Move `authenticate(...)` before every scope, role, claim, replay and rate-limit guard. The route fails closed today, but the stack is misordered.'),
  rule('inconsistent-duplicate-route', 'InconsistentDuplicateRoute', 'high',
    'Route is reachable through two listings with different guards',
    'Give every listing of the route the same guards, or remove the extra listing: a request takes whichever matches first.'),
  rule('policy-weaker-route', 'PolicyWeakerRoute', 'high',
    'Route is weaker than the approved policy',
    'Restore the missing guard, or have the weaker route approved and update the policy file.'),
  rule('write-without-replay-protection', 'WriteWithoutReplayProtection', 'medium',
    'Write route has no replay protection',
    'Add `preventReplay(...)` after `authenticate(...)` so a captured token cannot repeat the write.'),
  rule('write-without-rate-limit', 'WriteWithoutRateLimit', 'medium',
    'Write route has no rate limit',
    'Add `rateLimitPerToken(...)` after `authenticate(...)`.'),
  rule('policy-unknown-route', 'PolicyUnknownRoute', 'medium',
    'Route is not in the approved policy',
    'Have the route reviewed and add it to the policy file.'),
  rule('broad-scope-on-read', 'BroadScopeOnRead', 'low',
    'Read route demands a wildcard or admin-grade scope',
    'Demand the narrowest scope that allows the read (least privilege), so readers need no admin-grade token.'),
  rule('policy-missing-route', 'PolicyMissingRoute', 'low',
    'Approved route is no longer present',
    'Remove the route from the policy file if it was retired on purpose.'),
]);

/** The rule with `id`; throws for an unknown id (a programming error). */
export function ruleById(id: string): Rule {
  const found = RULES.find((r) => r.id === id);
  if (found === undefined) throw new Error(`unknown rule ${id}`);
  return found;
}
