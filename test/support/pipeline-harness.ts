/**
 * The whole local pipeline for integration tests: real broker, real wiki, unique topics,
 * the real handler wired to a Kafka sink, the local event source mapping, and a checker
 * that accounts for every input record.
 */
import assert from 'node:assert/strict';
import { DEFAULT_CONTENT_BUDGET_BYTES } from './batch-deps.js';
import type { Context, MSKRecord } from 'aws-lambda';
import { createHandler, type HandlerDependencies } from '../../functions/page-content-change-enrich/handler.js';
import type { EnrichConfig, MediaWikiApiConfig } from '../../lib/settings/config.js';
import { apiEndpointResolver } from '../../lib/mediawiki/domain-allowlist.js';
import { kafkaSink, type KafkaSink } from '../../lib/pipeline/kafka-sink.js';
import { kafkaEsmEventFor } from '../../scripts/lib/esm-event.js';
import { startLocalEsm, type LocalEsm, type LocalEsmOptions } from '../../scripts/lib/local-esm.js';
import { revisionContentClient } from '../../lib/mediawiki/revision-content-client.js';
import { TEST_DOMAIN, testApiConfig, testEventConfig, testSchemaRepositoryConfig } from './enrich-harness.js';
import type { OutputSchemaResolver } from '../../lib/schema-repository/output-schema-resolver.js';
import { pageChangeEvent } from '../../scripts/lib/page-change-events.js';
import { createRevision, uniqueTitle } from './mediawiki.js';
import {
  consumeAll,
  createTopics,
  kafkaClient,
  uniqueTopicName,
  type ConsumedRecord,
} from '../../scripts/kafka/broker.js';

/** A revision saved on the test wiki, as the pipeline tests replay it. */
export interface SavedRevision {
  title: string;
  pageId: number;
  revId: number;
  /** The text as the wiki stored it. */
  text: string;
}

/** `pages` pages of `rounds` revisions each, saved round by round (interleaved, as edits arrive on a wiki). */
export async function saveInterleavedRevisions(
  titlePrefix: string,
  pages: number,
  rounds: number,
  textOf: (round: number, page: number) => string,
): Promise<SavedRevision[]> {
  const titles = Array.from({ length: pages }, () => uniqueTitle(titlePrefix));
  const revisions: SavedRevision[] = [];
  for (let round = 0; round < rounds; round++) {
    for (const [i, title] of titles.entries()) {
      const r = await createRevision(title, textOf(round, i));
      revisions.push({ title, pageId: r.pageId, revId: r.revId, text: r.text });
    }
  }
  return revisions;
}

/**
 * Every output record's content equals the wiki's; per page, first deliveries follow the input's
 * order (the page's source offsets rise: a page's records share an input partition by key).
 */
export function assertContentAndPageOrder(output: ConsumedRecord[], revisions: readonly SavedRevision[]): void {
  const byRev = new Map(revisions.map((r) => [r.revId, r]));
  const firstSeen = new Set<string>();
  const orderPerPage = new Map<number, Array<{ partition: string; offset: number }>>();
  // Output partitions are keyed by page, so one output partition holds a page's whole history in order.
  for (const r of output) {
    const e = JSON.parse(r.value!);
    assert.equal(e.revision.content_slots.main.content_body, byRev.get(e.revision.rev_id)!.text);
    const source = `${r.headers.source_partition}:${r.headers.source_offset}`;
    if (firstSeen.has(source)) continue;
    firstSeen.add(source);
    const list = orderPerPage.get(e.page.page_id) ?? orderPerPage.set(e.page.page_id, []).get(e.page.page_id)!;
    list.push({ partition: r.headers.source_partition!, offset: Number(r.headers.source_offset) });
  }
  for (const [page, sources] of orderPerPage) {
    for (let i = 1; i < sources.length; i++) {
      assert.equal(sources[i]!.partition, sources[0]!.partition, `page ${page} stays in one input partition`);
      assert.ok(
        sources[i]!.offset > sources[i - 1]!.offset,
        `order of page ${page}: ${sources.map((s) => s.offset).join(',')}`,
      );
    }
  }
}

