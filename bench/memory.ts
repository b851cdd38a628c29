/** Runs the memory child processes (bundled with esbuild, plain node) and collects their reports. */
import { spawn } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { kafkaEsmEventFor } from '../scripts/lib/esm-event.js';
import { createTopics, uniqueTopicName } from '../test/support/kafka-broker.js';
import { bundle, BUILD_DIR } from './build.js';
import type { PipelineContext } from './pipeline.js';
import type { Strategy } from './wiring.js';
import { eventFor, keyFor, type EventRef } from './workloads.js';

export interface MemoryScenario {
  readonly name: string;
  readonly description: string;
  readonly refs: EventRef[];
  /** Mean content bytes per event. */
  readonly meanContentBytes: number;
}

export interface MemoryResult {
  scenario: string;
  strategy: Strategy['name'];
  events: number;
  meanContentBytes: number;
  rssBeforeMB: number;
  peakRssMB: number;
  growthMB: number;
  peakHeapUsedMB: number;
  peakExternalMB: number;
  peakArrayBuffersMB: number;
  wallMs: number;
  outputMessages: number;
  errorMessages: number;
  batchItemFailures: number;
  mwRequests: number;
}

let childBundle: Promise<string> | undefined;

export function memoryChildBundle(): Promise<string> {
  childBundle ??= bundle('bench/memory-child.ts', 'memory-child.mjs', { minify: false, target: 'node24' }).then(
    (b) => b.file,
  );
  return childBundle;
}

function esmEventJson(refs: EventRef[], topic: string): string {
  return JSON.stringify(
    kafkaEsmEventFor(
      refs.map((r, i) => ({ topic, partition: 0, offset: i, key: keyFor(r), value: JSON.stringify(eventFor(r)) })),
    ),
  );
}

export async function runMemoryScenario(
  ctx: PipelineContext,
  scenario: MemoryScenario,
  strategy: Strategy,
  warmup: EventRef[],
): Promise<MemoryResult> {
  const file = await memoryChildBundle();
  const tag = `bench.mem.${scenario.name}.${strategy.name}`;
  const outputTopic = uniqueTopicName(`${tag}.out`);
  const errorTopic = uniqueTopicName(`${tag}.err`);
  ctx.createdTopics.push(outputTopic, errorTopic);
  await createTopics(ctx.brokers, [
    { topic: outputTopic, numPartitions: 3, configs: { 'max.message.bytes': String(10 * 1024 * 1024) } },
    { topic: errorTopic, numPartitions: 1, configs: { 'max.message.bytes': String(10 * 1024 * 1024) } },
  ]);
  const base = path.join(BUILD_DIR, `${scenario.name}-${strategy.name}`);
  await writeFile(`${base}.event.json`, esmEventJson(scenario.refs, 'mediawiki.page_change.v1'));
  await writeFile(`${base}.warmup.json`, esmEventJson(warmup, 'mediawiki.page_change.v1'));
  await writeFile(
    `${base}.args.json`,
    JSON.stringify({
      brokers: ctx.brokers,
      apiUrl: ctx.proxyUrl,
      strategy,
      outputTopic,
      errorTopic,
      eventFile: `${base}.event.json`,
      warmupFile: `${base}.warmup.json`,
    }),
  );
  const report = await new Promise<string>((resolve, reject) => {
    const child = spawn(process.execPath, ['--expose-gc', file, `${base}.args.json`], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, NODE_OPTIONS: '' },
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    child.on('error', reject);
    child.on('exit', (code) =>
      code === 0
        ? resolve(out)
        : reject(new Error(`memory child ${scenario.name}/${strategy.name} exited ${code}: ${err.slice(-2000)}`)),
    );
  });
  const r = JSON.parse(report.trim().split('\n').pop()!);
  return {
    scenario: scenario.name,
    strategy: strategy.name,
    events: scenario.refs.length,
    meanContentBytes: scenario.meanContentBytes,
    ...r,
  };
}
