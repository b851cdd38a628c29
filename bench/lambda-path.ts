/**
 * The Lambda path: the function measured the way Lambda runs it. The entry point is bundled by the
 * infrastructure's own bundler (infra/constructs/function-bundle.ts), each execution environment is a
 * fresh node with the function's NODE_OPTIONS (bench/lambda-child.ts), events are MSK-shaped, MediaWiki
 * answers through the latency proxy, and the function produces to the real bench broker. Beside it, in
 * the same run and on the same pages: the floor (bench/floor.ts) and a sequential per-event fetcher.
 */
import { spawn } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { request } from 'undici';
import { DEFAULT_ENRICH_ENTRY, FUNCTION_NODE_OPTIONS } from '../infra/constructs/enrich-function.ts';
import { bundleFunction, coldStartFiles } from '../infra/constructs/function-bundle.ts';
import { createTopics, uniqueTopicName } from '../scripts/kafka/broker.js';
import { BUILD_DIR, bundle, topContributors } from './build.js';
import { BENCH_DOMAIN, BENCH_DOMAINS, mskEventJson } from './events.js';
import { type FloorResult, measureFloor } from './floor.js';
import type { ChildReport, InvocationReport, LambdaChildArgs } from './lambda-child.js';
import type { SeededRevision } from './seed.js';

export interface LambdaPathOptions {
  /** Events of the measured invocation (issue 21: 1000). */
  readonly events: number;
  /** Fresh processes for the 1-event cold invocation. */
  readonly coldRuns: number;
  /** Warm repeats of the measured invocation after the fresh one. */
  readonly repeats: number;
  /**
   * Events of the worst-case invocation (issue 25: 100 × ~2 MiB): the seeded 2 MiB revisions under the
   * four bench domains, so each event is a distinct revision to the function.
   */
  readonly bigEvents: number;
  /** Memory sizes (MB) the worst case runs at, each with the heap flags and content budget of that size. */
  readonly worstMemoryMB: readonly number[];
  /** Events of the realistic-mix invocation (issue 25's headline). */
  readonly mixEvents: number;
  /** Events per invocation for the cost figure (the stack's event source mapping batch size). */
  readonly costBatch: number;
  /** Invocations of `costBatch` events at each latency. */
  readonly costRuns: number;
  /** Events fetched one at a time by the sequential per-event fetcher. */
  readonly sequentialEvents: number;
  /**
   * NODE_OPTIONS of the function processes, for experiments.
   * @default FUNCTION_NODE_OPTIONS (what the stack deploys)
   */
  readonly nodeOptions?: string;
  /**
   * Extra node flags of the function processes (V8 flags NODE_OPTIONS refuses, --cpu-prof). Lambda cannot set these.
   * @default []
   */
  readonly execArgv?: readonly string[];
  /**
   * A bundle built elsewhere (its index.mjs) instead of this checkout's.
   * @default - this checkout's entry point, bundled by infra/constructs/function-bundle.ts
   */
  readonly bundleFile?: string;
}

/** What the Lambda path needs from the run: the bench broker and wiki, and the proxy in front of it. */
export interface LambdaPathContext {
  readonly brokers: string[];
  /** The wiki through the latency proxy (what the function calls). */
  readonly proxyUrl: string;
  readonly latencyMs: number;
  setLatency(ms: number): Promise<void>;
  log(message: string): void;
  /** Topics to delete at the end. */
  readonly createdTopics: string[];
}

export interface LambdaPathResult {
  options: LambdaPathOptions;
  nodeOptions: string;
  latencyMs: number;
  bundle: { coldStartBytes: number; files: number; totalBytes: number; top: Array<{ name: string; bytes: number }> };
  content: { meanBytes: number; batchBytes: number; bigBytes: number };
  cold: Array<{ bootCpuMs: number; importCpuMs: number; invokeCpuMs: number; totalCpuMs: number }>;
  warmOne: InvocationReport;
  fresh: InvocationReport;
  warm: InvocationReport[];
  /** The worst case at 512 MB (issue 25: 100 × ~2 MiB). */
  big: InvocationReport;
  /** The worst case at each of `worstMemoryMB`; `error` when the process died (out of heap). */
  worst: Array<{ memoryMB: number; report?: InvocationReport; error?: string }>;
  /** The realistic mix (issue 25's headline): first and warm invocations, cost invocations, its own floor. */
  mix: {
    events: number;
    contentBytes: number;
    fresh: InvocationReport;
    warm: InvocationReport[];
    cost: InvocationReport[];
    floor: FloorResult;
  };
  /** Invocations of `costBatch` events in a warm process, at the bench latency and at 200 ms. */
  cost: { latencyMs: number; runs: InvocationReport[] }[];
  sequential: { events: number; wallMs: number };
  floor: FloorResult;
}

