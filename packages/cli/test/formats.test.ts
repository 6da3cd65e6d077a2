import { describe, expect, it } from '@jest/globals';
import { createHash } from 'node:crypto';
import { describeRoute, type RouteDescription } from '@tollgate/core';
import { auditRoutes, buildReport, escapeMarkdown, formatHtml, formatMarkdown, formatTable, RULES, SARIF_LEVEL, type AuditReport } from '@tollgate/cli';
import { cli, FIXTURES } from './run-cli.js';

interface SarifLog {
  $schema: string;
  version: string;
  runs: {
    tool: { driver: { name: string; version: string; rules: { id: string; name: string; shortDescription: { text: string }; defaultConfiguration: { level: string } }[] } };
    results: { ruleId: string; ruleIndex: number; level: string; message: { text: string }; locations: { physicalLocation: { artifactLocation: { uri: string } }; logicalLocations: { fullyQualifiedName: string }[] }[] }[];
  }[];
}

async function both(args: string[]): Promise<{ sarif: SarifLog; findings: { id: string; severity: 'high' | 'medium' | 'low' | 'info'; method: string; path: string; message: string }[] }> {
  const sarif = JSON.parse((await cli([...args, '--format', 'sarif'])).stdout) as SarifLog;
  const { findings } = JSON.parse((await cli([...args, '--format', 'json'])).stdout) as { findings: [] };
  return { sarif, findings };
}

describe('SARIF', () => {
  it('has the required 2.1.0 shape, one result per finding, rules matching the ruleIds', async () => {
    const { sarif, findings } = await both(['audit', `${FIXTURES}/express-app.mjs`, '--allow-public', '/status']);
    expect(sarif.$schema).toBe('https://json.schemastore.org/sarif-2.1.0.json');
    expect(sarif.version).toBe('2.1.0');
    expect(sarif.runs).toHaveLength(1);
    const [run] = sarif.runs;
    const { driver } = run!.tool;
    expect(driver.name).toBe('tollgate');
    const ruleIds = driver.rules.map((r) => r.id);
    expect(new Set(ruleIds).size).toBe(ruleIds.length);
    expect(new Set(ruleIds)).toEqual(new Set(findings.map((f) => f.id)));
    for (const rule of driver.rules) {
      const known = RULES.find((r) => r.id === rule.id);
      expect(rule).toMatchObject({ name: known?.name, shortDescription: { text: known?.summary }, defaultConfiguration: { level: SARIF_LEVEL[known!.severity] } });
    }
    expect(run!.results).toHaveLength(findings.length);
    run!.results.forEach((result, i) => {
      const finding = findings[i]!;
      expect(driver.rules[result.ruleIndex]?.id).toBe(result.ruleId);
      expect(result.ruleId).toBe(finding.id);
      expect(result.message.text).toBe(finding.message);
      expect(result.locations[0]?.logicalLocations[0]?.fullyQualifiedName).toBe(`${finding.method} ${finding.path}`);
      expect(result.locations[0]?.physicalLocation.artifactLocation.uri).toBe(`${FIXTURES}/express-app.mjs`);
    });
  });

  it('maps high to error, medium to warning, low and info to note', async () => {
    const { sarif, findings } = await both(['audit', `${FIXTURES}/express-app.mjs`, '--allow-public', '/status']);
    const levels = sarif.runs[0]!.results.map((r) => r.level);
    expect(levels).toEqual(findings.map((f) => ({ high: 'error', medium: 'warning', low: 'note', info: 'note' })[f.severity]));
    expect(new Set(levels)).toEqual(new Set(['error', 'warning', 'note']));
    expect(findings.some((f) => f.severity === 'info')).toBe(true);
  });

  it('an app without findings has an empty run', async () => {
    const { sarif } = await both(['audit', `${FIXTURES}/koa-router.ts`]);
    expect(sarif.runs[0]).toMatchObject({ tool: { driver: { rules: [] } }, results: [] });
  });
});

/** A report on a route whose path tries to inject markup. */
function hostileReport(path: string): AuditReport {
  const routes: RouteDescription[] = [describeRoute('GET', path, [])];
  return buildReport({ module: 'app<script>.mjs', export: 'default', framework: 'express', kind: 'app' }, routes, auditRoutes(routes), '0.0.0');
}

describe('HTML', () => {
  const evil = '/x"><img src=x onerror=alert(1)><script>alert(2)</script>\'&';
  const html = formatHtml(hostileReport(evil));

  it('escapes every value', () => {
    expect(html).not.toContain('<img');
    expect(html).not.toContain('<script>alert');
    expect(html).not.toContain('app<script>');
    expect(html).toContain('/x&#34;&#62;&#60;img src=x onerror=alert(1)&#62;&#60;script&#62;alert(2)&#60;/script&#62;&#39;&#38;');
    expect(html.match(/<script>/g)).toHaveLength(1);
  });

  it('is one self-contained page: inline style and script, allowed by hash and nothing else', () => {
    expect(html).not.toMatch(/<link|<script src|<img|url\(|@import|https?:\/\//);
    const style = /<style>([\s\S]*?)<\/style>/.exec(html)?.[1] ?? '';
    const script = /<script>([\s\S]*?)<\/script>/.exec(html)?.[1] ?? '';
    const hash = (text: string) => `'sha256-${createHash('sha256').update(text).digest('base64')}'`;
    const csp = /http-equiv="Content-Security-Policy" content="([^"]*)"/.exec(html)?.[1]?.replace(/&#39;/g, "'");
    expect(csp).toBe(`default-src 'none'; style-src ${hash(style)}; script-src ${hash(script)}; base-uri 'none'; form-action 'none'`);
    expect(() => new Function(script)).not.toThrow();
  });

  it('makes both tables sortable by header buttons; severity sorts by rank', async () => {
    const page = (await cli(['audit', `${FIXTURES}/express-app.mjs`, '--allow-public', '/status', '--format', 'html'])).stdout;
    expect(page).toContain('<table id="routes" data-sortable>');
    expect(page).toContain('<table id="findings" data-sortable>');
    expect(page).toContain('<th scope="col"><button type="button">Severity</button></th>');
    expect(page).toContain('<td class="sev sev-high" data-sort="0">high</td>');
    expect(page).toContain('<td class="sev sev-info" data-sort="3">info</td>');
    expect(page).toContain("addEventListener('click'");
  });
});

describe('Markdown and table', () => {
  it('escapes Markdown in cells, so a path cannot break the table or add markup', () => {
    expect(escapeMarkdown('/a|b <b>*x*</b> `c`\n[l](u)')).toBe('/a\\|b \\<b\\>\\*x\\*\\</b\\> \\`c\\` \\[l\\]\\(u\\)');
    const md = formatMarkdown(hostileReport('/files|<b>'));
    expect(md).toContain('| GET | /files\\|\\<b\\> | OPEN |');
  });

  it('replaces control characters in the table, so a path cannot drive the terminal', () => {
    const table = formatTable(hostileReport('/x\u001b[2J\u0007'));
    expect(table).not.toContain('\u001b');
    expect(table).toContain('/x?[2J?');
  });
});
