/**
 * The bench's charts, drawn by Vega-Lite and rendered headless to SVG by Vega in Node (no browser,
 * no canvas): throughput against MediaWiki latency, cost per million events against memory size, and
 * CPU per event by phase beside the floor. The rows come from a results file only (bench/chart-data.ts).
 *
 *   npx tsx bench/charts.ts [RESULTS.json] [--out DIR]   (defaults: docs/bench-results.json, docs/images)
 *
 * bench/run.ts calls writeCharts after writing its results.json.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { parse, View } from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';
import { costRows, cpuRows, throughputRows } from './chart-data.js';

export interface Chart {
  /** File name without `.svg`. */
  readonly name: string;
  /** The axis titles, x then y, as the SVG shows them. */
  readonly axes: readonly [string, string];
  readonly spec: TopLevelSpec;
}

const WIDTH = 560;
const FONT = { config: { font: 'Helvetica, Arial, sans-serif', background: 'white' } } as const;

function throughputChart(results: unknown): Chart {
  const axes = ['MediaWiki latency per request (ms)', 'throughput (events/s, log scale)'] as const;
  return {
    name: 'throughput-vs-latency',
    axes,
    spec: {
      ...FONT,
      title: 'Throughput against MediaWiki latency',
      width: WIDTH,
      height: 280,
      data: { values: throughputRows(results) },
      encoding: {
        x: { field: 'latencyMs', type: 'quantitative', title: axes[0], scale: { zero: true } },
        y: { field: 'eventsPerSecond', type: 'quantitative', title: axes[1], scale: { type: 'log' } },
        color: {
          field: 'series',
          type: 'nominal',
          title: null,
          legend: { orient: 'bottom', columns: 1, labelLimit: 400 },
        },
      },
      layer: [
        { mark: { type: 'line', point: true } },
        {
          mark: { type: 'text', dx: 8, align: 'left', baseline: 'bottom' },
          encoding: { text: { field: 'eventsPerSecond', type: 'quantitative', format: ',.0f' } },
        },
      ],
    },
  };
}

function costChart(results: unknown): Chart {
  const axes = ['memory size (MB)', 'cost per million events (USD)'] as const;
  const rows = costRows(results);
  return {
    name: 'cost-vs-memory',
    axes,
    spec: {
      ...FONT,
      title: 'Cost per million events against memory size (arm64, 100-event invocations)',
      width: WIDTH,
      height: 280,
      data: { values: rows },
      encoding: {
        x: { field: 'memoryMB', type: 'quantitative', title: axes[0] },
        y: { field: 'usdPerMillion', type: 'quantitative', title: axes[1], axis: { format: '$.3f' } },
        color: {
          field: 'latency',
          type: 'nominal',
          title: 'MediaWiki latency',
          legend: { orient: 'bottom' },
          scale: { domain: [...new Set(rows.map((r) => r.latency))] },
        },
      },
      layer: [{ mark: { type: 'line', point: true } }],
    },
  };
}

function cpuChart(results: unknown): Chart {
  const axes = ['CPU per event (ms, all threads)', 'the function against the floor'] as const;
  const rows = cpuRows(results);
  return {
    name: 'cpu-by-phase',
    axes,
    spec: {
      ...FONT,
      title: 'CPU per event by phase, beside the floor of the same work',
      width: WIDTH,
      height: { step: 36 },
      data: { values: rows },
      mark: { type: 'bar', stroke: 'white', strokeWidth: 0.5 },
      encoding: {
        x: { field: 'msPerEvent', type: 'quantitative', title: axes[0], stack: 'zero' },
        y: { field: 'bar', type: 'nominal', title: axes[1], sort: { field: 'barOrder' }, axis: { labelLimit: 300 } },
        color: {
          field: 'part',
          type: 'nominal',
          title: 'phase',
          legend: { orient: 'bottom', columns: 2, labelLimit: 320 },
          scale: { scheme: 'tableau20' },
        },
        order: { field: 'msPerEvent', type: 'quantitative', sort: 'descending' },
        tooltip: [{ field: 'part' }, { field: 'msPerEvent', format: '.3f' }],
      },
    },
  };
}

/** The three charts of a results file's contents. */
export function charts(results: unknown): Chart[] {
  return [throughputChart(results), costChart(results), cpuChart(results)];
}

/** A Vega-Lite spec as SVG, rendered headless. */
export async function renderSvg(spec: TopLevelSpec): Promise<string> {
  const view = new View(parse(compile(spec).spec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

/** Renders the charts of the results file `resultsFile` into `outDir` (`<name>.svg`); returns the files written. */
export async function writeCharts(resultsFile: string, outDir: string): Promise<string[]> {
  const results: unknown = JSON.parse(await readFile(resultsFile, 'utf8'));
  await mkdir(outDir, { recursive: true });
  const files: string[] = [];
  for (const chart of charts(results)) {
    const file = path.join(outDir, `${chart.name}.svg`);
    await writeFile(file, `${await renderSvg(chart.spec)}\n`);
    files.push(file);
  }
  return files;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values, positionals } = parseArgs({
    options: { out: { type: 'string', default: 'docs/images' } },
    allowPositionals: true,
  });
  const files = await writeCharts(positionals[0] ?? 'docs/bench-results.json', values.out!);
  for (const f of files) console.error(`[charts] wrote ${f}`);
}
