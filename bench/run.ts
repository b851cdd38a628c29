/**
 * Benchmark of the enrichment pipeline against the real local MediaWiki and Kafka (bench
 * instances, never the ones the tests use): this project's batched fetch strategy side by side
 * with the one-request-per-event baseline, memory in child processes, and cold start.
 *
 *   npx tsx bench/run.ts [--quick] [--out bench-results] [--latency-ms 50] [--stop-services]
 *
 * Defaults (override through the environment): MW_DIR=.local/mediawiki-bench MW_PORT=8767
 * KAFKA_LOCAL_DIR=.local/kafka-bench KAFKA_PORT=9192 KAFKA_CONTROLLER_PORT=9193.
 * Progress goes to stderr; tables to stdout; results.json and throughput.svg to --out.
 */
import { BENCH_DEFAULTS, REPO_ROOT } from './env.js';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs, promisify } from 'node:util';
import { ensureKafka } from '../test/support/kafka-broker.js';
import { ensureMediaWiki } from '../test/support/mediawiki.js';
import { measureColdStart, type ColdStartResult } from './coldstart.js';
import {
  lambdaPathReport,
  runLambdaPath,
  type LambdaPathOptions,
  type LambdaPathResult,
  type Target,
} from './lambda-path.js';
import { runMemoryScenario, type MemoryResult, type MemoryScenario } from './memory.js';
import { cleanupTopics, runWorkload, type PipelineContext, type RunResult } from './pipeline.js';
import { groupCpuMs, pgidOf, pidFrom } from './procstat.js';
import { bytes, n, table, throughputSvg } from './report.js';
import { ensureSeeded, FULL_SEED, QUICK_SEED, type SeededRevision } from './seed.js';
import { BATCHED, STRATEGIES } from './wiring.js';
import { buildWorkloads, type EventRef, type WorkloadPlan } from './workloads.js';
import { prng } from './content.js';
import zlib from 'node:zlib';
import kafkajs from 'kafkajs';

const { values: args } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    out: { type: 'string', default: 'bench-results' },
    'latency-ms': { type: 'string', default: '50' },
    'stop-services': { type: 'boolean', default: false },
    'skip-memory': { type: 'boolean', default: false },
    'skip-cold-start': { type: 'boolean', default: false },
    'skip-lambda-path': { type: 'boolean', default: false },
    /** Only the Lambda path (bundled function in fresh node processes); no workloads, memory or cold start. */
    'lambda-path-only': { type: 'boolean', default: false },
    /** Experiment: NODE_OPTIONS of the Lambda path's function processes instead of the deployed ones. */
    'lambda-node-options': { type: 'string' },
    /** Experiment: extra node flags (space-separated) of the Lambda path's function processes. */
    'lambda-exec-argv': { type: 'string' },
    /** Experiment: events of the Lambda path's measured invocation (default 1000, quick 100). */
    'lambda-events': { type: 'string' },
    /** Experiment: warm repeats of the Lambda path's measured invocation (default 3, quick 1). */
    'lambda-repeats': { type: 'string' },
    /** Experiment: the Lambda path runs this prebuilt index.mjs (another commit's build) instead of its own. */
    'lambda-bundle': { type: 'string' },
    /** Only the workloads whose name contains this (e.g. one-wiki-500); memory and cold start still run unless skipped. */
    only: { type: 'string' },
    /** Experiment: replace kafkajs' GZIP codec (zlib default level 6) with this zlib level, in-process. */
    'kafka-gzip-level': { type: 'string' },
  },
});
const quick = args.quick!;
const latencyMs = Number(args['latency-ms']);
const outDir = path.resolve(process.cwd(), args.out!);
const t0 = Date.now();
const log = (m: string) => process.stderr.write(`[bench +${((Date.now() - t0) / 1000).toFixed(1)}s] ${m}\n`);

const PLAN: WorkloadPlan = quick
  ? {
      batchSizes: [10, 50, 100],
      invocationsFor: (b) => (b <= 10 ? 2 : 1),
      domains: 5,
      skewBatch: 50,
      skewInvocations: 1,
      hotShare: 0.5,
    }
  : {
      batchSizes: [100, 500, 1000],
      invocationsFor: (b) => (b <= 100 ? 10 : b <= 500 ? 4 : 3),
      domains: 20,
      skewBatch: 500,
      skewInvocations: 4,
      hotShare: 0.5,
    };
