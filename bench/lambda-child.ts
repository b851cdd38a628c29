/**
 * One Lambda execution environment, as close as a local process gets: a fresh node (with the
 * function's NODE_OPTIONS) imports the bundled function entry point and invokes its `handler`
 * with MSK-shaped events, one after another. bench/lambda-path.ts bundles this file with esbuild
 * and runs it with plain node (no tsx loader in the measured process):
 *
 *   node [function NODE_OPTIONS] lambda-child.mjs ARGS.json
 *
 * Nothing here reaches into the bundle. What it observes, it observes from outside: process CPU
 * (all threads), RSS (getrusage maxRSS and 5 ms samples), MediaWiki requests through undici's
 * diagnostics channels, and producing through the node:zlib compressors and the broker sockets.
 */
import diagnostics from 'node:diagnostics_channel';
import { PerformanceObserver } from 'node:perf_hooks';
import { readFileSync, writeFileSync } from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';
import net from 'node:net';
import { pathToFileURL } from 'node:url';
import zlib from 'node:zlib';

const cpuAtStart = process.cpuUsage();
const wallAtStart = performance.now();

export interface LambdaChildArgs {
  /** The bundled entry point (index.mjs). */
  bundleFile: string;
  /** Function environment, set before the bundle is imported. */
  env: Record<string, string>;
  /** Broker port: requests written to sockets connected to it are Kafka requests. */
  kafkaPort: number;
  invocations: Array<{ label: string; eventFile: string; events: number; contentBytes: number }>;
  reportFile: string;
}

export interface InvocationReport {
  label: string;
  events: number;
  contentBytes: number;
  wallMs: number;
  /** process.cpuUsage delta over the call: every thread (main, libuv pool for zlib, V8 GC and compiler threads). */
  cpuMs: number;
  rssBeforeMB: number;
  /** Highest RSS during the call: getrusage maxRSS when it rose during the call, else the 5 ms samples. */
  peakRssMB: number;
  growthMB: number;
  /** Whether maxRSS rose during the call (else the peak is sampled, a lower bound). */
  peakFromMaxRss: boolean;
  mwRequests: number;
  kafkaProduceRequests: number;
  kafkaBytesWritten: number;
  /** Union of intervals with a compression or a Produce request in flight. */
  producingMs: number;
  /** Union of intervals with a MediaWiki request in flight. */
  fetchingMs: number;
  /** Time after the last MediaWiki response until the handler returned. */
  tailAfterFetchMs: number;
  /** Main-thread GC pauses during the call (perf_hooks 'gc' entries): scavenges and the rest. */
  gcScavengeMs: number;
  gcScavenges: number;
  gcOtherMs: number;
  batchItemFailures: number;
  /** CLOCK_MONOTONIC at the call's start and end, ms (what `perf record -k mono` stamps samples with). */
  monoStartMs: number;
  monoEndMs: number;
}

export interface ChildReport {
  node: string;
  execArgv: string[];
  nodeOptions: string;
  /** CPU of node's own start-up and this script's evaluation, before the import (Lambda's runtime does this part). */
  bootCpuMs: number;
  bootWallMs: number;
  importCpuMs: number;
  importWallMs: number;
  rssAfterImportMB: number;
  invocations: InvocationReport[];
}

const mb = (n: number) => Math.round((n / 2 ** 20) * 10) / 10;
const cpuMsOf = (u: NodeJS.CpuUsage) => (u.user + u.system) / 1000;

/** Union length of [start, end] intervals that are recorded as they open and close. */
class BusyClock {
  private open = 0;
  private since = 0;
  total = 0;
  lastEnd = 0;
  begin(): void {
    if (this.open++ === 0) this.since = performance.now();
  }
  end(): void {
    if (this.open === 0) return;
    if (--this.open === 0) {
      this.lastEnd = performance.now();
      this.total += this.lastEnd - this.since;
    }
  }
  reset(): void {
    this.total = 0;
    this.lastEnd = 0;
    if (this.open > 0) this.since = performance.now();
  }
}

