/** Issue 21's targets, judged on the Lambda path, and the Lambda path's section of the report. */
import { DEFAULTS } from '../infra/config/config.ts';
import { cheapestMemory, costAt } from './cost.js';
import type { InvocationReport } from './lambda-child.js';
import { BENCH_MEMORY_MB, type LambdaPathResult } from './lambda-path.js';
import { n, table } from './report.js';

export interface Target {
  description: string;
  measured: string;
  pass: boolean;
}

const median = (xs: readonly number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? 0 : s[Math.floor((s.length - 1) / 2)]!;
};
const mib = (b: number) => b / 2 ** 20;

/** CPU per event of an N-event invocation beyond a warm 1-event one (module load and fixed costs out). */
const perEvent = (r: LambdaPathResult, cpuMs: number) => (cpuMs - r.warmOne.cpuMs) / (r.options.events - 1);

export function lambdaFigures(r: LambdaPathResult) {
  const warmRuns = r.warm.length > 0 ? r.warm : [r.fresh];
  const N = r.options.events;
  return {
    fresh: perEvent(r, r.fresh.cpuMs),
    warm: perEvent(r, median(warmRuns.map((x) => x.cpuMs))),
    eventsPerSecond: N / (median(warmRuns.map((x) => x.wallMs)) / 1000),
    sequentialEventsPerSecond: r.sequential.events / (r.sequential.wallMs / 1000),
    requestsPerEvent: median(warmRuns.map((x) => x.mwRequests)) / N,
    rssRatio: r.fresh.growthMB / mib(r.content.batchBytes),
    bigRssRatio: r.big.growthMB / mib(r.content.bigBytes),
    coldCpuMs: median(r.cold.map((c) => c.totalCpuMs)),
  };
}

/** Billed figures of the cost invocations at one latency: medians of wall and CPU, the highest peak RSS. */
export function costInput(runs: readonly InvocationReport[]) {
  return {
    events: runs[0]!.events,
    wallMs: median(runs.map((x) => x.wallMs)),
    cpuMs: median(runs.map((x) => x.cpuMs)),
    peakRssMB: Math.max(...runs.map((x) => x.peakRssMB)),
  };
}

export function lambdaTargets(r: LambdaPathResult): Target[] {
  const f = lambdaFigures(r);
  const floor = r.floor.totalMs;
  const kib = n(r.content.meanBytes / 1024, 1);
  const ratio = f.eventsPerSecond / f.sequentialEventsPerSecond;
  return [
    {
      description: `warm container ≤ 1.3× the floor (${r.options.events} events of ~${kib} KiB, invocations 2+)`,
      measured: `${n(f.warm, 3)} ms CPU/event = ${n(f.warm / floor, 2)}× the floor (${n(floor, 3)} ms)`,
      pass: f.warm <= 1.3 * floor,
    },
    {
      description: 'fresh container (first big invocation) ≤ 1.7× the floor, beyond a 1-event run',
      measured: `${n(f.fresh, 3)} ms CPU/event = ${n(f.fresh / floor, 2)}× the floor`,
      pass: f.fresh <= 1.7 * floor,
    },
    {
      description: `peak RSS growth ≤ 3× content (${r.options.events} events, ${n(mib(r.content.batchBytes), 1)} MiB)`,
      measured: `+${n(r.fresh.growthMB, 1)} MB = ${n(f.rssRatio, 2)}×`,
      pass: f.rssRatio <= 3,
    },
    {
      description: `${r.options.bigEvents} × 2 MiB revisions ≤ 3× content (${n(mib(r.content.bigBytes), 1)} MiB)`,
      measured: `+${n(r.big.growthMB, 1)} MB = ${n(f.bigRssRatio, 2)}×`,
      pass: f.bigRssRatio <= 3,
    },
    {
      description: '1-event cold invocation ≤ 120 ms CPU, including module load',
      measured: `p50 ${n(f.coldCpuMs)} ms of ${r.cold.length} (import ${n(median(r.cold.map((c) => c.importCpuMs)))} + invoke ${n(median(r.cold.map((c) => c.invokeCpuMs)))})`,
      pass: f.coldCpuMs <= 120,
    },
    {
      description: `throughput ≥ 40× a sequential per-event fetcher at ${r.latencyMs} ms, ≤ 0.020 requests/event`,
      measured: `${n(ratio, 1)}× (${n(f.eventsPerSecond)} vs ${n(f.sequentialEventsPerSecond, 1)} events/s), ${n(f.requestsPerEvent, 3)} requests/event`,
      pass: ratio >= 40 && f.requestsPerEvent <= 0.0201,
    },
  ];
}

