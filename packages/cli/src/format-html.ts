import { createHash } from 'node:crypto';
import type { AuditReport } from './audit-report.js';
import { ROUTE_COLUMNS, routeCells } from './route-cells.js';
import { severityRank } from './severity.js';
import { findingsText, protectionText, routesText, severityCountsText } from './summary-text.js';

/** Escapes text for HTML content and quoted attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

const STYLE = `
body { font: 14px/1.45 system-ui, sans-serif; margin: 2rem; color: #1b1f24; background: #fff; }
h1 { font-size: 1.4rem; } h2 { font-size: 1.1rem; margin-top: 2rem; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; padding: .35rem .6rem; border-bottom: 1px solid #d0d7de; vertical-align: top; }
th button { font: inherit; font-weight: 600; border: 0; background: none; padding: 0; cursor: pointer; }
th[aria-sort="ascending"] button::after { content: " \\25B2"; }
th[aria-sort="descending"] button::after { content: " \\25BC"; }
code { font-family: ui-monospace, monospace; }
.open { color: #cf222e; font-weight: 600; }
.sev { font-weight: 600; } .sev-high { color: #cf222e; } .sev-medium { color: #9a6700; } .sev-low { color: #0969da; } .sev-info { color: #57606a; }
`.trim();

// Sorts a table by the clicked header; a cell's data-sort value, when present, sorts before its text.
const SCRIPT = `
document.querySelectorAll('table[data-sortable]').forEach(function (table) {
  var heads = table.querySelectorAll('th');
  heads.forEach(function (th, column) {
    th.querySelector('button').addEventListener('click', function () {
      var ascending = th.getAttribute('aria-sort') !== 'ascending';
      heads.forEach(function (h) { h.removeAttribute('aria-sort'); });
      th.setAttribute('aria-sort', ascending ? 'ascending' : 'descending');
      var body = table.tBodies[0];
      var rows = Array.prototype.slice.call(body.rows);
      var key = function (row) { var cell = row.cells[column]; return cell.getAttribute('data-sort') || cell.textContent; };
      rows.sort(function (a, b) { var r = key(a).localeCompare(key(b), undefined, { numeric: true }); return ascending ? r : -r; });
      rows.forEach(function (row) { body.appendChild(row); });
    });
  });
});
`.trim();

function sha256(text: string): string {
  return `'sha256-${createHash('sha256').update(text).digest('base64')}'`;
}

interface Cell { text: string; className?: string; sort?: string; code?: boolean }

function table(id: string, head: readonly string[], rows: readonly Cell[][]): string {
  const th = head.map((h) => `<th scope="col"><button type="button">${escapeHtml(h)}</button></th>`).join('');
  const tr = rows.map((row) => `<tr>${row.map((c) => {
    const attrs = `${c.className === undefined ? '' : ` class="${escapeHtml(c.className)}"`}${c.sort === undefined ? '' : ` data-sort="${escapeHtml(c.sort)}"`}`;
    const content = c.code === true ? `<code>${escapeHtml(c.text)}</code>` : escapeHtml(c.text);
    return `<td${attrs}>${content}</td>`;
  }).join('')}</tr>`).join('\n');
  return `<table id="${id}" data-sortable>\n<thead><tr>${th}</tr></thead>\n<tbody>\n${tr}\n</tbody>\n</table>`;
}

/**
 * `--format html`: one self-contained page (inline CSS and a small inline script that sorts a
 * table by its clicked header). Every value is escaped, and a Content-Security-Policy allows
 * only the page's own style and script (by hash), so nothing in a route path can run.
 */
export function formatHtml(report: AuditReport): string {
  const { target, summary } = report;
  const csp = `default-src 'none'; style-src ${sha256(STYLE)}; script-src ${sha256(SCRIPT)}; base-uri 'none'; form-action 'none'`;
  const routes = table('routes', ROUTE_COLUMNS.map((c) => c.title), report.routes.map((r) => {
    const cells = routeCells(r);
    return ROUTE_COLUMNS.map((c): Cell => ({
      text: cells[c.key],
      ...(c.key === 'path' ? { code: true } : {}),
      ...(c.key === 'auth' && cells.auth === 'OPEN' ? { className: 'open' } : {}),
    }));
  }));
  const findings = report.findings.length === 0 ? '<p>No findings.</p>' : table('findings', ['Severity', 'Rule', 'Route', 'Message'], report.findings.map((f) => [
    { text: f.severity, className: `sev sev-${f.severity}`, sort: String(severityRank(f.severity)) },
    { text: f.id, code: true },
    { text: `${f.method} ${f.path}`, code: true },
    { text: f.message },
  ]));
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${escapeHtml(csp)}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Tollgate route audit: ${escapeHtml(target.module)}</title>
<style>${STYLE}</style>
</head>
<body>
<h1>Tollgate route audit</h1>
<p>Module <code>${escapeHtml(target.module)}</code>, export <code>${escapeHtml(target.export)}</code> (${escapeHtml(target.framework)} ${escapeHtml(target.kind)}).</p>
<p><strong>${routesText(summary)}</strong>: ${protectionText(summary)}. <strong>${findingsText(summary)}</strong>: ${severityCountsText(summary)}.</p>
<h2>Routes</h2>
${routes}
<h2>Findings</h2>
${findings}
<script>${SCRIPT}</script>
</body>
</html>
`;
}