/** The page_change event of a saved revision on the test domain, naming `schema` (default: events.ts's). */
export const eventOfRevision = (r: SavedRevision, schema?: string): any =>
  pageChangeEvent({
    domain: TEST_DOMAIN,
    pageId: r.pageId,
    revId: r.revId,
    content: r.text,
    title: r.title.replaceAll(' ', '_'),
    schema,
  });

/** The page_change event of a saved revision on the test domain, as one JSON line. */
export const eventLineOf = (r: SavedRevision): string => JSON.stringify(eventOfRevision(r));

export interface PipelineTopics {
  input: string;
  output: string;
  error: string;
  onFailure: string;
}

export async function createPipelineTopics(
  brokers: string[],
  prefix: string,
  opts: { inputPartitions?: number; errorTopicConfigs?: Record<string, string> } = {},
): Promise<PipelineTopics> {
  const topics = {
    input: uniqueTopicName(`${prefix}.page_change`),
    output: uniqueTopicName(`${prefix}.page_content_change`),
    error: uniqueTopicName(`${prefix}.error`),
    onFailure: uniqueTopicName(`${prefix}.on_failure`),
  };
  await createTopics(brokers, [
    { topic: topics.input, numPartitions: opts.inputPartitions ?? 3 },
    { topic: topics.output, numPartitions: 3 },
    { topic: topics.error, numPartitions: 1, configs: opts.errorTopicConfigs },
    { topic: topics.onFailure, numPartitions: 1 },
  ]);
  return topics;
}

export interface PipelineHandler {
  handler: ReturnType<typeof createHandler>;
  sink: KafkaSink;
  deps: HandlerDependencies;
  close(): Promise<void>;
}

/** The real handler, producing to the given topics on the local broker. */
export function pipelineHandler(
  brokers: string[],
  apiUrl: string,
  topics: PipelineTopics,
  opts: {
    api?: Partial<MediaWikiApiConfig>;
    maxMessageBytes?: number;
    contentBudgetBytes?: number;
    /** Output schemas beyond the shipped ones (a resolver against a local schema repository). */
    outputSchemas?: OutputSchemaResolver;
  } = {},
): PipelineHandler {
  const config: EnrichConfig = {
    mediawiki: testApiConfig(apiUrl, opts.api),
    events: testEventConfig,
    contentBudgetBytes: opts.contentBudgetBytes ?? DEFAULT_CONTENT_BUDGET_BYTES,
    schemaRepository: testSchemaRepositoryConfig(),
  };
  const resolver = apiEndpointResolver(config.mediawiki.urlTemplate, config.mediawiki.allowedDomains);
  const maxMessageBytes = opts.maxMessageBytes ?? 4 * 1024 * 1024;
  const sink = kafkaSink({
    connection: {
      brokers,
      auth: 'none',
      clientId: 'pipeline-test',
      connectionTimeoutMs: 1000,
      requestTimeoutMs: 5000,
      logLevel: 'NOTHING',
    },
    outputTopic: topics.output,
    errorTopic: topics.error,
    maxMessageBytes,
    compression: 'gzip',
  });
  const deps: HandlerDependencies = {
    config,
    resolver,
    client: revisionContentClient(config.mediawiki, { resolver }),
    sink,
    maxMessageBytes,
    outputSchemas: opts.outputSchemas,
  };
  return {
    handler: createHandler(() => deps),
    sink,
    deps,
    async close() {
      await sink.disconnect();
      await deps.client.close();
    },
  };
}

/**
 * Runs `events` as one Kafka ESM event (input record timestamp `recordTimestamp`, offsets from
 * `firstOffset`) through the handler, asserts every record was written, and returns everything on both
 * topics so far by source offset, each record with its value parsed as `event`.
 */
