import type { AuditSummary } from './audit-report.js';
import { SEVERITIES } from './severity.js';

function count(n: number, one: string, many: string): string {
  return `${n} ${n === 1 ? one : many}`;
}

/** `6 routes` / `1 route`. */
export function routesText(summary: AuditSummary): string {
  return count(summary.routes, 'route', 'routes');
}

/** `5 protected, 1 public`. */
export function protectionText(summary: AuditSummary): string {
  return `${summary.protected} protected, ${summary.public} public`;
}

/** `2 findings` / `1 finding`. */
export function findingsText(summary: AuditSummary): string {
  return count(summary.findings, 'finding', 'findings');
}

/** `1 high, 1 medium, 0 low, 0 info`. */
export function severityCountsText(summary: AuditSummary): string {
  return SEVERITIES.map((s) => `${summary[s]} ${s}`).join(', ');
}