const gcTotals = { scavengeMs: 0, scavenges: 0, otherMs: 0 };
const NODE_PERFORMANCE_GC_MINOR = 1;
new PerformanceObserver((list) => {
  for (const e of list.getEntries()) {
    const kind = (e as unknown as { detail?: { kind?: number } }).detail?.kind;
    if (kind === NODE_PERFORMANCE_GC_MINOR) {
      gcTotals.scavengeMs += e.duration;
      gcTotals.scavenges++;
    } else gcTotals.otherMs += e.duration;
  }
}).observe({ entryTypes: ['gc'] });

const producing = new BusyClock();
const fetching = new BusyClock();
const counts = { mwRequests: 0, produceRequests: 0, kafkaBytes: 0 };

// Compression of record batches: every async node:zlib compressor, wrapped before the bundle binds them.
for (const name of ['gzip', 'deflate', 'brotliCompress', 'zstdCompress'] as const) {
  const original = (zlib as unknown as Record<string, unknown>)[name];
  if (typeof original !== 'function') continue;
  (zlib as unknown as Record<string, unknown>)[name] = function (this: unknown, ...args: unknown[]) {
    const cb = args.at(-1);
    if (typeof cb !== 'function') return original.apply(this, args);
    producing.begin();
    args[args.length - 1] = (...r: unknown[]) => {
      producing.end();
      return cb(...r);
    };
    return original.apply(this, args);
  };
}
syncBuiltinESMExports();

// Kafka requests: kafkajs writes each request as one buffer (size, api key, version, correlation id);
// responses are framed by size and start with the correlation id.
const PRODUCE_API_KEY = 0;
const trackedSockets = new WeakSet<net.Socket>();
function trackResponses(socket: net.Socket, pending: Set<number>): void {
  let header = Buffer.alloc(0);
  let remaining = 0; // bytes of the current response body still to skip
  socket.prependListener('data', (chunk: Buffer) => {
    let offset = 0;
    while (offset < chunk.length) {
      if (remaining > 0) {
        const skip = Math.min(remaining, chunk.length - offset);
        remaining -= skip;
        offset += skip;
        continue;
      }
      const need = 8 - header.length;
      const take = chunk.subarray(offset, offset + need);
      header = Buffer.concat([header, take]);
      offset += take.length;
      if (header.length < 8) break;
      const size = header.readInt32BE(0);
      const correlationId = header.readInt32BE(4);
      header = Buffer.alloc(0);
      remaining = size - 4;
      if (pending.delete(correlationId)) producing.end();
    }
  });
}
const originalWrite = net.Socket.prototype.write;
net.Socket.prototype.write = function (this: net.Socket, chunk: unknown, ...rest: unknown[]) {
  if (this.remotePort === kafkaPort && Buffer.isBuffer(chunk)) {
    counts.kafkaBytes += chunk.length;
    let pending = pendingOf.get(this);
    if (!trackedSockets.has(this)) {
      trackedSockets.add(this);
      pending = new Set();
      pendingOf.set(this, pending);
      trackResponses(this, pending);
      this.once('close', () => {
        for (const _ of pending!) producing.end();
        pending!.clear();
      });
    }
    if (chunk.length >= 12 && chunk.readInt16BE(4) === PRODUCE_API_KEY) {
      counts.produceRequests++;
      pending!.add(chunk.readInt32BE(8));
      producing.begin();
    }
  }
  return (originalWrite as (...a: unknown[]) => boolean).call(this, chunk, ...rest);
} as typeof net.Socket.prototype.write;
const pendingOf = new WeakMap<net.Socket, Set<number>>();

// MediaWiki requests through undici's diagnostics channels (the bundled undici publishes to them).
diagnostics.subscribe('undici:request:create', () => {
  counts.mwRequests++;
  fetching.begin();
});
const requestDone = () => fetching.end();
diagnostics.subscribe('undici:request:trailers', requestDone);
diagnostics.subscribe('undici:request:error', requestDone);

const args = JSON.parse(readFileSync(process.argv[2]!, 'utf8')) as LambdaChildArgs;
const kafkaPort = args.kafkaPort;
Object.assign(process.env, args.env);

