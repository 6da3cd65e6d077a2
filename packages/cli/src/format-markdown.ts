import type { AuditReport } from './audit-report.js';
import { ROUTE_COLUMNS, routeCells } from './route-cells.js';
import { findingsText, protectionText, routesText, severityCountsText } from './summary-text.js';

/** Escapes text for a Markdown table cell: no markup, no HTML, no cell breaks. */
export function escapeMarkdown(text: string): string {
  return text.replace(/[\r\n]+/g, ' ').replace(/[\\`*_{}[\]<>()#+!|~&]/g, (c) => `\\${c}`);
}

function table(head: readonly string[], rows: readonly string[][]): string[] {
  return [`| ${head.join(' | ')} |`, `| ${head.map(() => '---').join(' | ')} |`, ...rows.map((r) => `| ${r.map(escapeMarkdown).join(' | ')} |`)];
}

/** `--format markdown`: for a pull request or a review document. */
export function formatMarkdown(report: AuditReport): string {
  const { target, summary } = report;
  const out = [
    '# Tollgate route audit',
    '',
    `Module ${escapeMarkdown(target.module)}, export ${escapeMarkdown(target.export)} (${target.framework} ${target.kind}).`,
    '',
    `**${routesText(summary)}**: ${protectionText(summary)}. **${findingsText(summary)}**: ${severityCountsText(summary)}.`,
    '',
    '## Routes',
    '',
    ...table(ROUTE_COLUMNS.map((c) => c.title), report.routes.map((r) => {
      const cells = routeCells(r);
      return ROUTE_COLUMNS.map((c) => cells[c.key]);
    })),
    '',
    '## Findings',
    '',
  ];
  if (report.findings.length === 0) out.push('No findings.');
  else out.push(...table(['Severity', 'Rule', 'Route', 'Message'], report.findings.map((f) => [f.severity, f.id, `${f.method} ${f.path}`, f.message])));
  return `${out.join('\n')}\n`;
}
