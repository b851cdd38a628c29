/**
 * The benchmark: the function on the Lambda path (bench/lambda-path.ts) against its own MediaWiki and
 * Kafka (bench instances, never the tests'), judged against issue 21's targets, with the floor measured
 * in the same run on the same pages.
 *
 *   npx tsx bench/run.ts [--mode quick|lambda|full] [--quick] [--out bench-results] [--latency-ms 50] [--stop-services]
 *
 * Modes: quick (100 events; runs in npm test so that the bench cannot rot), lambda (1000 events of ~10 KB
 * wikitext, issue 21's figures), full (lambda, then a sampling profile of all threads: bench/profile.ts).
 * Defaults (override through the environment): bench/env.ts. Progress goes to stderr, the report to stdout,
 * results.json to --out, its charts (bench/charts.ts) to --charts: docs/images, or <out>/images in quick
 * mode, whose 100 events must not replace the published charts.
 */
import { BENCH_DEFAULTS, REPO_ROOT } from './env.js';
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs, promisify } from 'node:util';
import { DEFAULTS } from '../infra/config/config.ts';
import { deleteTopics, ensureKafka } from '../scripts/kafka/broker.js';
import { ensureMediaWiki } from '../scripts/mediawiki/lib.js';
import { type LambdaPathOptions, type LambdaPathResult, runLambdaPath } from './lambda-path.js';
import { writeCharts } from './charts.js';
import { profileLambdaPath } from './profile.js';
import { ensureSeeded, FULL_SEED, QUICK_SEED } from './seed.js';
import { issue25Report, issue25Targets, lambdaReport, lambdaTargets, memoryChoice } from './targets.js';
import { fetchedSchemaCost, outputSchemaCost } from '../scripts/output-schema-cost.js';

const { values: args } = parseArgs({
  options: {
    mode: { type: 'string', default: 'full' },
    quick: { type: 'boolean', default: false },
    out: { type: 'string', default: 'bench-results' },
    'latency-ms': { type: 'string', default: '50' },
    'stop-services': { type: 'boolean', default: false },
    /** Where the charts go (default: docs/images; quick mode: <out>/images). */
    charts: { type: 'string' },
    /** Experiment: NODE_OPTIONS of the function processes instead of the deployed ones. */
    'node-options': { type: 'string' },
    /** Experiment: extra node flags (space-separated) of the function processes. */
    'exec-argv': { type: 'string' },
    /** Experiment: events of the measured invocation. */
    events: { type: 'string' },
    /** Experiment: run this prebuilt index.mjs (another commit's build) instead of this checkout's. */
    bundle: { type: 'string' },
    /** Print the issue 25 report and targets of an earlier run's results.json (nothing is measured). */
    from: { type: 'string' },
  },
});
const mode = args.quick ? 'quick' : args.mode!;
if (!['quick', 'lambda', 'full'].includes(mode)) throw new Error(`--mode ${mode}: quick, lambda or full`);
const quick = mode === 'quick';
const latencyMs = Number(args['latency-ms']);
const outDir = path.resolve(process.cwd(), args.out!);
const chartsDir = args.charts
  ? path.resolve(process.cwd(), args.charts)
  : quick
    ? path.join(outDir, 'images')
    : path.join(REPO_ROOT, 'docs', 'images');
const t0 = Date.now();
const log = (m: string) => process.stderr.write(`[bench +${((Date.now() - t0) / 1000).toFixed(1)}s] ${m}\n`);

const OPTIONS: LambdaPathOptions = {
  ...(quick
    ? {
        events: 100,
        coldRuns: 2,
        repeats: 1,
        bigEvents: 8,
        worstMemoryMB: [512],
        mixEvents: 100,
        costRuns: 2,
        sequentialEvents: 10,
      }
    : {
        events: 1000,
        coldRuns: 5,
        repeats: 3,
        bigEvents: 100,
        worstMemoryMB: [256, 384, 512],
        mixEvents: 1000,
        costRuns: 5,
        sequentialEvents: 40,
      }),
  costBatch: DEFAULTS.batchSize,
  ...(args.events ? { events: Number(args.events) } : {}),
  nodeOptions: args['node-options'],
  execArgv: args['exec-argv']?.split(' ').filter(Boolean),
  bundleFile: args.bundle ? path.resolve(args.bundle) : undefined,
};

let proxyChild: ChildProcess | undefined;