/** The batch size the targets refer to (500 in full mode). */
const TARGET_BATCH = quick ? 50 : 500;
const MEMORY_BATCH = quick ? 100 : 1000;
const COLD_START_RUNS = quick ? 3 : 10;
const LAMBDA_PATH: LambdaPathOptions = {
  ...(quick
    ? { events: 100, coldRuns: 3, repeats: 1, hotEvents: 10 }
    : { events: 1000, coldRuns: 5, repeats: 3, hotEvents: 10 }),
  ...(args['lambda-events'] ? { events: Number(args['lambda-events']) } : {}),
  ...(args['lambda-repeats'] ? { repeats: Number(args['lambda-repeats']) } : {}),
  nodeOptions: args['lambda-node-options'],
  bundleFile: args['lambda-bundle'] ? path.resolve(args['lambda-bundle']) : undefined,
  execArgv: args['lambda-exec-argv']?.split(' ').filter(Boolean),
};

let proxyChild: ChildProcess | undefined;

async function startProxy(upstream: string): Promise<{ url: string; stats: PipelineContext['proxyStats'] }> {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', path.join(REPO_ROOT, 'bench', 'latency-proxy.ts'), upstream, String(latencyMs)],
    {
      cwd: REPO_ROOT,
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  proxyChild = child;
  const port = await new Promise<number>((resolve, reject) => {
    let buf = '';
    child.stdout!.on('data', (d) => {
      buf += d;
      const m = /PORT=(\d+)/.exec(buf);
      if (m) resolve(Number(m[1]));
    });
    child.on('exit', (code) => reject(new Error(`latency proxy exited ${code}`)));
  });
  const base = `http://127.0.0.1:${port}`;
  return {
    url: `${base}/api.php`,
    stats: async (reset = false) => (await fetch(`${base}/__bench/stats${reset ? '?reset=1' : ''}`)).json() as never,
  };
}

function stopProxy(): void {
  if (proxyChild?.pid && proxyChild.exitCode === null) proxyChild.kill('SIGTERM');
}

async function main(): Promise<void> {
  await mkdir(outDir, { recursive: true });
  log(
    `mode: ${quick ? 'quick' : 'full'}; latency ${latencyMs} ms; wiki ${process.env.MW_DIR} :${process.env.MW_PORT}; kafka ${process.env.KAFKA_LOCAL_DIR} :${process.env.KAFKA_PORT}`,
  );
  log('starting the bench wiki and broker (if needed)…');
  const [mw, kafka] = await Promise.all([ensureMediaWiki(), ensureKafka()]);
  log(`wiki ${mw.apiUrl}; kafka ${kafka.brokers.join(',')}`);

  const seed = await ensureSeeded(mw.apiUrl, quick ? QUICK_SEED : FULL_SEED, log);
  log(
    `seed ${seed.hash}: ${seed.revisions.length} revisions (${seed.created} created, ${seed.reused} reused) in ${seed.seconds.toFixed(1)} s`,
  );

  const proxy = await startProxy(mw.apiUrl);
  log(`latency proxy ${proxy.url} (+${latencyMs} ms per request)`);
  const mwPid = mw.dir ? pidFrom(path.join(mw.dir, 'server.pid')) : undefined;
  const ctx: PipelineContext = {
    brokers: kafka.brokers,
    proxyUrl: proxy.url,
    proxyStats: proxy.stats,
    mwPgid: pgidOf(mwPid),
    kafkaPid: pidFrom(path.join(process.env.KAFKA_LOCAL_DIR!, 'broker.pid')),
    log,
    createdTopics: [],
  };
  const mwWorkers = Number(process.env.PHP_CLI_SERVER_WORKERS);

  if (args['kafka-gzip-level'] !== undefined) {
    const level = Number(args['kafka-gzip-level']);
    const gzipAsync = promisify(zlib.gzip);
    const unzipAsync = promisify(zlib.unzip);
    kafkajs.CompressionCodecs[kafkajs.CompressionTypes.GZIP] = () => ({
      compress: (encoder: { buffer: Buffer }) => gzipAsync(encoder.buffer, { level }),
      decompress: (buffer: Buffer) => unzipAsync(buffer),
    });
    log(
      `experiment: kafkajs GZIP codec at zlib level ${level} (in this process: the pipeline runs, not the memory children)`,
    );
  }
  if (args['lambda-path-only']) {
    try {
      const lp = await runLambdaPath(ctx, seed.revisions, LAMBDA_PATH, latencyMs);
      const out = ['', ...lambdaPathReport(lp), '', 'Targets (Lambda path)', ...lp.targets.map(targetLine)];
      process.stdout.write(`${out.join('\n')}\n`);
      const meta = { mode: quick ? 'quick' : 'full', startedAt: new Date(t0).toISOString(), latencyMs };
      await writeFile(path.join(outDir, 'results.json'), JSON.stringify({ meta, lambdaPath: lp }, null, 2));
    } finally {
      await cleanupTopics(ctx).catch(() => undefined);
      stopProxy();
    }
    if (args['stop-services']) await stopServices();
    log(`done in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    return;
  }
  const workloads = buildWorkloads(seed.revisions, PLAN).filter(
    (w) => !args.only || w.name.includes(args.only) || w.name === `one-wiki-${TARGET_BATCH}`,
  );
  const runs: RunResult[] = [];
  try {
    for (const w of workloads) {
      // Alternate which strategy goes first so drift on a shared machine does not favour one.
      const order = runs.length % 4 === 0 ? STRATEGIES : [...STRATEGIES].reverse();
      for (const s of order) {
        log(`run ${w.name} × ${s.name}: ${w.invocations} invocation(s) of ${w.batch} records — ${w.description}`);
        const r = await runWorkload(ctx, w, s, 'gzip');
        runs.push(r);
        log(
          `  ${n(r.eventsPerSecond)} events/s, ${n(r.mwRequestsPerEvent, 3)} MW req/event, p50 ${n(r.handlerMsP50)} ms, cpu ${n(r.cpuMsPerEvent, 3)} ms/event, errors ${r.errorMessages}`,
        );
      }
    }
    // Kafka bytes with and without compression: the batched strategy on one wiki at the target batch size.
    const kw = workloads.find((w) => w.name === `one-wiki-${TARGET_BATCH}`)!;
    log(`run ${kw.name} × batched with KAFKA_COMPRESSION=none`);
    runs.push(await runWorkload(ctx, kw, BATCHED, 'none'));

    const memory: MemoryResult[] = [];
    if (!args['skip-memory']) {
      const regular = seed.revisions.filter((r) => r.kind === 'regular');
      const bigHot = seed.revisions.filter((r) => r.kind === 'big').sort((a, b) => b.size - a.size)[0]!;
      const rand = prng(4242);
      const pick = (count: number): SeededRevision[] =>
        Array.from({ length: count }, (_, i) => regular[i % regular.length]!);
      const refsOf = (revs: SeededRevision[]): EventRef[] =>
        revs.map((rev) => ({ rev, domain: 'en.bench.wiki.local' }));
      const plain = refsOf(pick(MEMORY_BATCH));
      const nHot = MEMORY_BATCH / 10;
      const hotRefs = refsOf([...pick(MEMORY_BATCH - nHot), ...Array.from({ length: nHot }, () => bigHot)]).sort(
        () => rand() - 0.5,
      );
      const mean = (refs: EventRef[]) => refs.reduce((s, r) => s + r.rev.size, 0) / refs.length;
      const scenarios: MemoryScenario[] = [
        {
          name: `regular-x${MEMORY_BATCH}`,
          description: `${MEMORY_BATCH} events, regular pages (mean ${bytes(mean(plain))})`,
          refs: plain,
          meanContentBytes: mean(plain),
        },
        {
          name: `hot2mb-x${MEMORY_BATCH}`,
          description: `${MEMORY_BATCH} events, ${nHot} of them the same ${bytes(bigHot.size)} revision`,
          refs: hotRefs,
          meanContentBytes: mean(hotRefs),
        },
      ];
      const warmup = refsOf(regular.slice(0, 8));
      for (const sc of scenarios) {
        for (const s of STRATEGIES) {
          log(`memory ${sc.name} × ${s.name} (child process) — ${sc.description}`);
          const r = await runMemoryScenario(ctx, sc, s, warmup);
          memory.push(r);
          log(`  peak RSS ${r.peakRssMB} MB (before ${r.rssBeforeMB} MB, +${r.growthMB} MB), ${r.wallMs} ms`);
        }
      }
    }

    let coldStart: ColdStartResult | undefined;
    if (!args['skip-cold-start']) {
      log(`cold start: esbuild bundle + ${COLD_START_RUNS} imports in fresh node processes`);
      coldStart = await measureColdStart(COLD_START_RUNS);
    }

    let lambdaPath: LambdaPathResult | undefined;
    if (!args['skip-lambda-path']) {
      log(`lambda path: ${LAMBDA_PATH.events} events, bundled entry point in fresh node processes`);
      lambdaPath = await runLambdaPath(ctx, seed.revisions, LAMBDA_PATH, latencyMs);
    }

    await report({
      runs,
      memory,
      coldStart,
      lambdaPath,
      seedHash: seed.hash,
      seedRevisions: seed.revisions,
      mwWorkers,
      apiUrl: mw.apiUrl,
      brokers: kafka.brokers,
      mwPgid: ctx.mwPgid,
    });
  } finally {
    await cleanupTopics(ctx).catch(() => undefined);
    stopProxy();
  }
  if (args['stop-services']) await stopServices();
  log(`done in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
}

async function stopServices(): Promise<void> {
  const run = promisify(execFile);
  log('stopping the bench wiki and broker');
  await run('bash', [path.join(REPO_ROOT, 'scripts/mediawiki/stop.sh')], { env: process.env }).catch((e) =>
    log(String(e)),
  );
  await run('bash', [path.join(REPO_ROOT, 'scripts/kafka/stop.sh')], { env: process.env }).catch((e) => log(String(e)));
}

function targetLine(t: Target): string {
  return `  ${t.pass ? 'PASS' : 'MISS'}  ${t.description}: ${t.measured}${t.note ? `\n        ${t.note}` : ''}`;
}

async function report(input: {
  runs: RunResult[];
  memory: MemoryResult[];
  coldStart?: ColdStartResult;
  lambdaPath?: LambdaPathResult;
  seedHash: string;
  seedRevisions: SeededRevision[];
  mwWorkers: number;
  apiUrl: string;
  brokers: string[];
  mwPgid?: number;
}): Promise<void> {
  const { runs, memory, coldStart, lambdaPath } = input;
  const out: string[] = [];
  const sizes = input.seedRevisions.map((r) => r.size).sort((a, b) => a - b);
  const regularSizes = input.seedRevisions
    .filter((r) => r.kind === 'regular')
    .map((r) => r.size)
    .sort((a, b) => a - b);
  const q = (xs: number[], p: number) => xs[Math.min(xs.length - 1, Math.floor(p * xs.length))]!;
  out.push('');
  out.push(
    `=== mw-page-content-change-enrich bench (${quick ? 'QUICK: tiny workloads, targets not enforced' : 'full'}) ===`,
  );
  out.push(
    `machine: ${os.cpus().length} × ${os.cpus()[0]?.model ?? '?'}, node ${process.version}; wiki: php -S with ${input.mwWorkers} workers (${input.apiUrl}) behind a proxy adding ${latencyMs} ms/request; kafka ${input.brokers.join(',')}`,
  );
  out.push(
    `seed ${input.seedHash}: ${input.seedRevisions.length} revisions; regular pages p10/p50/p90 ${bytes(q(regularSizes, 0.1))}/${bytes(q(regularSizes, 0.5))}/${bytes(q(regularSizes, 0.9))}, mean ${bytes(regularSizes.reduce((a, b) => a + b, 0) / regularSizes.length)}; ` +
      `big: ${input.seedRevisions
        .filter((r) => r.kind === 'big')
        .map((r) => bytes(r.size))
        .join(', ')}; non-ASCII: ${input.seedRevisions.filter((r) => r.nonAscii).length}; max ${bytes(sizes.at(-1)!)}`,
  );
  out.push('');
  out.push(
    'Throughput and cost per workload (one input partition, invocations back to back; events/s = events / summed handler time; e2e includes the ESM between invocations)',
  );
  out.push(
    table(
      [
        'workload',
        'strategy',
        'batch',
        'events',
        'ev/s',
        'e2e ev/s',
        'MW req/ev',
        'MW KiB/ev',
        'p50 ms',
        'p99 ms',
        'fetch%',
        'sink%',
        'CPU ms/ev',
        'loop ms/ev',
        'compute ms/ev',
        'MW cpu ms/ev',
        'Kafka B/ev',
        'err',
      ],
      runs.map((r) => [
        r.workload + (r.compression === 'none' ? ' [none]' : ''),
        r.strategy,
        r.batch,
        r.events,
        n(r.eventsPerSecond),
        n(r.e2eEventsPerSecond),
        n(r.mwRequestsPerEvent, 3),
        n(r.mwResponseBytesPerEvent / 1024, 1),
        n(r.handlerMsP50),
        n(r.handlerMsP99),
        n(r.fetchShare * 100),
        n(r.sinkShare * 100),
        n(r.cpuMsPerEvent, 3),
        n(r.loopBusyMsPerEvent, 3),
        n(r.computeMsPerEvent, 3),
        n(r.mwCpuMsPerEvent, 2),
        n(r.kafkaBytesPerEvent),
        r.errorMessages,
      ]),
      ['l', 'l'],
    ),
  );
  out.push(
    'CPU ms/ev: process CPU (all threads) during handler calls; loop ms/ev: main event loop busy (outside I/O waits) during handler calls; compute ms/ev: the same invocations replayed with no I/O (fetched revisions from memory, sink dropping); MW cpu: php -S CPU per event; MW KiB/ev: response bytes from the wiki (gzip).',
  );

  const byKey = (w: string, s: string, c = 'gzip') =>
    runs.find((r) => r.workload === w && r.strategy === s && r.compression === c);
  out.push('');
  out.push('Batched vs one-per-event (events/s ratio)');
  const ratioRows = [...new Set(runs.map((r) => r.workload))].map((w) => {
    const a = byKey(w, 'batched')!;
    const b = byKey(w, 'baseline')!;
    if (!a || !b) return [w, '-', '-', '-', '-', '-', '-'];
    return [
      w,
      n(a.eventsPerSecond),
      n(b.eventsPerSecond),
      `${n(a.eventsPerSecond / b.eventsPerSecond, 1)}×`,
      n(a.mwRequests),
      n(b.mwRequests),
      `${n(b.mwUpstreamMsMean)} / ${n(a.mwUpstreamMsMean)}`,
    ];
  });
  out.push(
    table(
      [
        'workload',
        'batched ev/s',
        'baseline ev/s',
        'ratio',
        'batched MW req',
        'baseline MW req',
        'wiki ms/req base/batched',
      ],
      ratioRows,
      ['l'],
    ),
  );

  const kg = byKey(`one-wiki-${TARGET_BATCH}`, 'batched', 'gzip')!;
  const kn = byKey(`one-wiki-${TARGET_BATCH}`, 'batched', 'none')!;
  out.push('');
  out.push(`Bytes sent to Kafka (Produce request bytes per event, one-wiki-${TARGET_BATCH}, batched)`);
  out.push(
    table(
      ['compression', 'Kafka B/ev', 'event JSON B/ev', 'ratio', 'produce req', 'CPU ms/ev', 'sink%', 'ev/s'],
      [kg, kn].map((r) => [
        r.compression,
        n(r.kafkaBytesPerEvent),
        n(r.outputValueBytesPerEvent),
        n(r.kafkaBytesPerEvent / r.outputValueBytesPerEvent, 2),
        r.kafkaProduceRequests,
        n(r.cpuMsPerEvent, 3),
        n(r.sinkShare * 100),
        n(r.eventsPerSecond),
      ]),
      ['l'],
    ),
  );

  if (memory.length > 0) {
    out.push('');
    out.push('Memory of one invocation (child process per row, esbuild bundle, plain node; peak = getrusage maxRSS)');
    out.push(
      table(
        [
          'scenario',
          'strategy',
          'events',
          'mean content',
          'RSS before MB',
          'peak RSS MB',
          'growth MB',
          'peak heap MB',
          'peak external MB',
          'wall ms',
          'out',
          'err',
        ],
        memory.map((m) => [
          m.scenario,
          m.strategy,
          m.events,
          bytes(m.meanContentBytes),
          m.rssBeforeMB,
          m.peakRssMB,
          m.growthMB,
          m.peakHeapUsedMB,
          m.peakExternalMB,
          m.wallMs,
          m.outputMessages,
          m.errorMessages,
        ]),
        ['l', 'l'],
      ),
    );
  }
  if (coldStart) {
    out.push('');
    out.push(
      `Cold start: bundle ${bytes(coldStart.bundleBytes)} loaded at cold start (${n(coldStart.bundleBytes)} B; ` +
        `entry gzip ${bytes(coldStart.bundleGzipBytes)}; whole asset with lazy chunks ${n(coldStart.assetBytes)} B), ` +
        `largest: ${coldStart.topContributors.map((c) => `${c.name} ${bytes(c.bytes)}`).join(', ')}`,
    );
    out.push(
      `  import() of the bundle in a fresh node (${coldStart.nodeVersion}), ${coldStart.runs} runs: p50 ${n(coldStart.importMsP50, 1)} ms, max ${n(coldStart.importMsMax, 1)} ms; whole process p50 ${n(coldStart.processMsP50)} ms (empty node: ${n(coldStart.emptyNodeProcessMsP50)} ms)`,
    );
  }

  if (lambdaPath) {
    out.push('');
    out.push(...lambdaPathReport(lambdaPath));
  }

  // Targets.
  const targets: Target[] = [];
  const tb = `one-wiki-${TARGET_BATCH}`;
  const a = byKey(tb, 'batched')!;
  const b = byKey(tb, 'baseline')!;
  targets.push({
    id: 'mw-requests',
    description: `≤ 0.03 MediaWiki requests per event (batch ${TARGET_BATCH}, one wiki)`,
    measured: n(a.mwRequestsPerEvent, 4),
    pass: a.mwRequestsPerEvent <= 0.03,
  });
  const ratio = a.eventsPerSecond / b.eventsPerSecond;
  targets.push({
    id: 'throughput-ratio',
    description: `≥ 20× the baseline's events/s at ${latencyMs} ms latency (batch ${TARGET_BATCH}, one wiki)`,
    measured: `${n(ratio, 1)}× (${n(a.eventsPerSecond)} vs ${n(b.eventsPerSecond)} events/s)`,
    pass: ratio >= 20,
    note: `batched: ${n(a.fetchShare * 100)}% of handler time fetching, ${n(a.sinkShare * 100)}% producing; wiki ${n(a.mwUpstreamMsMean)} ms/request upstream (p99 ${n(a.mwUpstreamMsP99)}), php CPU ${n(a.mwCpuMsPerEvent, 2)} ms/event vs baseline ${n(b.mwCpuMsPerEvent, 2)}`,
  });
  targets.push({
    id: 'cpu-per-event',
    description: '≤ 0.5 ms CPU per event outside network waits (batched, no-I/O replay)',
    measured: `${n(a.computeMsPerEvent, 3)} ms (in pipeline: main loop busy ${n(a.loopBusyMsPerEvent, 3)} ms, all-thread CPU ${n(a.cpuMsPerEvent, 3)} ms incl. HTTP/gunzip/kafkajs+gzip)`,
    pass: a.computeMsPerEvent <= 0.5,
  });
  const memOf = (sc: string, s: string) => memory.find((m) => m.scenario === sc && m.strategy === s);
  const m1 = memOf(`regular-x${MEMORY_BATCH}`, 'batched');
  const m2 = memOf(`hot2mb-x${MEMORY_BATCH}`, 'batched');
  if (m1 && m2) {
    targets.push({
      id: 'rss-batch',
      description: `peak RSS ≤ 300 MB at batch ${MEMORY_BATCH} of ~20 KB pages (batched)`,
      measured: `${m1.peakRssMB} MB`,
      pass: m1.peakRssMB <= 300,
    });
    const big = input.seedRevisions.filter((r) => r.kind === 'big').sort((x, y) => y.size - x.size)[0]!;
    const naive = ((MEMORY_BATCH / 10) * big.size) / (1024 * 1024);
    const extra = m2.peakRssMB - m1.peakRssMB;
    targets.push({
      id: 'rss-hot-page',
      description: `${MEMORY_BATCH / 10} events of one ${bytes(big.size)} revision do not multiply memory (extra peak RSS < 25% of ${MEMORY_BATCH / 10} × size = ${n(naive)} MB)`,
      measured: `+${n(extra)} MB (peak ${m2.peakRssMB} MB)`,
      pass: extra < 0.25 * naive,
    });
  }
  if (coldStart) {
    targets.push({
      id: 'bundle-size',
      description: 'bundle ≤ 1 MB minified (loaded at cold start)',
      measured: `${n(coldStart.bundleBytes)} B`,
      pass: coldStart.bundleBytes <= 1024 * 1024,
    });
    targets.push({
      id: 'module-load',
      description: 'handler module load ≤ 300 ms',
      measured: `p50 ${n(coldStart.importMsP50)} ms (max ${n(coldStart.importMsMax)} ms of ${coldStart.runs})`,
      pass: coldStart.importMsP50 <= 300,
    });
  }
  out.push('');
  out.push(`Targets${quick ? ' (quick mode: printed, not enforced; sizes are tiny)' : ''}`);
  for (const t of targets) out.push(targetLine(t));
  if (lambdaPath) {
    const quickNote = quick ? ` (quick: ${lambdaPath.options.events} events, not enforced)` : '';
    out.push(`Targets on the Lambda path (issue 12)${quickNote}`);
    for (const t of lambdaPath.targets) out.push(targetLine(t));
  }
  process.stdout.write(`${out.join('\n')}\n`);

  const jsonFile = path.join(outDir, 'results.json');
  const svgFile = path.join(outDir, 'throughput.svg');
  await writeFile(
    jsonFile,
    JSON.stringify(
      {
        meta: {
          mode: quick ? 'quick' : 'full',
          argv: process.argv.slice(2),
          startedAt: new Date(t0).toISOString(),
          latencyMs,
          targetBatch: TARGET_BATCH,
          plan: {
            ...PLAN,
            invocationsFor: Object.fromEntries(PLAN.batchSizes.map((b) => [b, PLAN.invocationsFor(b)])),
          },
          machine: {
            cpus: os.cpus().length,
            model: os.cpus()[0]?.model,
            totalMemMB: Math.round(os.totalmem() / 2 ** 20),
            node: process.version,
            loadavg: os.loadavg(),
          },
          mediawiki: { apiUrl: input.apiUrl, workers: input.mwWorkers, dir: process.env.MW_DIR },
          kafka: { brokers: input.brokers, dir: process.env.KAFKA_LOCAL_DIR },
          strategies: STRATEGIES,
          seed: {
            hash: input.seedHash,
            revisions: input.seedRevisions.length,
            sizes: {
              min: sizes[0],
              max: sizes.at(-1),
              regularMean: regularSizes.reduce((x, y) => x + y, 0) / regularSizes.length,
            },
          },
          benchDefaults: BENCH_DEFAULTS,
        },
        runs,
        memory,
        coldStart,
        lambdaPath,
        targets,
      },
      null,
      2,
    ),
  );
  await writeFile(
    svgFile,
    throughputSvg(runs, `Events/s vs batch size — ${latencyMs} ms MediaWiki latency${quick ? ' (quick)' : ''}`),
  );
  log(`wrote ${path.relative(process.cwd(), jsonFile)} and ${path.relative(process.cwd(), svgFile)}`);
  void groupCpuMs;
}

process.on('SIGINT', () => {
  stopProxy();
  process.exit(130);
});

main()
  .then(() => process.exit(0))
  .catch((err) => {
    stopProxy();
    console.error(err);
    process.exit(1);
  });
