import { isAbsolute } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { AuditReport } from './audit-report.js';
import { RULES } from './finding.js';
import type { Severity } from './severity.js';

/** SARIF result levels (SARIF 2.1.0 §3.27.10). */
export type SarifLevel = 'error' | 'warning' | 'note';

/** high → error, medium → warning, low and info → note. */
export const SARIF_LEVEL: Readonly<Record<Severity, SarifLevel>> = Object.freeze({ high: 'error', medium: 'warning', low: 'note', info: 'note' });

/** The `security-severity` code-scanning tools rank security results by (0.0–10.0). */
const SECURITY_SEVERITY: Readonly<Record<Severity, string>> = { high: '8.0', medium: '5.0', low: '3.0', info: '0.0' };

export const SARIF_SCHEMA = 'https://json.schemastore.org/sarif-2.1.0.json';

/** A relative URI reference for a module inside the working directory, a file URL otherwise. */
function artifactUri(module: string): string {
  return isAbsolute(module) ? pathToFileURL(module).href : module.split(/[\\/]/).map(encodeURIComponent).join('/');
}

/**
 * `--format sarif`: a SARIF 2.1.0 log with one run. Each finding id is a rule in
 * `tool.driver.rules`; each result names its route as a logical location `METHOD path`
 * and the audited module as its artifact.
 */
export function formatSarif(report: AuditReport): string {
  const used = RULES.filter((rule) => report.findings.some((f) => f.id === rule.id));
  const rules = used.map((rule) => ({
    id: rule.id,
    name: rule.name,
    shortDescription: { text: rule.summary },
    fullDescription: { text: `${rule.summary}. ${rule.help}` },
    help: { text: rule.help },
    defaultConfiguration: { level: SARIF_LEVEL[rule.severity] },
    properties: { tags: ['security'], 'security-severity': SECURITY_SEVERITY[rule.severity] },
  }));
  const results = report.findings.map((f) => ({
    ruleId: f.id,
    ruleIndex: used.findIndex((rule) => rule.id === f.id),
    level: SARIF_LEVEL[f.severity],
    message: { text: f.message },
    locations: [{
      physicalLocation: { artifactLocation: { uri: artifactUri(report.target.module) } },
      logicalLocations: [{ name: `${f.method} ${f.path}`, fullyQualifiedName: `${f.method} ${f.path}`, kind: 'resource' }],
    }],
    properties: { severity: f.severity },
  }));
  const log = {
    $schema: SARIF_SCHEMA,
    version: '2.1.0',
    runs: [{
      tool: { driver: { name: 'tollgate', semanticVersion: report.tool.version, version: report.tool.version, rules } },
      results,
      properties: { framework: report.target.framework, export: report.target.export, summary: report.summary },
    }],
  };
  return `${JSON.stringify(log, null, 2)}\n`;
}
