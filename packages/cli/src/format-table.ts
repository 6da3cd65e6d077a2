import type { AuditReport } from './audit-report.js';
import { ROUTE_COLUMNS, routeCells } from './route-cells.js';
import type { Severity } from './severity.js';
import { findingsText, protectionText, routesText, severityCountsText } from './summary-text.js';

/** Options of {@link formatTable}. */
export interface TableOptions {
  /** ANSI colours (the CLI turns them on only for a TTY without `NO_COLOR`). Default false. */
  color?: boolean;
}

const SEVERITY_COLOR: Record<Severity, string> = { high: '31;1', medium: '33', low: '36', info: '2' };

/** Strips control characters so an odd route path cannot drive the terminal. */
function printable(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u001f\u007f-\u009f]/g, '?');
}

function grid(head: readonly string[], rows: readonly string[][], paint: (text: string, row: number, col: number) => string): string[] {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[], row: number) => cells
    .map((c, i) => {
      const padding = i === cells.length - 1 ? '' : ' '.repeat(Math.max(0, (widths[i] ?? 0) - c.length));
      return `${row < 0 ? c : paint(c, row, i)}${padding}`;
    })
    .join('  ').trimEnd();
  return [line(head.map((h) => h.toUpperCase()), -1), ...rows.map((r, i) => line(r, i))];
}

/** The default format: a routes table, then the findings, for a terminal. */
export function formatTable(report: AuditReport, options: TableOptions = {}): string {
  const color = (code: string, text: string) => (options.color === true ? `\u001b[${code}m${text}\u001b[0m` : text);
  const { target, summary } = report;
  const out: string[] = [`Tollgate route audit: ${printable(target.module)} (${target.framework} ${target.kind}, export ${printable(target.export)})`, ''];

  const routeRows = report.routes.map((r) => {
    const cells = routeCells(r);
    return ROUTE_COLUMNS.map((c) => printable(cells[c.key]));
  });
  const authColumn = ROUTE_COLUMNS.findIndex((c) => c.key === 'auth');
  out.push(...grid(ROUTE_COLUMNS.map((c) => c.title), routeRows, (text, _row, col) => (col === authColumn && text === 'OPEN' ? color('31;1', text) : text)));
  out.push('', `${routesText(summary)}: ${protectionText(summary)}.`);

  if (report.findings.length === 0) {
    out.push('', 'No findings.');
  } else {
    out.push('', `${findingsText(summary)}: ${severityCountsText(summary)}.`, '');
    const findingRows = report.findings.map((f) => [f.severity, f.id, printable(`${f.method} ${f.path}`), printable(f.message)]);
    out.push(...grid(['Severity', 'Rule', 'Route', 'Message'], findingRows, (text, row, col) => {
      const severity = report.findings[row]?.severity;
      return col === 0 && severity !== undefined ? color(SEVERITY_COLOR[severity], text) : text;
    }));
  }
  return `${out.join('\n')}\n`;
}