export async function runOneBatch(
  brokers: string[],
  h: PipelineHandler,
  topics: PipelineTopics,
  events: readonly unknown[],
  recordTimestamp: number,
  firstOffset = 0,
) {
  const esmEvent = kafkaEsmEventFor(
    events.map((e, i) => ({
      topic: topics.input,
      partition: 0,
      offset: firstOffset + i,
      key: null,
      value: JSON.stringify(e),
      timestamp: recordTimestamp,
    })),
  );
  const response = await h.handler(esmEvent as never, lambdaContext());
  assert.deepEqual(response, { batchItemFailures: [] });
  const [output, errors] = await Promise.all([consumeAll(brokers, topics.output), consumeAll(brokers, topics.error)]);
  const byOffset = (records: typeof output) =>
    new Map(records.map((r) => [Number(r.headers.source_offset), { ...r, event: JSON.parse(r.value!) }]));
  return { output: byOffset(output), errors: byOffset(errors) };
}

export function lambdaContext(timeoutMs = 60_000): Context {
  const started = Date.now();
  return {
    functionName: 'test',
    awsRequestId: `test-${started}`,
    getRemainingTimeInMillis: () => timeoutMs - (Date.now() - started),
  } as unknown as Context;
}

export async function runLocalEsm(
  brokers: string[],
  h: PipelineHandler,
  topics: PipelineTopics,
  opts: Partial<LocalEsmOptions> = {},
): Promise<LocalEsm> {
  return startLocalEsm(h.handler as never, {
    kafka: kafkaClient(brokers),
    topic: topics.input,
    groupId: `${topics.input}.group`,
    batchSize: 50,
    batchingWindowMs: 100,
    maxRetryAttempts: 3,
    onFailureTopic: topics.onFailure,
    // How many restarts a broker restart costs depends on how fast the broker comes back (its group coordinator
    // loads for longer on a busy machine): tests that restart it do not bound the restarts, their accounting decides.
    maxConsumerRestarts: 1000,
    ...opts,
  });
}

export interface Accounting {
  output: ConsumedRecord[];
  errors: ConsumedRecord[];
  onFailure: ConsumedRecord[];
  /** Distinct input offsets seen per `partition:offset`, with how many times. */
  seen: Map<string, number>;
  duplicates: number;
}

/** Waits until every input record is accounted for on the output, error or on-failure topic. */
export async function accountFor(
  brokers: string[],
  topics: PipelineTopics,
  inputCount: number,
  timeoutMs = 60_000,
): Promise<Accounting> {
  const deadline = Date.now() + timeoutMs;
  let last: Accounting | undefined;
  while (Date.now() < deadline) {
    const [output, errors, onFailure] = await Promise.all([
      consumeAll(brokers, topics.output, { timeoutMs: 5000 }),
      consumeAll(brokers, topics.error, { timeoutMs: 5000 }),
      consumeAll(brokers, topics.onFailure, { timeoutMs: 5000 }),
    ]);
    const seen = new Map<string, number>();
    for (const r of [...output, ...errors]) {
      const id = `${r.headers.source_partition}:${r.headers.source_offset}`;
      seen.set(id, (seen.get(id) ?? 0) + 1);
    }
    // On-failure messages are Lambda's failure documents, each holding its record in `payload`.
    for (const r of onFailure) {
      const doc = JSON.parse(r.value ?? '{}') as { payload?: { records?: Record<string, MSKRecord[]> } };
      for (const failed of Object.values(doc.payload?.records ?? {}).flat()) {
        const id = `${failed.partition}:${failed.offset}`;
        seen.set(id, (seen.get(id) ?? 0) + 1);
      }
    }
    const duplicates = [...seen.values()].reduce((n, c) => n + c - 1, 0);
    last = { output, errors, onFailure, seen, duplicates };
    if (seen.size >= inputCount) return last;
    await new Promise((r) => setTimeout(r, 500));
  }
  assert.fail(`only ${last?.seen.size ?? 0} of ${inputCount} input records accounted for after ${timeoutMs} ms`);
}