/** The latency proxy in its own process, so that its CPU never shows in the function's figures. */
async function startProxy(upstream: string): Promise<string> {
  const script = path.join(REPO_ROOT, 'bench', 'latency-proxy.ts');
  const child = spawn(process.execPath, ['--import', 'tsx', script, upstream, String(latencyMs)], {
    cwd: REPO_ROOT,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
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
  return `http://127.0.0.1:${port}`;
}

const stopProxy = () => {
  if (proxyChild?.pid && proxyChild.exitCode === null) proxyChild.kill('SIGTERM');
};

async function stopServices(): Promise<void> {
  const run = promisify(execFile);
  log('stopping the bench wiki and broker');
  for (const script of ['scripts/mediawiki/stop.sh', 'scripts/kafka/stop.sh'])
    await run('bash', [path.join(REPO_ROOT, script)], { env: process.env }).catch((e) => log(String(e)));
}

async function main(): Promise<void> {
  await mkdir(outDir, { recursive: true });
  log(`mode ${mode}; latency ${latencyMs} ms; wiki :${process.env.MW_PORT}; kafka :${process.env.KAFKA_PORT}`);
  const [mw, kafka] = await Promise.all([ensureMediaWiki(), ensureKafka()]);
  const seed = await ensureSeeded(mw.apiUrl, quick ? QUICK_SEED : FULL_SEED, log);
  log(
    `seed ${seed.hash}: ${seed.revisions.length} revisions (${seed.created} created) in ${seed.seconds.toFixed(1)} s`,
  );
  const proxy = await startProxy(mw.apiUrl);
  const createdTopics: string[] = [];
  const ctx = {
    brokers: kafka.brokers,
    proxyUrl: `${proxy}/api.php`,
    latencyMs,
    setLatency: async (ms: number) => void (await fetch(`${proxy}/__bench/latency?ms=${ms}`, { method: 'POST' })),
    log,
    createdTopics,
  };
  try {
    const result = await runLambdaPath(ctx, seed.revisions, OPTIONS);
    const targets = issue25Targets(result);
    const targetsIssue21 = lambdaTargets(result);
    const profile = mode === 'full' ? await profileLambdaPath(ctx, seed.revisions, OPTIONS, outDir) : undefined;
    // Issue 18's budget for conforming each output event to its schema (projection + validation), measured
    // in-process on 10 KiB events; the Lambda-path CPU above already includes it.
    const schemaCost = [false, true].map((undeclared) => ({
      undeclared,
      ...outputSchemaCost({ contentBytes: 10 * 1024, events: quick ? 2_000 : 20_000, undeclared }),
    }));
    // Issue 28: a version the bundle lacks, fetched from the local stand-in repository and compiled once.
    const fetched = await fetchedSchemaCost({
      contentBytes: 10 * 1024,
      events: quick ? 2_000 : 20_000,
      undeclared: true,
    });
    const out = [
      '',
      `=== mw-page-content-change-enrich bench, mode ${mode}${quick ? ' (100 events: targets printed, not meaningful)' : ''} ===`,
      `machine: ${os.cpus().length} × ${os.cpus()[0]?.model ?? '?'}, node ${process.version}; wiki: php -S ` +
        `(${process.env.PHP_CLI_SERVER_WORKERS} workers) behind a proxy adding ${latencyMs} ms/request; kafka ${kafka.brokers.join(',')}`,
      '',
      ...issue25Report(result),
      '',
      'Targets (issue 25)',
      ...targets.map((t) => `  ${t.pass ? 'PASS' : 'MISS'}  ${t.description}: ${t.measured}`),
      '',
      ...lambdaReport(result),
      ...(profile ? ['', ...profile.report] : []),
      '',
      'Targets (issue 21, for comparison with earlier runs)',
      ...targetsIssue21.map((t) => `  ${t.pass ? 'PASS' : 'MISS'}  ${t.description}: ${t.measured}`),
      '',
      'Output schema (issue 18): conform each 10 KiB event to its version (drop undeclared fields, validate), ≤ 0.02 ms',
      ...schemaCost.map(
        (c) =>
          `  ${c.msPerEvent <= 0.02 ? 'PASS' : 'MISS'}  ${c.undeclared ? 'two undeclared fields dropped' : 'nothing to drop'}: ` +
          `${c.msPerEvent.toFixed(4)} ms CPU/event (${c.events} events)`,
      ),
      `  ${fetched.msPerEvent <= 0.02 ? 'PASS' : 'MISS'}  a version fetched and compiled at run time, two fields dropped: ` +
        `${fetched.msPerEvent.toFixed(4)} ms CPU/event; cold, once per version per container: ` +
        `${fetched.coldMs.toFixed(0)} ms (${fetched.coldCpuMs.toFixed(0)} ms CPU)`,
    ];
    process.stdout.write(`${out.join('\n')}\n`);
    const meta = {
      mode,
      startedAt: new Date(t0).toISOString(),
      latencyMs,
      node: process.version,
      benchDefaults: BENCH_DEFAULTS,
    };
    const resultsFile = path.join(outDir, 'results.json');
    await writeFile(
      resultsFile,
      JSON.stringify(
        {
          meta,
          lambdaPath: result,
          targets,
          targetsIssue21,
          memoryChoice: memoryChoice(result),
          outputSchemaCost: schemaCost,
          fetchedSchemaCost: fetched,
          profile: profile?.phases,
        },
        null,
        2,
      ),
    );
    log(`results: ${resultsFile}; drawing the charts`);
    for (const file of await writeCharts(resultsFile, chartsDir)) log(`chart: ${path.relative(process.cwd(), file)}`);
  } finally {
    await deleteTopics(kafka.brokers, createdTopics).catch(() => undefined);
    stopProxy();
  }
  if (args['stop-services']) await stopServices();
  log(`done in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
}

/** The issue 25 part of the report from an earlier results.json, judged by this checkout's targets. */
async function reportFrom(file: string): Promise<void> {
  const results = JSON.parse(await readFile(file, 'utf8')) as { lambdaPath: LambdaPathResult };
  const r = results.lambdaPath;
  const lines = [
    ...issue25Report(r),
    '',
    'Targets (issue 25)',
    ...issue25Targets(r).map((t) => `  ${t.pass ? 'PASS' : 'MISS'}  ${t.description}: ${t.measured}`),
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
}

process.on('SIGINT', () => {
  stopProxy();
  process.exit(130);
});

(args.from ? reportFrom(args.from) : main())
  .then(() => process.exit(0))
  .catch((err) => {
    stopProxy();
    console.error(err);
    process.exit(1);
  });