export const COST_LATENCIES_MS = [50, 200] as const;
/** The memory size every function process runs at, but the worst case's other sizes: the stack's default. */
export const BENCH_MEMORY_MB = 512;

/**
 * V8 heap flags of a Lambda function of `memoryMB`, as the Node.js runtime's bootstrap sets them from
 * AWS_LAMBDA_FUNCTION_MEMORY_SIZE (new space a tenth of the memory, two semi-spaces; old space the rest):
 * https://dev.to/wonderfulsoap/deep-dive-into-aws-lambda-3-official-nodejs-runtime-analysis-43je reads the
 * nodejs24.x bootstrap. Without them a local node sizes its heap from the machine's memory, not the function's.
 */
export function lambdaHeapFlags(memoryMB: number): string[] {
  const newSpace = Math.floor(memoryMB / 10);
  return [`--max-semi-space-size=${Math.floor(newSpace / 2)}`, `--max-old-space-size=${memoryMB - newSpace}`];
}
/** The bench topics take 10 MiB messages; the function may produce a 2 MiB revision's event. */
const MAX_MESSAGE_BYTES = 4 * 1024 * 1024;
const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);

async function runChild(
  file: string,
  args: LambdaChildArgs,
  nodeOptions: string,
  execArgv: readonly string[],
  wrapper: readonly string[],
) {
  await writeFile(`${args.reportFile}.args.json`, JSON.stringify(args));
  await rm(args.reportFile, { force: true });
  await new Promise<void>((resolve, reject) => {
    // The function's NODE_OPTIONS, and nothing of the bench's own (tsx) environment.
    const env = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', NODE_OPTIONS: nodeOptions };
    const command = [...wrapper, process.execPath, ...execArgv, file, `${args.reportFile}.args.json`];
    const child = spawn(command[0]!, command.slice(1), {
      stdio: ['ignore', 'ignore', 'pipe'],
      env,
    });
    let err = '';
    child.stderr.on('data', (d) => (err = (err + d).slice(-4000)));
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`lambda child exited ${code}: ${err}`))));
  });
  return JSON.parse(readFileSync(args.reportFile, 'utf8')) as ChildReport;
}

/** Revisions fetched one request at a time, one after another, through the proxy: the sequential fetcher. */
async function sequentialFetch(proxyUrl: string, revisions: readonly SeededRevision[]) {
  const t0 = performance.now();
  for (const rev of revisions) {
    const url = new URL(proxyUrl);
    const q = { action: 'query', prop: 'revisions', revids: String(rev.revId), rvprop: 'ids|content', rvslots: '*' };
    for (const [k, v] of Object.entries({ ...q, formatversion: '2', format: 'json' })) url.searchParams.set(k, v);
    const res = await request(url, { headers: { 'accept-encoding': 'gzip' } });
    await res.body.arrayBuffer();
  }
  return { events: revisions.length, wallMs: performance.now() - t0 };
}