export function lambdaReport(r: LambdaPathResult): string[] {
  const out = [
    `Lambda path: the bundled entry point in fresh node processes (NODE_OPTIONS="${r.nodeOptions}"), MSK events, ` +
      `${r.latencyMs} ms MediaWiki latency, real broker`,
    `  bundle: cold start loads ${n(r.bundle.coldStartBytes)} B in ${r.bundle.files} file(s), whole asset ` +
      `${n(r.bundle.totalBytes)} B; largest: ${r.bundle.top.map((c) => `${c.name} ${n(c.bytes / 1024, 1)} KiB`).join(', ')}`,
    `  content: ${r.options.events} events, mean ${n(r.content.meanBytes)} B of wikitext; the wiki's responses gzip ${n(r.floor.responseGzipRatio, 2)}:1`,
  ];
  const row = (name: string, x: InvocationReport) => [
    name,
    x.events,
    n(x.wallMs),
    n(x.cpuMs, 1),
    n(x.mwRequests / x.events, 3),
    n(x.kafkaProduceRequests),
    n(x.kafkaBytesWritten / x.events),
    n(x.rssBeforeMB, 1),
    n(x.peakRssMB, 1),
    n(x.growthMB, 1) + (x.peakFromMaxRss ? '' : '*'),
    `${n(x.gcScavengeMs)}/${x.gcScavenges} + ${n(x.gcOtherMs)}`,
    x.batchItemFailures,
  ];
  out.push(
    table(
      [
        'invocation',
        'events',
        'wall ms',
        'CPU ms',
        'MW req/ev',
        'produce req',
        'Kafka B/ev',
        'RSS before',
        'peak RSS',
        'growth MB',
        'GC ms/n',
        'failures',
      ],
      [
        row('1 event, warm (cheapest of 4)', r.warmOne),
        row('fresh: first batch', r.fresh),
        ...r.warm.map((x, i) => row(`warm #${i + 2}`, x)),
        row(`fresh: ${r.options.bigEvents} × 2 MiB`, r.big),
        ...r.cost.flatMap((c) => c.runs.slice(0, 1).map((x) => row(`${x.events} events at ${c.latencyMs} ms`, x))),
      ],
    ),
  );
  out.push(
    '  CPU: all threads (process.cpuUsage); * peak sampled every 5 ms; GC ms/n: main-thread scavenges/count + other GC.',
  );
  out.push('', `Floor: each step once, warm and synchronous, on the same ${r.floor.events} events (ms per event)`);
  out.push(
    table(
      ['step', 'ms/event'],
      [...Object.entries(r.floor.steps), ['floor', r.floor.totalMs]].map(([k, v]) => [k, n(v as number, 4)]),
    ),
  );
  out.push(
    '',
    `Lambda cost per million events (arm64, billed wall time of ${r.options.costBatch}-event invocations; bench/cost.ts)`,
  );
  out.push(
    table(
      [
        'MW latency',
        'wall ms',
        'CPU ms',
        'peak RSS',
        'at 512 MB: billed ms',
        'GB-s / M',
        '$ / M',
        'cheapest MB',
        'GB-s / M',
        '$ / M',
      ],
      r.cost.map(({ latencyMs, runs }) => {
        const input = costInput(runs);
        const at = costAt(input, 512);
        const best = cheapestMemory(input);
        return [
          `${latencyMs} ms`,
          n(input.wallMs),
          n(input.cpuMs, 1),
          n(input.peakRssMB, 1),
          n(at.billedMs),
          n(at.gbSecondsPerMillion, 1),
          n(at.usdPerMillion, 4),
          best.memoryMB,
          n(best.gbSecondsPerMillion, 1),
          n(best.usdPerMillion, 4),
        ];
      }),
    ),
  );
  return out;
}

// ------------------------------------------------------------------ issue 25: real traffic, memory bounded

const p = (xs: readonly number[], q: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? 0 : s[Math.min(s.length - 1, Math.ceil(q * s.length) - 1)]!;
};
const MEMORY_SHARE = 0.9;

/** One workload of the issue 25 table: its invocations (first one fresh), content, floor and cost runs. */
interface Workload {
  name: string;
  runs: readonly InvocationReport[];
  contentBytes: number;
  events: number;
  floorMs: number;
  cost?: readonly InvocationReport[];
}

