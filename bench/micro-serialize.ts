/**
 * Micro-benchmark of serializing and encoding enriched events, without network: processBatch
 * over an in-memory wiki, into a sink that encodes every message with kafkajs' own record
 * encoder (what a produce request does with it). Prints CPU ms per event and the peak of
 * heap + array buffers seen at each send.
 *
 *   node --expose-gc --import tsx bench/micro-serialize.ts [events=500] [iterations=8]
 */
import { createRequire } from 'node:module';
import { performance } from 'node:perf_hooks';
import { apiEndpointResolver } from '../lib/mediawiki/domain-allowlist.js';
import { processBatch } from '../lib/pipeline/process-batch.js';
import { NO_DEADLINE } from '../lib/core/retry.js';
import type { RevisionContentClient, RevisionResult } from '../lib/mediawiki/revision-content-client.js';
import type { EventSink } from '../lib/kafka/sink.js';
import { esmEventOf, pageChangeEvent } from '../test/support/events.js';

const require = createRequire(import.meta.url);
const encodeRecord = require('kafkajs/src/protocol/recordBatch/record/v0') as (r: {
  key: unknown;
  value: unknown;
  headers?: Record<string, string>;
}) => { buffer: Buffer };

const EVENTS = Number(process.argv[2] ?? 500);
const ITERATIONS = Number(process.argv[3] ?? 8);
const events = { outputStream: 'out', errorStream: 'err', errorSchemaUri: '/error/2.1.0', emitterId: 'bench' };

// Wikitext-like content of 5–60 KB with some non-ASCII; a third of the events share revisions.
const texts = Array.from(
  { length: EVENTS },
  (_, i) =>
    `== Section ${i} ==\n${'Lorem ipsum [[dolor]] sit amet, Grüße 🌍 "quoted" {{tmpl|x}}\n'.repeat(80 + ((i * 37) % 900))}`,
);
const revOf = (i: number) => (i % 3 === 0 ? 1 + (i % 20) : 1 + i);
const client: RevisionContentClient = {
  stats: { requests: 0, responseBytes: 0, retries: 0 },
  async fetchRevisions(_domain, revIds) {
    return new Map(
      revIds.map((id): [number, RevisionResult] => [
        id,
        {
          ok: true,
          revision: { revId: id, pageId: 1, slots: new Map([['main', { role: 'main', content: texts[id - 1]! }]]) },
        },
      ]),
    );
  },
  async close() {},
};

let peak = 0;
let encodedBytes = 0;
const sink: EventSink = {
  async send(messages) {
    for (const m of messages)
      encodedBytes += encodeRecord({ key: m.key, value: m.value, headers: { source_offset: String(m.source.offset) } })
        .buffer.length;
    const mem = process.memoryUsage();
    peak = Math.max(peak, mem.heapUsed + mem.arrayBuffers);
    return { failed: new Set() };
  },
};
const resolver = apiEndpointResolver('http://127.0.0.1:1/api.php', ['dev.wiki.local']);
const kafkaEvent = () => esmEventOf(Array.from({ length: EVENTS }, (_, i) => pageChangeEvent({ revId: revOf(i) })));

const cpu: number[] = [];
const wall: number[] = [];
for (let it = 0; it < ITERATIONS; it++) {
  const event = kafkaEvent();
  (globalThis as { gc?: () => void }).gc?.();
  const base = process.memoryUsage();
  peak = 0;
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  await processBatch(event, NO_DEADLINE, { client, resolver, sink, events, maxMessageBytes: 1_048_576 });
  wall.push(performance.now() - t0);
  const c = process.cpuUsage(c0);
  cpu.push((c.user + c.system) / 1000);
  if (it === ITERATIONS - 1) {
    const mb = (n: number) => (n / 1048576).toFixed(1);
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
    console.log(
      `events=${EVENTS} encoded=${mb(encodedBytes / ITERATIONS)} MB/iteration  CPU ms/event median=${(median(cpu.slice(1)) / EVENTS).toFixed(3)} ` +
        `wall ms/event median=${(median(wall.slice(1)) / EVENTS).toFixed(3)}  peak heap+arrayBuffers above start=${mb(peak - (base.heapUsed + base.arrayBuffers))} MB`,
    );
  }
}
