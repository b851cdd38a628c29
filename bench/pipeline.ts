/**
 * One workload × strategy through the real pipeline: records replayed to a fresh input topic,
 * consumed by the project's local event source mapping, enriched by the real handler (through
 * the latency proxy to the bench wiki) and produced by the real Kafka sink.
 */
import type { Context } from 'aws-lambda';
import { performance } from 'node:perf_hooks';
import type { KafkaEsmEvent } from '../lib/kafka/kafka-event.js';
import { kafkaEsmEventFor } from '../scripts/lib/esm-event.js';
import { startLocalEsm } from '../scripts/lib/local-esm.js';
import { processBatch } from '../lib/pipeline/process-batch.js';
import { NO_DEADLINE } from '../lib/core/retry.js';
import type { RevisionContentClient, RevisionResult } from '../lib/mediawiki/revision-content-client.js';
import { createTopics, deleteTopics, kafkaClient, uniqueTopicName } from '../test/support/kafka-broker.js';
import { groupCpuMs, pidCpuMs } from './procstat.js';
import {
  benchHandler,
  benchKafka,
  BENCH_EVENT_CONFIG,
  MAX_MESSAGE_BYTES,
  type InvocationSample,
  type Strategy,
} from './wiring.js';
import { eventFor, keyFor, type Workload } from './workloads.js';

export interface PipelineContext {
  brokers: string[];
  proxyUrl: string;
  proxyStats(reset?: boolean): Promise<{
    requests: number;
    revids: number;
    responseBytes: number;
    upstreamMsTotal: number;
    upstreamMs: number[];
    inFlightMax: number;
    errors: number;
  }>;
  mwPgid?: number;
  kafkaPid?: number;
  log(message: string): void;
  createdTopics: string[];
}

export interface RunResult {
  workload: string;
  kind: Workload['kind'];
  strategy: Strategy['name'];
  compression: 'gzip' | 'none';
  batch: number;
  events: number;
  invocations: number;
  recordsPerInvocation: number;
  eventsPerSecond: number;
  e2eEventsPerSecond: number;
  mwRequests: number;
  mwRequestsPerEvent: number;
  mwResponseBytesPerEvent: number;
  mwUpstreamMsMean: number;
  mwUpstreamMsP50: number;
  mwUpstreamMsP99: number;
  mwCpuMsPerEvent: number;
  kafkaBrokerCpuMsPerEvent: number;
  handlerMsP50: number;
  handlerMsP99: number;
  handlerMsMean: number;
  fetchShare: number;
  sinkShare: number;
  cpuMsPerEvent: number;
  loopBusyMsPerEvent: number;
  computeMsPerEvent: number;
  kafkaBytesPerEvent: number;
  kafkaProduceRequests: number;
  outputValueBytesPerEvent: number;
  outputMessages: number;
  errorMessages: number;
  errorTypes: Record<string, number>;
  redeliveries: number;
  samples: InvocationSample[];
}

export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return 0;
  const s = [...values].sort((a, b) => a - b);
  const idx = Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1));
  return s[idx]!;
}

const sum = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0);