/** The bundle, topics, event files and a runner of function processes for the Lambda path. */
export async function lambdaSetup(ctx: LambdaPathContext, seeded: readonly SeededRevision[], opts: LambdaPathOptions) {
  const dir = path.join(BUILD_DIR, 'lambda-path');
  await rm(path.join(dir, 'function'), { recursive: true, force: true });
  await mkdir(dir, { recursive: true });
  const fn = bundleFunction(DEFAULT_ENRICH_ENTRY, path.join(dir, 'function'));
  const coldFiles = opts.bundleFile
    ? [{ file: opts.bundleFile, bytes: statSync(opts.bundleFile).size }]
    : coldStartFiles(fn.metafile);
  const bundleFile = opts.bundleFile ?? fn.entryFile;
  const childFile = (await bundle('bench/lambda-child.ts', 'lambda-path/lambda-child.mjs')).file;

  const outputTopic = uniqueTopicName('bench.lambda-path.out');
  const errorTopic = uniqueTopicName('bench.lambda-path.err');
  ctx.createdTopics.push(outputTopic, errorTopic);
  const configs = { 'max.message.bytes': String(10 * 1024 * 1024) };
  await createTopics(ctx.brokers, [
    { topic: outputTopic, numPartitions: 3, configs },
    { topic: errorTopic, numPartitions: 1, configs },
  ]);

  // Distinct regular pages, those closest to 10 KB first (the workload).
  const regular = seeded
    .filter((r) => r.kind === 'regular')
    .sort((a, b) => Math.abs(a.size - 10_240) - Math.abs(b.size - 10_240));
  const bigs = seeded.filter((r) => r.kind === 'big');
  const mixPool = seeded.filter((r) => r.kind === 'mix');
  /** `count` events from `pool`, each page under as many domains as it takes to make them distinct revisions. */
  const spread = (pool: readonly SeededRevision[], count: number) => {
    const domains = Math.min(BENCH_DOMAINS.length, Math.ceil(count / pool.length));
    return { revs: Array.from({ length: Math.ceil(count / domains) }, (_, i) => pool[i % pool.length]!), domains };
  };
  const batchSpread = spread(regular, opts.events);
  // The batch's events in order (domain by domain), for the floor and the sequential fetcher.
  const pages = Array.from({ length: batchSpread.domains }, () => batchSpread.revs).flat();
  const worstSpread = spread(bigs, opts.bigEvents);
  const mixSpread = spread(mixPool, opts.mixEvents);
  const mixes = mixSpread.revs;
  const costPages = (pool: readonly SeededRevision[], k: number) =>
    Array.from({ length: opts.costBatch }, (_, i) => pool[(k * opts.costBatch + i) % pool.length]!);
  const invocation = async (label: string, revs: readonly SeededRevision[], domains = 1) => {
    const eventFile = path.join(dir, `${label}.json`);
    await writeFile(eventFile, mskEventJson(revs, domains));
    return { label, eventFile, events: revs.length * domains, contentBytes: domains * sum(revs.map((r) => r.size)) };
  };
  const one = await invocation('one', pages.slice(0, 1));
  const batch = await invocation(`n${opts.events}`, batchSpread.revs, batchSpread.domains);
  const big = await invocation('big', worstSpread.revs, worstSpread.domains);
  const mix = await invocation('mix', mixes, mixSpread.domains);
  const mixFloorEvent = mskEventJson(mixes);
  const costRuns = await Promise.all(
    Array.from({ length: opts.costRuns }, (_, k) => invocation(`cost${k}`, costPages(regular, k))),
  );
  const mixCostRuns = await Promise.all(
    Array.from({ length: opts.costRuns }, (_, k) => invocation(`mixcost${k}`, costPages(mixes, k))),
  );

  const env: Record<string, string> = {
    AWS_REGION: 'us-east-1',
    AWS_LAMBDA_FUNCTION_NAME: 'bench-lambda-path',
    POWERTOOLS_SERVICE_NAME: 'mw-page-content-change-enrich',
    POWERTOOLS_METRICS_NAMESPACE: 'MwPageContentChangeEnrich',
    KAFKA_BROKERS: ctx.brokers.join(','),
    KAFKA_AUTH: 'none',
    OUTPUT_TOPIC: outputTopic,
    ERROR_TOPIC: errorTopic,
    KAFKA_MAX_MESSAGE_BYTES: String(MAX_MESSAGE_BYTES),
    MW_API_URL_TEMPLATE: ctx.proxyUrl,
    MW_API_ALLOWED_DOMAINS: `*.${BENCH_DOMAIN.split('.').slice(1).join('.')}`,
    MW_API_USER_AGENT: 'mw-page-content-change-enrich-bench/0.1 (bench@example.org)',
    // A busy shared machine can be slow; the timeout bounds nothing that is measured here.
    MW_API_TIMEOUT_MS: '30000',
  };
  const nodeOptions = opts.nodeOptions ?? FUNCTION_NODE_OPTIONS;
  const kafkaPort = Number(ctx.brokers[0]!.split(':').at(-1));
  /** One function process (an execution environment of `memoryMB`) running `invocations` one after another. */
  const child = (
    label: string,
    invocations: LambdaChildArgs['invocations'],
    wrapper: readonly string[] = [],
    memoryMB = BENCH_MEMORY_MB,
  ) =>
    runChild(
      childFile,
      {
        bundleFile,
        env: { ...env, AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(memoryMB) },
        kafkaPort,
        invocations,
        reportFile: path.join(dir, `${label}.report.json`),
      },
      nodeOptions,
      [...lambdaHeapFlags(memoryMB), ...(opts.execArgv ?? [])],
      wrapper,
    );
  return {
    fn,
    coldFiles,
    nodeOptions,
    child,
    pages,
    one,
    batch,
    big,
    costRuns,
    mix,
    mixes,
    mixFloorEvent,
    mixCostRuns,
  };
}

