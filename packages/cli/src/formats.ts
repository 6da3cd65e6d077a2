import type { AuditReport } from './audit-report.js';
import { formatHtml } from './format-html.js';
import { formatJson } from './format-json.js';
import { formatMarkdown } from './format-markdown.js';
import { formatSarif } from './format-sarif.js';
import { formatTable } from './format-table.js';

/** The output formats of `tollgate audit --format`. */
export type FormatName = 'table' | 'json' | 'markdown' | 'sarif' | 'html';

export const FORMATS: readonly FormatName[] = Object.freeze(['table', 'json', 'markdown', 'sarif', 'html']);

/** Renders the report in `format`; `color` only affects `table`. */
export function renderReport(report: AuditReport, format: FormatName, options: { color?: boolean } = {}): string {
  switch (format) {
    case 'table': return formatTable(report, options);
    case 'json': return formatJson(report);
    case 'markdown': return formatMarkdown(report);
    case 'sarif': return formatSarif(report);
    case 'html': return formatHtml(report);
  }
}
