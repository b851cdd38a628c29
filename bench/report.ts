/** Text tables and the throughput chart. */
import type { RunResult } from './pipeline.js';

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

/** events/s against batch size, log y axis, one line per strategy × kind. */
export function throughputSvg(results: RunResult[], title: string): string {
  const series = new Map<string, RunResult[]>();
  for (const r of results) {
    if (r.kind === 'skew' || r.compression !== 'gzip') continue;
    const key = `${r.strategy} · ${r.kind}`;
    (series.get(key) ?? series.set(key, []).get(key)!).push(r);
  }
  const W = 760;
  const H = 460;
  const m = { l: 80, r: 220, t: 50, b: 60 };
  const batches = [...new Set(results.filter((r) => r.kind !== 'skew').map((r) => r.batch))].sort((a, b) => a - b);
  const values = [...series.values()]
    .flat()
    .map((r) => r.eventsPerSecond)
    .filter((v) => v > 0);
  const lo = 10 ** Math.floor(Math.log10(Math.min(...values)));
  const hi = 10 ** Math.ceil(Math.log10(Math.max(...values)));
  const x = (b: number) => m.l + ((batches.indexOf(b) + 0.5) / batches.length) * (W - m.l - m.r);
  const y = (v: number) =>
    m.t + (1 - (Math.log10(v) - Math.log10(lo)) / (Math.log10(hi) - Math.log10(lo))) * (H - m.t - m.b);
  const colors: Record<string, string> = {
    'batched · one-wiki': '#1f77b4',
    'batched · many-wikis': '#17becf',
    'baseline · one-wiki': '#d62728',
    'baseline · many-wikis': '#ff7f0e',
  };
  const out: string[] = [];
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">`,
  );
  out.push(`<rect width="${W}" height="${H}" fill="white"/>`);
  out.push(`<text x="${m.l}" y="24" font-size="15" font-weight="bold">${esc(title)}</text>`);
  for (let d = lo; d <= hi; d *= 10) {
    for (const k of [1, 2, 5]) {
      const v = d * k;
      if (v > hi) break;
      out.push(`<line x1="${m.l}" x2="${W - m.r}" y1="${y(v)}" y2="${y(v)}" stroke="${k === 1 ? '#ccc' : '#eee'}"/>`);
      out.push(`<text x="${m.l - 8}" y="${y(v) + 4}" text-anchor="end" fill="#555">${n(v)}</text>`);
    }
  }
  for (const b of batches) {
    out.push(`<line x1="${x(b)}" x2="${x(b)}" y1="${m.t}" y2="${H - m.b}" stroke="#eee"/>`);
    out.push(`<text x="${x(b)}" y="${H - m.b + 18}" text-anchor="middle">${b}</text>`);
  }
  out.push(
    `<text x="${(m.l + W - m.r) / 2}" y="${H - 18}" text-anchor="middle">records per invocation (batch size)</text>`,
  );
  out.push(
    `<text transform="translate(20 ${(m.t + H - m.b) / 2}) rotate(-90)" text-anchor="middle">events/s (handler time, log scale)</text>`,
  );
  out.push(
    `<rect x="${m.l}" y="${m.t}" width="${W - m.l - m.r}" height="${H - m.t - m.b}" fill="none" stroke="#999"/>`,
  );
  let ly = m.t + 10;
  for (const [key, rs] of series) {
    const pts = rs
      .sort((a, b) => a.batch - b.batch)
      .map((r) => `${x(r.batch).toFixed(1)},${y(r.eventsPerSecond).toFixed(1)}`);
    const color = colors[key] ?? '#333';
    const dash = key.includes('many') ? ' stroke-dasharray="6 4"' : '';
    out.push(`<polyline points="${pts.join(' ')}" fill="none" stroke="${color}" stroke-width="2.5"${dash}/>`);
    for (const r of rs) {
      out.push(
        `<circle cx="${x(r.batch)}" cy="${y(r.eventsPerSecond)}" r="4" fill="${color}"><title>${esc(`${key} batch ${r.batch}: ${n(r.eventsPerSecond)} events/s`)}</title></circle>`,
      );
      out.push(
        `<text x="${x(r.batch) + 7}" y="${y(r.eventsPerSecond) - 6}" fill="${color}" font-size="11">${n(r.eventsPerSecond)}</text>`,
      );
    }
    out.push(
      `<line x1="${W - m.r + 15}" x2="${W - m.r + 45}" y1="${ly}" y2="${ly}" stroke="${color}" stroke-width="2.5"${dash}/>`,
    );
    out.push(`<text x="${W - m.r + 52}" y="${ly + 4}">${esc(key)}</text>`);
    ly += 22;
  }
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}