function workloads(r: LambdaPathResult): Workload[] {
  return [
    {
      name: `realistic mix (${r.mix.events} events)`,
      runs: [r.mix.fresh, ...r.mix.warm],
      contentBytes: r.mix.contentBytes,
      events: r.mix.events,
      floorMs: r.mix.floor.totalMs,
      cost: r.mix.cost,
    },
    {
      name: `~10 KB pages (${r.options.events} events)`,
      runs: [r.fresh, ...r.warm],
      contentBytes: r.content.batchBytes,
      events: r.options.events,
      floorMs: r.floor.totalMs,
      cost: r.cost[0]?.runs,
    },
    ...r.worst.flatMap((w) =>
      w.report
        ? [
            {
              name: `worst: ${w.report.events} × ~2 MiB at ${w.memoryMB} MB`,
              runs: [w.report],
              contentBytes: w.report.contentBytes,
              events: w.report.events,
              floorMs: Number.NaN,
            },
          ]
        : [],
    ),
  ];
}

/** The per-invocation table issue 25 asks for: peak RSS against memory, wall p50/p99, CPU/event against the floor, cost. */
export function issue25Report(r: LambdaPathResult): string[] {
  const out = [
    `Issue 25: memory bounded on real traffic. Sizes of the realistic mix: bench/traffic.ts (fitted to public page_change events); ` +
      `every function process has the heap flags and AWS_LAMBDA_FUNCTION_MEMORY_SIZE of its memory size (${BENCH_MEMORY_MB} MB unless named)`,
  ];
  const rows = workloads(r).map((w) => {
    const memoryMB = /at (\d+) MB/.exec(w.name)?.[1] ? Number(/at (\d+) MB/.exec(w.name)![1]) : BENCH_MEMORY_MB;
    const peak = Math.max(...w.runs.map((x) => x.peakRssMB));
    const growth = w.runs[0]!.growthMB;
    const cpu = w.runs.map((x) => (x.cpuMs - r.warmOne.cpuMs) / Math.max(1, x.events - 1));
    const cost = w.cost && w.cost.length > 0 ? costAt(costInput(w.cost), BENCH_MEMORY_MB) : undefined;
    return [
      w.name,
      n(mib(w.contentBytes), 1),
      `${n(peak, 1)} (${n((100 * peak) / memoryMB)}%)`,
      `${n(growth / mib(w.contentBytes), 2)}×`,
      `${n(
        p(
          w.runs.map((x) => x.wallMs),
          0.5,
        ),
      )} / ${n(
        p(
          w.runs.map((x) => x.wallMs),
          0.99,
        ),
      )}`,
      `${n(cpu[0]!, 3)} / ${n(median(cpu.slice(1).length > 0 ? cpu.slice(1) : cpu), 3)}`,
      Number.isNaN(w.floorMs) ? '—' : `${n(w.floorMs, 3)} (${n(median(cpu) / w.floorMs, 2)}×)`,
      cost ? n(cost.usdPerMillion, 4) : '—',
      w.runs.map((x) => x.batchItemFailures).join('/'),
    ];
  });
  out.push(
    table(
      [
        'workload',
        'content MiB',
        'peak RSS MB (% of memory)',
        'growth / content',
        'wall ms p50 / p99',
        'CPU ms/event fresh / warm',
        'floor ms/event (warm ×)',
        `$ / M events at ${BENCH_MEMORY_MB} MB`,
        'listed',
      ],
      rows,
    ),
  );
  out.push(
    '',
    `Memory size: the worst case at each size (≤ ${MEMORY_SHARE * 100}% of memory), cost per million events of the realistic mix`,
  );
  const mixCost = costInput(r.mix.cost);
  out.push(
    table(
      [
        'memory MB',
        'worst peak RSS MB',
        '% of memory',
        'worst duration at size ms (timeout)',
        'holds',
        'listed',
        'mix: billed ms',
        'mix: $ / M events',
      ],
      memoryChoice(r).rows.map((c) => [
        c.memoryMB,
        c.peakRssMB === undefined ? (c.error ?? '—') : n(c.peakRssMB, 1),
        c.peakRssMB === undefined ? '—' : n((100 * c.peakRssMB) / c.memoryMB),
        c.modeledMs === undefined ? '—' : `${n(c.modeledMs)} (${n(c.timeoutMs)})`,
        c.holds ? 'yes' : 'no',
        c.listed ?? '—',
        n(costAt(mixCost, c.memoryMB).billedMs),
        n(costAt(mixCost, c.memoryMB).usdPerMillion, 4),
      ]),
    ),
  );
  const chosen = memoryChoice(r).chosen;
  out.push(
    `  cheapest size that holds the worst case (≤ ${MEMORY_SHARE * 100}% of memory, within the timeout): ${chosen ?? 'none of those run'} MB`,
  );
  return out;
}

