import type { AuditReport } from './audit-report.js';

/** `--format json`: the whole report (tool, target, routes, findings, summary), two-space indented. */
export function formatJson(report: AuditReport): string {
  return `${JSON.stringify(report, null, 2)}\n`;
}
