/** The README's error table is checked against the one list of codes in core. */
import { describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { ERROR_TABLE, type TollgateErrorCode } from '@tollgate/core';

const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');

function errorTableRows(): { status: number; code: string }[] {
  const section = readme.slice(readme.indexOf('## Errors'));
  const table = section.slice(section.indexOf('| situation'), section.indexOf('\n\n', section.indexOf('| situation')));
  return table.split('\n').slice(2).map((line) => {
    const cells = line.split(/(?<!\\)\|/).map((c) => c.trim());
    return { status: Number(cells[2]), code: cells[3]!.replace(/`/g, '') };
  });
}

describe('README', () => {
  it('lists every error code with the status core gives it', () => {
    const rows = errorTableRows();
    expect(rows.map((r) => r.code).sort()).toEqual(Object.keys(ERROR_TABLE).sort());
    for (const { code, status } of rows) expect(ERROR_TABLE[code as TollgateErrorCode].status).toBe(status);
  });

  it('shows the two commands a new user runs', () => {
    expect(readme).toContain('npm install && npm start');
    expect(readme).toContain('npm test');
  });
});
