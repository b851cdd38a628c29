/** Text tables and number formats. */

export function table(headers: string[], rows: Array<Array<string | number>>, align: Array<'l' | 'r'> = []): string {
  const cells = rows.map((r) => r.map((c) => String(c)));
  const widths = headers.map((h, i) => Math.max(h.length, ...cells.map((r) => (r[i] ?? '').length)));
  const fmt = (r: string[]) =>
    r
      .map((c, i) => ((align[i] ?? (i === 0 ? 'l' : 'r')) === 'l' ? c.padEnd(widths[i]!) : c.padStart(widths[i]!)))
      .join('  ');
  return [fmt(headers), widths.map((w) => '-'.repeat(w)).join('  '), ...cells.map(fmt)].join('\n');
}

export function n(x: number, digits = 0): string {
  if (!Number.isFinite(x)) return '-';
  return x.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

export function bytes(x: number): string {
  if (x >= 1024 * 1024) return `${n(x / (1024 * 1024), 2)} MiB`;
  if (x >= 1024) return `${n(x / 1024, 1)} KiB`;
  return `${n(x)} B`;
}