function context(label: string) {
  const started = Date.now();
  return {
    functionName: 'bench-lambda-path',
    functionVersion: '$LATEST',
    invokedFunctionArn: 'arn:aws:lambda:us-east-1:111122223333:function:bench-lambda-path',
    memoryLimitInMB: '512',
    awsRequestId: `bench-${label}-${started}`,
    logGroupName: '/aws/lambda/bench-lambda-path',
    logStreamName: 'bench',
    callbackWaitsForEmptyEventLoop: true,
    getRemainingTimeInMillis: () => 600_000 - (Date.now() - started),
  };
}

async function main(): Promise<void> {
  const bootCpuMs = cpuMsOf(cpuAtStart);
  const bootWallMs = wallAtStart;
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  type Handler = (event: unknown, context: unknown) => Promise<{ batchItemFailures?: unknown[] }>;
  const mod = (await import(pathToFileURL(args.bundleFile).href)) as { handler: Handler };
  const importCpuMs = cpuMsOf(process.cpuUsage(cpu0));
  const importWallMs = performance.now() - t0;
  const rssAfterImportMB = mb(process.memoryUsage().rss);

  const invocations: InvocationReport[] = [];
  for (const inv of args.invocations) {
    const event: unknown = JSON.parse(readFileSync(inv.eventFile, 'utf8'));
    const rssBefore = process.memoryUsage().rss;
    const maxRssBefore = process.resourceUsage().maxRSS * 1024;
    let sampled = rssBefore;
    // Sampling costs CPU of its own: only where a peak could otherwise be missed (maxRSS set earlier).
    const sample = () => (sampled = Math.max(sampled, process.memoryUsage().rss));
    const sampler = inv.events >= 10 ? setInterval(sample, 5) : undefined;
    producing.reset();
    fetching.reset();
    const before = { ...counts };
    const gc0 = { ...gcTotals };
    const c0 = process.cpuUsage();
    const start = performance.now();
    const monoStartMs = Number(process.hrtime.bigint()) / 1e6;
    const response = await mod.handler(event, context(inv.label));
    const end = performance.now();
    const monoEndMs = Number(process.hrtime.bigint()) / 1e6;
    const cpuMs = cpuMsOf(process.cpuUsage(c0));
    clearInterval(sampler);
    // GC entries arrive asynchronously: let the observer catch up before reading its totals.
    await new Promise((r) => setImmediate(r));
    const maxRssAfter = process.resourceUsage().maxRSS * 1024;
    const peakFromMaxRss = maxRssAfter > maxRssBefore;
    const peak = Math.max(peakFromMaxRss ? maxRssAfter : 0, sampled, process.memoryUsage().rss);
    invocations.push({
      label: inv.label,
      events: inv.events,
      contentBytes: inv.contentBytes,
      wallMs: end - start,
      cpuMs,
      rssBeforeMB: mb(rssBefore),
      peakRssMB: mb(peak),
      growthMB: mb(peak - rssBefore),
      peakFromMaxRss,
      mwRequests: counts.mwRequests - before.mwRequests,
      kafkaProduceRequests: counts.produceRequests - before.produceRequests,
      kafkaBytesWritten: counts.kafkaBytes - before.kafkaBytes,
      producingMs: producing.total,
      fetchingMs: fetching.total,
      tailAfterFetchMs: fetching.lastEnd > start ? end - fetching.lastEnd : end - start,
      batchItemFailures: response?.batchItemFailures?.length ?? 0,
      gcScavengeMs: gcTotals.scavengeMs - gc0.scavengeMs,
      gcScavenges: gcTotals.scavenges - gc0.scavenges,
      gcOtherMs: gcTotals.otherMs - gc0.otherMs,
      monoStartMs,
      monoEndMs,
    });
  }
  const report: ChildReport = {
    node: process.version,
    execArgv: process.execArgv,
    nodeOptions: process.env.NODE_OPTIONS ?? '',
    bootCpuMs,
    bootWallMs,
    importCpuMs,
    importWallMs,
    rssAfterImportMB,
    invocations,
  };
  writeFileSync(args.reportFile, JSON.stringify(report));
  // The function's producer and keep-alive sockets stay open, as in a frozen Lambda environment.
  process.exit(0);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