export async function runLambdaPath(
  ctx: LambdaPathContext,
  seeded: readonly SeededRevision[],
  opts: LambdaPathOptions,
): Promise<LambdaPathResult> {
  const setup = await lambdaSetup(ctx, seeded, opts);
  const { fn, coldFiles, nodeOptions, child, pages, one, batch, big, costRuns } = setup;

  ctx.log(`lambda path: ${opts.coldRuns} cold starts (${coldFiles.length} file(s) loaded)`);
  const cold: LambdaPathResult['cold'] = [];
  for (let i = 0; i < opts.coldRuns; i++) {
    const r = await child(`cold${i}`, [one]);
    const inv = r.invocations[0]!;
    cold.push({
      bootCpuMs: r.bootCpuMs,
      importCpuMs: r.importCpuMs,
      invokeCpuMs: inv.cpuMs,
      totalCpuMs: r.importCpuMs + inv.cpuMs,
    });
  }
  ctx.log(
    `lambda path: ${opts.events} events × ${1 + opts.repeats} in one process, then ${opts.costRuns} × ${opts.costBatch}`,
  );
  // Warm 1-event invocations until background compilation of the first has settled; the cheapest is the baseline.
  const warmOnes = [one, one, one, one];
  const main = await child('main', [
    one,
    ...warmOnes,
    ...Array.from({ length: 1 + opts.repeats }, () => batch),
    ...costRuns,
  ]);
  const inv = main.invocations;
  const warmOne = inv.slice(1, 1 + warmOnes.length).sort((a, b) => a.cpuMs - b.cpuMs)[0]!;
  const batches = inv.slice(1 + warmOnes.length, 2 + warmOnes.length + opts.repeats);
  const cost50 = inv.slice(2 + warmOnes.length + opts.repeats);
  ctx.log(
    `lambda path: realistic mix, ${setup.mix.events} events (${(setup.mix.contentBytes / 2 ** 20).toFixed(1)} MiB), then ${opts.costRuns} × ${opts.costBatch}`,
  );
  const mixReport = (await child('mix', [one, one, setup.mix, setup.mix, setup.mix, ...setup.mixCostRuns])).invocations;
  const worst: LambdaPathResult['worst'] = [];
  for (const memoryMB of opts.worstMemoryMB) {
    ctx.log(
      `lambda path: worst case, ${big.events} × ~2 MiB (${(big.contentBytes / 2 ** 20).toFixed(0)} MiB) at ${memoryMB} MB`,
    );
    try {
      worst.push({
        memoryMB,
        report: (await child(`worst${memoryMB}`, [one, one, big], [], memoryMB)).invocations[2]!,
      });
    } catch (err) {
      worst.push({ memoryMB, error: (err as Error).message.slice(0, 400) });
    }
  }
  const bigAtDefault = worst.find((w) => w.memoryMB === BENCH_MEMORY_MB)?.report;
  if (!bigAtDefault) throw new Error(`the worst case did not complete at ${BENCH_MEMORY_MB} MB`);
  const cost: LambdaPathResult['cost'] = [{ latencyMs: ctx.latencyMs, runs: cost50 }];
  for (const latencyMs of COST_LATENCIES_MS.filter((l) => l !== ctx.latencyMs)) {
    ctx.log(`lambda path: ${opts.costRuns} × ${opts.costBatch} events at ${latencyMs} ms latency`);
    await ctx.setLatency(latencyMs);
    try {
      const r = await child(`cost${latencyMs}`, [one, ...warmOnes, ...costRuns]);
      cost.push({ latencyMs, runs: r.invocations.slice(1 + warmOnes.length) });
    } finally {
      await ctx.setLatency(ctx.latencyMs);
    }
  }
  ctx.log(`lambda path: sequential per-event fetcher (${opts.sequentialEvents} events), then the floor`);
  const sequential = await sequentialFetch(ctx.proxyUrl, pages.slice(0, opts.sequentialEvents));
  const floor = await measureFloor(ctx.proxyUrl, pages, readFileSync(batch.eventFile, 'utf8'));
  const mixFloor = await measureFloor(ctx.proxyUrl, setup.mixes, setup.mixFloorEvent);

  const outputs = Object.entries(fn.metafile.outputs).filter(([f]) => f.endsWith('.mjs'));
  return {
    options: opts,
    nodeOptions,
    latencyMs: ctx.latencyMs,
    bundle: {
      coldStartBytes: sum(coldFiles.map((f) => f.bytes)),
      files: coldFiles.length,
      totalBytes: opts.bundleFile ? statSync(opts.bundleFile).size : sum(outputs.map(([, o]) => o.bytes)),
      top: opts.bundleFile
        ? []
        : topContributors({
            inputs: fn.metafile.inputs,
            outputs: Object.fromEntries(coldFiles.map((f) => [f.file, fn.metafile.outputs[f.file]!])),
          }),
    },
    content: {
      meanBytes: batch.contentBytes / opts.events,
      batchBytes: batch.contentBytes,
      bigBytes: big.contentBytes,
    },
    cold,
    warmOne,
    fresh: batches[0]!,
    warm: batches.slice(1),
    big: bigAtDefault,
    worst,
    mix: {
      events: setup.mix.events,
      contentBytes: setup.mix.contentBytes,
      fresh: mixReport[2]!,
      warm: mixReport.slice(3, 5),
      cost: mixReport.slice(5),
      floor: mixFloor,
    },
    cost,
    sequential,
    floor,
  };
}