export async function runWorkload(
  ctx: PipelineContext,
  workload: Workload,
  strategy: Strategy,
  compression: 'gzip' | 'none',
): Promise<RunResult> {
  const tag = `bench.${workload.name}.${strategy.name}.${compression}`;
  const topics = {
    input: uniqueTopicName(`${tag}.in`),
    output: uniqueTopicName(`${tag}.out`),
    error: uniqueTopicName(`${tag}.err`),
    onFailure: uniqueTopicName(`${tag}.dlq`),
  };
  ctx.createdTopics.push(...Object.values(topics));
  await createTopics(ctx.brokers, [
    // One input partition: invocations run one after another, so their CPU deltas do not overlap.
    { topic: topics.input, numPartitions: 1 },
    { topic: topics.output, numPartitions: 3, configs: { 'max.message.bytes': String(10 * 1024 * 1024) } },
    { topic: topics.error, numPartitions: 1, configs: { 'max.message.bytes': String(10 * 1024 * 1024) } },
    { topic: topics.onFailure, numPartitions: 1 },
  ]);

  // Replay the workload's records to the input topic.
  const refs = workload.batches.flat();
  const producer = kafkaClient(ctx.brokers, { clientId: 'bench-replay' }).producer({ allowAutoTopicCreation: false });
  await producer.connect();
  for (let i = 0; i < refs.length; i += 500) {
    await producer.send({
      topic: topics.input,
      acks: -1,
      messages: refs.slice(i, i + 500).map((r) => ({ key: keyFor(r), value: JSON.stringify(eventFor(r)) })),
    });
  }
  await producer.disconnect();

  const bh = benchHandler({
    brokers: ctx.brokers,
    apiUrl: ctx.proxyUrl,
    strategy,
    outputTopic: topics.output,
    errorTopic: topics.error,
    compression,
    record: true,
  });

  // Warm the container: producer connected, keep-alive connections to the wiki open (Lambda reuses both).
  const warm = refs.slice(0, Math.min(refs.length, strategy.concurrency * strategy.batchSize, 16));
  await bh.handler(
    kafkaEsmEventFor(
      warm.map((r, i) => ({
        topic: 'bench-warmup',
        partition: 0,
        offset: i,
        key: keyFor(r),
        value: JSON.stringify(eventFor(r)),
      })),
    ) as never,
    fakeContext('warmup'),
  );
  bh.recorded.clear();
  const c0 = { ...bh.counters, requests: bh.client.stats.requests };
  await ctx.proxyStats(true);
  const mwCpu0 = groupCpuMs(ctx.mwPgid);
  const kafkaCpu0 = pidCpuMs(ctx.kafkaPid);

  const samples: InvocationSample[] = [];
  const events: KafkaEsmEvent[] = [];
  let firstStart = 0;
  let lastEnd = 0;
  const measured = async (event: KafkaEsmEvent, context: Context) => {
    const records = Object.values(event.records).reduce((n, rs) => n + rs.length, 0);
    const before = { ...bh.counters, requests: bh.client.stats.requests };
    const elu0 = performance.eventLoopUtilization();
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    if (!firstStart) firstStart = t0;
    try {
      return await bh.handler(event as never, context);
    } finally {
      const wallMs = performance.now() - t0;
      const cpu = process.cpuUsage(cpu0);
      const elu = performance.eventLoopUtilization(elu0);
      lastEnd = performance.now();
      events.push(event);
      samples.push({
        records,
        wallMs,
        cpuMs: (cpu.user + cpu.system) / 1000,
        loopBusyMs: elu.active,
        fetchMs: bh.counters.fetchMs - before.fetchMs,
        sinkMs: bh.counters.sinkMs - before.sinkMs,
        mwRequests: bh.client.stats.requests - before.requests,
        kafkaProduceBytes: bh.counters.kafkaBytesWritten - before.kafkaBytesWritten,
      });
    }
  };

  const esm = await startLocalEsm(measured as never, {
    kafka: benchKafka(ctx.brokers, 'bench-esm'),
    topic: topics.input,
    groupId: `${topics.input}.group`,
    batchSize: workload.batch,
    batchingWindowMs: 200,
    maxRetryAttempts: 2,
    onFailureTopic: topics.onFailure,
    partitionsConcurrently: 1,
    invocationTimeoutMs: 600_000,
    log: ctx.log,
  });
  const deadline = Date.now() + 15 * 60_000;
  let lastReport = Date.now();
  while (samples.reduce((n, s) => n + s.records, 0) < refs.length && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 50));
    if (Date.now() - lastReport > 10_000) {
      lastReport = Date.now();
      ctx.log(`  … ${samples.reduce((n, s) => n + s.records, 0)}/${refs.length} records`);
    }
  }
  await esm.stop();
  const mwCpuMs = groupCpuMs(ctx.mwPgid) - mwCpu0;
  const kafkaCpuMs = pidCpuMs(ctx.kafkaPid) - kafkaCpu0;
  const proxy = await ctx.proxyStats(true);

  // The function's own compute without I/O: replay the same invocations with the fetched
  // revisions served from memory (API JSON parsed again) and a sink that drops the messages.
  const computeMs = await replayCompute(events, bh.recorded, strategy.batchSize);

  const events_ = sum(samples.map((s) => s.records));
  const handlerMs = samples.map((s) => s.wallMs);
  const totalHandlerMs = sum(handlerMs);
  const c = bh.counters;
  const mwRequests = bh.client.stats.requests - c0.requests;
  const result: RunResult = {
    workload: workload.name,
    kind: workload.kind,
    strategy: strategy.name,
    compression,
    batch: workload.batch,
    events: events_,
    invocations: samples.length,
    recordsPerInvocation: events_ / Math.max(1, samples.length),
    eventsPerSecond: events_ / (totalHandlerMs / 1000),
    e2eEventsPerSecond: events_ / ((lastEnd - firstStart) / 1000),
    mwRequests,
    mwRequestsPerEvent: mwRequests / events_,
    mwResponseBytesPerEvent: proxy.responseBytes / events_,
    mwUpstreamMsMean: proxy.upstreamMsTotal / Math.max(1, proxy.requests),
    mwUpstreamMsP50: percentile(proxy.upstreamMs, 50),
    mwUpstreamMsP99: percentile(proxy.upstreamMs, 99),
    mwCpuMsPerEvent: mwCpuMs / events_,
    kafkaBrokerCpuMsPerEvent: kafkaCpuMs / events_,
    handlerMsP50: percentile(handlerMs, 50),
    handlerMsP99: percentile(handlerMs, 99),
    handlerMsMean: totalHandlerMs / samples.length,
    fetchShare: sum(samples.map((s) => s.fetchMs)) / totalHandlerMs,
    sinkShare: sum(samples.map((s) => s.sinkMs)) / totalHandlerMs,
    cpuMsPerEvent: sum(samples.map((s) => s.cpuMs)) / events_,
    loopBusyMsPerEvent: sum(samples.map((s) => s.loopBusyMs)) / events_,
    computeMsPerEvent: computeMs / events_,
    kafkaBytesPerEvent: (c.kafkaBytesWritten - c0.kafkaBytesWritten) / events_,
    kafkaProduceRequests: c.kafkaProduceRequests - c0.kafkaProduceRequests,
    outputValueBytesPerEvent: (c.outputValueBytes - c0.outputValueBytes) / events_,
    outputMessages: c.outputMessages - c0.outputMessages,
    errorMessages: c.errorMessages - c0.errorMessages,
    errorTypes: diffCounts(c.errorTypes, c0.errorTypes),
    redeliveries: esm.stats.redeliveries,
    samples,
  };
  await bh.close();
  return result;
}

