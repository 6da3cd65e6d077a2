/** How serious a finding is, most serious first. */
export type Severity = 'high' | 'medium' | 'low' | 'info';

/** Every severity, most serious first: the order reports list them in. */
export const SEVERITIES: readonly Severity[] = Object.freeze(['high', 'medium', 'low', 'info']);

/** True when `value` names a severity. */
export function isSeverity(value: string): value is Severity {
  return (SEVERITIES as readonly string[]).includes(value);
}

/** 0 for `high` up to 3 for `info`: sorts the most serious first. */
export function severityRank(severity: Severity): number {
  return SEVERITIES.indexOf(severity);
}

/**
 * Parses a comma list such as `high,medium` (the `--fail-on` value).
 * Throws a `TypeError` naming the first unknown entry.
 */
export function parseSeverityList(list: string): Severity[] {
  const out: Severity[] = [];
  for (const raw of list.split(',')) {
    const entry = raw.trim().toLowerCase();
    if (entry === '') continue;
    if (!isSeverity(entry)) throw new TypeError(`unknown severity "${raw.trim()}" (expected ${SEVERITIES.join(', ')})`);
    if (!out.includes(entry)) out.push(entry);
  }
  if (out.length === 0) throw new TypeError(`expected a comma list of severities (${SEVERITIES.join(', ')})`);
  return out;
}
