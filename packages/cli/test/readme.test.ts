import { describe, expect, it } from '@jest/globals';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import express from 'express';
import { describeRoutes } from '@tollgate/express';
import { auditRoutes, runCli, RULES, validatePolicy } from '@tollgate/cli';
import { cli, ROOT } from './run-cli.js';

const readme = () => readFile(join(ROOT, 'packages/cli/README.md'), 'utf8');

function block(text: string, lang: string, after: string): string {
  const start = text.indexOf(`\`\`\`${lang}\n`, text.indexOf(after));
  if (start < 0) throw new Error(`no ${lang} block after ${after}`);
  const body = start + lang.length + 4;
  return text.slice(body, text.indexOf('```', body));
}

describe('the CLI README', () => {
  it('shows the sample report the command in it prints', async () => {
    const text = await readme();
    const run = await cli(['audit', 'examples/express-app.ts', '--allow-public', '/health']);
    expect(text).toContain('`tollgate audit examples/express-app.ts --allow-public /health`:');
    expect(block(text, 'text', '## Sample report')).toBe(run.stdout);
  });

  it('lists every rule with its severity', async () => {
    const text = await readme();
    for (const rule of RULES) expect(text).toContain(`| \`${rule.id}\` | ${rule.severity}`);
  });

  it('its policy example is valid', async () => {
    expect(validatePolicy(JSON.parse(block(await readme(), 'json', '## The approved policy'))).routes).toHaveLength(2);
  });

  it('runCli needs only the two writers, as its in-process example shows', async () => {
    let out = '';
    const code = await runCli(['--version'], { stdout: (text) => { out += text; }, stderr: () => undefined });
    expect(code).toBe(0);
    expect(out).toMatch(/^\d+\.\d+\.\d+\n$/);
  });

  it('auditRoutes(describeRoutes(app)) works as it says', () => {
    const app = express();
    app.get('/health', (_req, res) => { res.end(); });
    expect(auditRoutes(describeRoutes(app)).map((f) => f.id)).toEqual(['unprotected-route']);
  });
});
