/**
 * The bench's charts (bench/charts.ts): drawn from a results file alone, tolerant of rows and sections
 * they do not know, and each SVG names its axes. Rendered headless with Vega, as `npm run bench` does.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { costRows, cpuRows, throughputRows } from '../../bench/chart-data.js';
import { charts, renderSvg, writeCharts } from '../../bench/charts.js';
import { costAt } from '../../bench/cost.js';

const FIXTURE = path.join(
  path.dirname(fileURLToPath(import.meta.url)),
  '..',
  'support',
  'fixtures',
  'bench-results.json',
);
const fixture = (): Record<string, unknown> => JSON.parse(readFileSync(FIXTURE, 'utf8'));

/** The axis titles an SVG announces (`aria-label="X-axis titled '…'`), x then y. */
function axisTitles(svg: string): string[] {
  return [...svg.matchAll(/aria-label="([XY])-axis titled '([^']*)'/g)]
    .sort((a, b) => a[1]!.localeCompare(b[1]!))
    .map((m) => m[2]!);
}

test('the three charts are written as SVG from a results file, each naming both axes', async () => {
  const out = mkdtempSync(path.join(tmpdir(), 'bench-charts-'));
  try {
    const files = await writeCharts(FIXTURE, out);
    assert.deepEqual(
      files.map((f) => path.basename(f)),
      ['throughput-vs-latency.svg', 'cost-vs-memory.svg', 'cpu-by-phase.svg'],
    );
    const expected = charts(fixture());
    for (const [i, file] of files.entries()) {
      const svg = readFileSync(file, 'utf8');
      assert.match(svg, /^<svg[^>]*xmlns="http:\/\/www\.w3\.org\/2000\/svg"/, `${file} is an SVG document`);
      assert.deepEqual(axisTitles(svg), [...expected[i]!.axes], `${file} names its axes`);
      for (const title of expected[i]!.axes) assert.ok(title.length > 0);
    }
    const throughput = readFileSync(files[0]!, 'utf8');
    assert.match(throughput, /one request per event \(sequential\)/, 'the baseline is in the legend');
    assert.match(throughput, />500</, 'a point is labelled with its events per second');
    assert.match(readFileSync(files[2]!, 'utf8'), /floor: 0\.120 ms/, 'the floor bar carries its total');
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});

test('throughput: the median invocation of each size at each latency, and the sequential baseline', () => {
  assert.deepEqual(throughputRows(fixture()), [
    { series: 'function, invocations of 100 events', latencyMs: 50, eventsPerSecond: 500 },
    { series: 'function, invocations of 100 events', latencyMs: 200, eventsPerSecond: 200 },
    { series: 'function, warm big invocations of 101 events', latencyMs: 50, eventsPerSecond: 404 },
    { series: 'one request per event (sequential)', latencyMs: 50, eventsPerSecond: 10 },
  ]);
  // A newer bench that measures the baseline at each latency draws each point.
  const results = fixture();
  (results.lambdaPath as Record<string, unknown>).sequential = [
    { events: 10, wallMs: 1000, latencyMs: 50 },
    { events: 10, wallMs: 2500, latencyMs: 200 },
  ];
  assert.deepEqual(
    throughputRows(results)
      .filter((r) => r.series.startsWith('one request'))
      .map((r) => r.eventsPerSecond),
    [10, 4],
  );
});

test('cost: the bench cost model at each memory size that holds the peak RSS, per latency', () => {
  const rows = costRows(fixture());
  const at50 = rows.filter((r) => r.latency === '50 ms');
  const at200 = rows.filter((r) => r.latency === '200 ms');
  assert.equal(at50[0]!.memoryMB, 384, 'a 300 MB peak leaves out 128 and 256 MB');
  assert.equal(at200[0]!.memoryMB, 256, 'a 130 MB peak leaves out 128 MB');
  assert.deepEqual(
    rows.map((r) => r.latency).filter((l, i, all) => all.indexOf(l) === i),
    ['50 ms', '200 ms'],
    'groups without a numeric latency or with incomplete runs draw nothing',
  );
  // Median wall 200 ms and CPU 40 ms of 100 events at 512 MB: ceil(200 + 40 × (1769/512 − 1)) = 299 ms billed.
  const at512 = at50.find((r) => r.memoryMB === 512)!;
  assert.equal(at512.usdPerMillion, costAt({ events: 100, wallMs: 200, cpuMs: 40, peakRssMB: 300 }, 512).usdPerMillion);
  assert.ok(Math.abs(at512.usdPerMillion - (10_000 * 0.299 * 0.5 * 0.0000133334 + 10_000 * 0.2e-6)) < 1e-12);
});

test('CPU by phase: the warm CPU per event beyond a 1-event invocation beside the floor steps; the profile when there is one', () => {
  const rows = cpuRows(fixture());
  const measured = rows.filter((r) => r.barOrder === 0);
  assert.deepEqual(
    measured.map((r) => r.bar),
    ['measured, warm: 0.600 ms', 'measured, warm: 0.600 ms'],
    '(median 65 ms − 5 ms for one event) / 100 events',
  );
  assert.ok(Math.abs(measured[0]!.msPerEvent - 5 / 101) < 1e-12, 'median main-thread GC pauses per event');
  assert.deepEqual(
    rows.filter((r) => r.barOrder === 1).map((r) => [r.bar, r.part, r.msPerEvent]),
    [
      ['floor: 0.120 ms', 'floor: gzip level 1', 0.1],
      ['floor: 0.120 ms', 'floor: sha1 of content', 0.02],
    ],
    'a step that is not a number is left out',
  );
  const results = fixture();
  results.profile = [
    { phase: 'gzip level 1 (libuv pool)', samples: 10, msPerEvent: 0.3 },
    { phase: 'GC (background threads)', samples: 5, msPerEvent: 0.15 },
  ];
  assert.deepEqual(
    cpuRows(results)
      .filter((r) => r.barOrder === 0)
      .map((r) => [r.bar, r.part]),
    [
      ['measured, warm (profile): 0.450 ms', 'gzip level 1 (libuv pool)'],
      ['measured, warm (profile): 0.450 ms', 'GC (background threads)'],
    ],
  );
});

test('a results file without the sections still renders three charts, empty ones included', async () => {
  for (const chart of charts({ meta: { mode: 'quick' } })) {
    assert.deepEqual(axisTitles(await renderSvg(chart.spec)), [...chart.axes], chart.name);
  }
});