function diffCounts(now: Record<string, number>, before: Record<string, number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(now)) if (v - (before[k] ?? 0) > 0) out[k] = v - (before[k] ?? 0);
  return out;
}

function fakeContext(id: string): Context {
  const started = Date.now();
  return {
    functionName: 'bench',
    awsRequestId: `bench-${id}-${started}`,
    getRemainingTimeInMillis: () => 600_000 - (Date.now() - started),
  } as unknown as Context;
}

/**
 * CPU ms of processBatch over the recorded invocations with no network: each fetch parses an
 * API-shaped JSON body (prepared beforehand, as the wiki would send it per request) and the sink drops messages.
 */
async function replayCompute(
  events: KafkaEsmEvent[],
  recorded: Map<string, Map<number, RevisionResult>>,
  idsPerRequest: number,
): Promise<number> {
  const bodies = new Map<string, Map<number, string>>();
  for (const [domain, revs] of recorded) {
    const m = new Map<number, string>();
    for (const [id, r] of revs) {
      if (!r.ok) continue;
      const rev = r.revision;
      m.set(
        id,
        JSON.stringify({
          pageid: rev.pageId,
          revisions: [
            {
              revid: rev.revId,
              slots: Object.fromEntries(
                [...rev.slots].map(([role, s]) => [
                  role,
                  {
                    content: s.content,
                    contentmodel: s.contentModel,
                    contentformat: s.contentFormat,
                    sha1: s.sha1Hex,
                    size: s.size,
                  },
                ]),
              ),
            },
          ],
        }),
      );
    }
    bodies.set(domain, m);
  }
  const client: RevisionContentClient = {
    stats: { requests: 0, responseBytes: 0, retries: 0 },
    async fetchRevisions(domain, revIds) {
      const results = new Map<number, RevisionResult>();
      const unique = [...new Set(revIds)];
      for (let i = 0; i < unique.length; i += idsPerRequest) {
        const chunk = unique.slice(i, i + idsPerRequest);
        const body = `{"batchcomplete":true,"query":{"pages":[${chunk
          .map((id) => bodies.get(domain)?.get(id) ?? '')
          .filter(Boolean)
          .join(',')}]}}`;
        const json = JSON.parse(body) as {
          query: {
            pages: Array<{
              pageid: number;
              revisions: Array<{
                revid: number;
                slots: Record<
                  string,
                  { content: string; contentmodel?: string; contentformat?: string; sha1?: string; size?: number }
                >;
              }>;
            }>;
          };
        };
        for (const p of json.query.pages) {
          for (const rev of p.revisions) {
            const slots = new Map(
              Object.entries(rev.slots).map(([role, s]) => [
                role,
                {
                  role,
                  content: s.content,
                  contentModel: s.contentmodel,
                  contentFormat: s.contentformat,
                  sha1Hex: s.sha1,
                  size: s.size,
                },
              ]),
            );
            results.set(rev.revid, { ok: true, revision: { revId: rev.revid, pageId: p.pageid, slots } });
          }
        }
      }
      return results;
    },
    close: async () => undefined,
  };
  const { apiEndpointResolver } = await import('../lib/mediawiki/domain-allowlist.js');
  const resolver = apiEndpointResolver('http://127.0.0.1/api.php', ['*.bench.wiki.local']);
  const sink = { send: async () => ({ failed: new Set<number>() }) };
  let cpuMs = 0;
  for (const event of events) {
    const cpu0 = process.cpuUsage();
    await processBatch(event, NO_DEADLINE, {
      client,
      resolver,
      sink,
      events: BENCH_EVENT_CONFIG,
      maxMessageBytes: MAX_MESSAGE_BYTES,
    });
    const cpu = process.cpuUsage(cpu0);
    cpuMs += (cpu.user + cpu.system) / 1000;
  }
  return cpuMs;
}

export async function cleanupTopics(ctx: PipelineContext): Promise<void> {
  const topics = ctx.createdTopics.splice(0);
  for (let i = 0; i < topics.length; i += 50)
    await deleteTopics(ctx.brokers, topics.slice(i, i + 50)).catch(() => undefined);
}
