/** Median of the finite numbers in `values`, or undefined when there are none. */
export function median(values) {
  const sorted = values.filter((v) => typeof v === 'number' && Number.isFinite(v)).sort((a, b) => a - b);
  if (sorted.length === 0) return undefined;
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

export function fmt(value, digits = 0) {
  if (value === undefined || value === null || !Number.isFinite(value)) return '–';
  return value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

/** A Markdown table from a header row and body rows (arrays of strings). */
export function markdownTable(header, rows, align = []) {
  const line = (cells) => `| ${cells.join(' | ')} |`;
  const rule = header.map((_, i) => (align[i] === 'r' ? '---:' : '---'));
  return [line(header), line(rule), ...rows.map(line)].join('\n');
}

export function timestamp() {
  return new Date().toISOString().replace(/[:.]/g, '-');
}

/** Serpentine order (A B C, then C B A, …) for round 0, 1, …: no row always runs first, or right after another's garbage. */
export function serpentine(list, round) {
  return round % 2 === 0 ? list : [...list].reverse();
}
