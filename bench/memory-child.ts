/**
 * Peak memory of one invocation, in its own process so peaks of different runs stay separate.
 * run.ts bundles this file with esbuild (like the Lambda bundle) and runs it with plain node:
 *
 *   node --expose-gc memory-child.mjs ARGS.json
 *
 * ARGS.json: { brokers, apiUrl, strategy, outputTopic, errorTopic, eventFile, warmupFile }.
 * Prints one JSON line: RSS before (after warm-up and GC), peak RSS (getrusage maxrss), peaks of
 * heap/external/arrayBuffers sampled every 2 ms, wall time, and the outcome counts.
 */
import './env.js';
import { readFileSync } from 'node:fs';
import type { Context } from 'aws-lambda';
import { benchHandler, type Strategy } from './wiring.js';

interface Args {
  brokers: string[];
  apiUrl: string;
  strategy: Strategy;
  outputTopic: string;
  errorTopic: string;
  eventFile: string;
  warmupFile: string;
}

function context(): Context {
  const started = Date.now();
  return {
    functionName: 'bench-memory',
    awsRequestId: `bench-memory-${started}`,
    getRemainingTimeInMillis: () => 600_000 - (Date.now() - started),
  } as unknown as Context;
}

const mb = (n: number) => Math.round((n / (1024 * 1024)) * 10) / 10;

async function main(): Promise<void> {
  const args = JSON.parse(readFileSync(process.argv[2]!, 'utf8')) as Args;
  const bh = benchHandler({
    brokers: args.brokers,
    apiUrl: args.apiUrl,
    strategy: args.strategy,
    outputTopic: args.outputTopic,
    errorTopic: args.errorTopic,
    compression: 'gzip',
  });
  await bh.handler(JSON.parse(readFileSync(args.warmupFile, 'utf8')), context());
  let event: unknown = JSON.parse(readFileSync(args.eventFile, 'utf8'));
  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.();
  const before = process.memoryUsage();
  const maxRssBefore = process.resourceUsage().maxRSS * 1024;
  const peak = {
    rss: before.rss,
    heapUsed: before.heapUsed,
    external: before.external,
    arrayBuffers: before.arrayBuffers,
  };
  const timer = setInterval(() => {
    const m = process.memoryUsage();
    peak.rss = Math.max(peak.rss, m.rss);
    peak.heapUsed = Math.max(peak.heapUsed, m.heapUsed);
    peak.external = Math.max(peak.external, m.external);
    peak.arrayBuffers = Math.max(peak.arrayBuffers, m.arrayBuffers);
  }, 2);
  const c0 = { ...bh.counters, requests: bh.client.stats.requests };
  const t0 = performance.now();
  const response = await bh.handler(event as never, context());
  const wallMs = performance.now() - t0;
  event = undefined;
  clearInterval(timer);
  const maxRss = process.resourceUsage().maxRSS * 1024;
  await bh.close();
  process.stdout.write(
    `${JSON.stringify({
      rssBeforeMB: mb(before.rss),
      maxRssBeforeMB: mb(maxRssBefore),
      peakRssMB: mb(Math.max(maxRss, peak.rss)),
      growthMB: mb(Math.max(maxRss, peak.rss) - before.rss),
      peakHeapUsedMB: mb(peak.heapUsed),
      peakExternalMB: mb(peak.external),
      peakArrayBuffersMB: mb(peak.arrayBuffers),
      wallMs: Math.round(wallMs),
      outputMessages: bh.counters.outputMessages - c0.outputMessages,
      errorMessages: bh.counters.errorMessages - c0.errorMessages,
      batchItemFailures: (response as { batchItemFailures?: unknown[] })?.batchItemFailures?.length ?? 0,
      mwRequests: bh.client.stats.requests - c0.requests,
    })}\n`,
  );
  process.exit(0);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