/**
 * The worst case at each memory size; the cheapest (on the mix) that holds it: peak RSS within 90%, nothing
 * listed, and its duration at that size (bench/cost.ts: CPU stretched below one vCPU) within the stack's
 * function timeout, since a batch cut short by the deadline is listed for redelivery, not enriched.
 */
export function memoryChoice(r: LambdaPathResult) {
  const mixCost = costInput(r.mix.cost);
  const timeoutMs = DEFAULTS.timeoutSeconds * 1000;
  const rows = r.worst.map((w) => {
    const modeledMs = w.report ? costAt(costInput([w.report]), w.memoryMB).billedMs : undefined;
    return {
      memoryMB: w.memoryMB,
      peakRssMB: w.report?.peakRssMB,
      listed: w.report?.batchItemFailures,
      modeledMs,
      timeoutMs,
      error: w.error,
      holds:
        w.report !== undefined &&
        w.report.batchItemFailures === 0 &&
        w.report.peakRssMB <= MEMORY_SHARE * w.memoryMB &&
        (modeledMs ?? Number.POSITIVE_INFINITY) <= timeoutMs,
      usdPerMillion: costAt(mixCost, w.memoryMB).usdPerMillion,
    };
  });
  const chosen = rows.filter((c) => c.holds).sort((a, b) => a.usdPerMillion - b.usdPerMillion)[0]?.memoryMB;
  return { rows, chosen };
}

/** Issue 25's targets; ratios are to the floor measured in the same run. */
export function issue25Targets(r: LambdaPathResult): Target[] {
  const f = lambdaFigures(r);
  const floor = r.floor.totalMs;
  const ratio = f.eventsPerSecond / f.sequentialEventsPerSecond;
  const worst = r.big;
  const mixGrowth = r.mix.fresh.growthMB / mib(r.mix.contentBytes);
  return [
    {
      description: `${worst.events} × ~2 MiB revisions at ${BENCH_MEMORY_MB} MB: none listed, peak RSS ≤ ${MEMORY_SHARE * 100}% of memory`,
      measured: `${worst.batchItemFailures} listed, peak ${n(worst.peakRssMB, 1)} MB = ${n((100 * worst.peakRssMB) / BENCH_MEMORY_MB)}%`,
      pass: worst.batchItemFailures === 0 && worst.peakRssMB <= MEMORY_SHARE * BENCH_MEMORY_MB,
    },
    {
      description: `peak RSS growth ≤ 4× content, ${r.options.events} × ~10 KB (${n(mib(r.content.batchBytes), 1)} MiB)`,
      measured: `+${n(r.fresh.growthMB, 1)} MB = ${n(f.rssRatio, 2)}×`,
      pass: f.rssRatio <= 4,
    },
    {
      description: `peak RSS growth ≤ 4× content, realistic mix (${r.mix.events} events, ${n(mib(r.mix.contentBytes), 1)} MiB)`,
      measured: `+${n(r.mix.fresh.growthMB, 1)} MB = ${n(mixGrowth, 2)}×`,
      pass: mixGrowth <= 4,
    },
    {
      description: 'warm CPU per event ≤ 1.8× the floor, 10 KB workload',
      measured: `${n(f.warm, 3)} ms = ${n(f.warm / floor, 2)}× the floor (${n(floor, 3)} ms)`,
      pass: f.warm <= 1.8 * floor,
    },
    {
      description: 'fresh CPU per event ≤ 2.5× the floor, 10 KB workload',
      measured: `${n(f.fresh, 3)} ms = ${n(f.fresh / floor, 2)}× the floor`,
      pass: f.fresh <= 2.5 * floor,
    },
    {
      description: '1-event cold invocation ≤ 130 ms CPU',
      measured: `p50 ${n(f.coldCpuMs)} ms of ${r.cold.length}`,
      pass: f.coldCpuMs <= 130,
    },
    {
      description: `throughput ≥ 40× a sequential per-event fetcher at ${r.latencyMs} ms, ≤ 0.020 requests/event`,
      measured: `${n(ratio, 1)}×, ${n(f.requestsPerEvent, 3)} requests/event`,
      pass: ratio >= 40 && f.requestsPerEvent <= 0.0201,
    },
  ];
}
