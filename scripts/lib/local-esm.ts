/**
 * A local stand-in for Lambda's Kafka event source mapping that follows what AWS documents,
 * so local runs and tests see what a deployed function sees:
 *
 * - AWS, "Configuring error handling controls for Kafka event sources"
 *   (https://docs.aws.amazon.com/lambda/latest/dg/kafka-retry-configurations.html): with
 *   ReportBatchItemFailures the function says which records failed "so Lambda can retry only the
 *   failed records"; maximum retry attempts do not count the first invocation; -1 is infinite,
 *   and with an on-failure destination infinite becomes 10.
 * - AWS, "Using a Kafka topic as an on-failure destination"
 *   (https://docs.aws.amazon.com/lambda/latest/dg/kafka-on-failure-destination.html): after the
 *   retries, each failed record goes to the destination topic in the documented record format
 *   (scripts/lib/on-failure-record.ts).
 * - AWS, "Configuring partial batch response with Kinesis Data Streams and Lambda"
 *   (https://docs.aws.amazon.com/lambda/latest/dg/services-kinesis-batchfailurereporting.html),
 *   the page that spells out the response rules Lambda's stream pollers share: an empty or null
 *   list (or no response) is complete success; a null or empty identifier, or one that is not in
 *   the batch, is a complete failure; so is a function error.
 *
 * Records are consumed with a consumer group, one invocation per partition at a time, in the
 * event shape Lambda sends (records grouped by topic-partition, base64). The consumer is loud:
 * a crash it cannot recover from rejects `failure`, restarts are logged, and `lag()` reports how
 * far the group is behind the topic's end.
 */
import type { Context } from 'aws-lambda';
import type { Admin, Consumer, Kafka, KafkaMessage, Producer } from 'kafkajs';
import { registerKafkaCodecs } from '../../lib/kafka/kafka-codecs.js';
import { transientKafkaCondition } from '../../lib/kafka/kafka-client.js';
import type { KafkaBatchResponse, KafkaEsmEvent } from '../../lib/event-source/kafka-event.js';
import { kafkaEsmEventFor } from './esm-event.js';
import { onFailureMessageFor } from './on-failure-record.js';
import {
  chunksAfterInvocation,
  effectiveMaxRetries,
  errorText,
  type InvocationVerdict,
  planAfterInvocation,
  type TrackedRecord,
  verdictFor,
} from './esm-contract.js';

export type EsmHandler = (event: KafkaEsmEvent, context: Context) => Promise<KafkaBatchResponse | void | null>;

export interface LocalEsmOptions {
  readonly kafka: Kafka;
  readonly topic: string;
  /** @default 'mw-page-content-change-enrich' */
  readonly groupId?: string;
  /** Records per invocation. @default 100 */
  readonly batchSize?: number;
  /** How long the consumer waits to fill a batch, ms. @default 500 */
  readonly batchingWindowMs?: number;
  /**
   * Retries of a failed record after its first invocation; -1 retries forever (10 when an
   * on-failure topic is set, as AWS does). After them the record goes to `onFailureTopic`, or
   * is discarded (and counted, and logged) when there is none, as Lambda discards it. @default 3
   */
  readonly maxRetryAttempts?: number;
  /** Kafka on-failure destination for records whose retries are exhausted. @default undefined */
  readonly onFailureTopic?: string;
  /** Invocation timeout given to the handler's context, ms. @default 60000 */
  readonly invocationTimeoutMs?: number;
  /** Partitions processed at the same time (Lambda: one invocation per partition at a time). @default 3 */
  readonly partitionsConcurrently?: number;
  /** Start from the earliest offset when the group has none (TRIM_HORIZON). @default true */
  readonly fromBeginning?: boolean;
  /** First wait before retrying failed records, doubled per attempt up to 5 s. @default 200 */
  readonly retryBackoffMs?: number;
  /**
   * Split batch on error: a function error splits the batch in two, each half retried on its own (the stack's
   * `bisectBatchOnError`). @default false
   */
  readonly bisectBatchOnError?: boolean;
  /** Consumer restarts after crashes without progress in between, before giving up. @default 10 */
  readonly maxConsumerRestarts?: number;
  readonly log?: (message: string) => void;
}

export interface LocalEsmStats {
  invocations: number;
  /** Records handed to the handler, counting each delivery. */
  records: number;
  /** Invocations that retried records. */
  redeliveries: number;
  /** Invocations that were whole-batch failures (handler error, malformed response). */
  batchFailures: number;
  sentToOnFailure: number;
  /** Records dropped after their retries because no on-failure topic is set. */
  discarded: number;
  handlerErrors: number;
  /** Whole-batch failures split in two (with `bisectBatchOnError`). */
  bisections: number;
  consumerRestarts: number;
  lastProgressAt: number;
  /** Invocations running now, by partition: what a lag that stands still waits for. */
  readonly inFlight: Map<number, { readonly records: number; readonly since: number }>;
}

export interface PartitionLag {
  readonly partition: number;
  readonly committed: number;
  readonly end: number;
  readonly lag: number;
}

export interface LocalEsm {
  readonly stats: LocalEsmStats;
  /** Settles (never rejects) with the cause when the consumer has stopped for good. */
  readonly failure: Promise<ConsumerFailedError>;
  /** Records between the group's committed offsets and the topic's end, per partition. */
  lag(): Promise<{ total: number; partitions: PartitionLag[] }>;
  stop(): Promise<void>;
}

export class ConsumerFailedError extends Error {
  override readonly name = 'ConsumerFailedError';
}

// ------------------------------------------------------------------------------------------
// The consumer.

export async function startLocalEsm(handler: EsmHandler, opts: LocalEsmOptions): Promise<LocalEsm> {
  registerKafkaCodecs();
  const log = opts.log ?? (() => undefined);
  const batchSize = opts.batchSize ?? 100;
  const maxRetries = effectiveMaxRetries(opts.maxRetryAttempts ?? 3, opts.onFailureTopic !== undefined);
  const timeoutMs = opts.invocationTimeoutMs ?? 60_000;
  const backoffMs = opts.retryBackoffMs ?? 200;
  const maxRestarts = opts.maxConsumerRestarts ?? 10;
  const groupId = opts.groupId ?? 'mw-page-content-change-enrich';
  const stats: LocalEsmStats = {
    invocations: 0,
    records: 0,
    redeliveries: 0,
    batchFailures: 0,
    sentToOnFailure: 0,
    discarded: 0,
    handlerErrors: 0,
    bisections: 0,
    consumerRestarts: 0,
    lastProgressAt: Date.now(),
    inFlight: new Map(),
  };
  let restartsWithoutProgress = 0;
  const saidTransient = new Set<string>();
  let stopping = false;
  let reportFailure!: (e: ConsumerFailedError) => void;
  const failure = new Promise<ConsumerFailedError>((resolve) => (reportFailure = resolve));

  const consumer: Consumer = opts.kafka.consumer({
    groupId,
    maxWaitTimeInMs: opts.batchingWindowMs ?? 500,
    retry: {
      retries: 10,
      initialRetryTime: 300,
      maxRetryTime: 5000,
      // kafkajs restarts only after retriable errors; this bounds restarts that make no progress.
      restartOnFailure: async () => restartsWithoutProgress < maxRestarts,
    },
  });
  consumer.on(consumer.events.CRASH, ({ payload }) => {
    if (stopping) return;
    const cause = errorText(payload.error);
    if (payload.restart) {
      stats.consumerRestarts++;
      restartsWithoutProgress++;
      const transient = transientKafkaCondition(cause);
      if (transient) {
        // Normal on a fresh broker: said once, in words; the consumer restarts as for any crash.
        if (!saidTransient.has(transient)) log(`${transient}; the consumer restarts and retries`);
        saidTransient.add(transient);
        return;
      }
      log(
        `consumer crashed (${cause}); restarting it ` +
          `(restart ${restartsWithoutProgress} of ${maxRestarts} without progress)`,
      );
    } else {
      log(`consumer stopped for good: ${cause}`);
      reportFailure(new ConsumerFailedError(`consumer of ${opts.topic} stopped: ${cause}`, { cause: payload.error }));
    }
  });

  consumer.on(consumer.events.GROUP_JOIN, () => {
    // Joined again after crashes: the consumer has recovered.
    if (restartsWithoutProgress > 0) log(`consumer recovered after ${restartsWithoutProgress} restart(s)`);
    restartsWithoutProgress = 0;
  });

  const admin: Admin = opts.kafka.admin();
  await admin.connect();
  let producer: Producer | undefined;
  if (opts.onFailureTopic) {
    producer = opts.kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
  }
  await consumer.connect();
  await consumer.subscribe({ topics: [opts.topic], fromBeginning: opts.fromBeginning ?? true });

  /** A consumed message as a record of the event Lambda sends. */
  const esmRecordOf = (topic: string, partition: number, m: KafkaMessage) => ({
    topic,
    partition,
    offset: Number(m.offset),
    key: m.key,
    value: m.value,
    timestamp: Number(m.timestamp),
    headers: Object.entries(m.headers ?? {}).flatMap(([k, v]) =>
      v === undefined ? [] : (Array.isArray(v) ? v : [v]).map((x) => [k, Buffer.from(x as Buffer | string)] as const),
    ),
  });
  let lastRequestId = '';

  async function invoke(
    topic: string,
    partition: number,
    messages: readonly KafkaMessage[],
  ): Promise<KafkaBatchResponse | void | null> {
    const event = kafkaEsmEventFor(messages.map((m) => esmRecordOf(topic, partition, m)));
    const started = Date.now();
    lastRequestId = `local-esm-${topic}-${partition}-${messages[0]!.offset}-${started}`;
    const context = {
      functionName: 'page-content-change-enrich-local-esm',
      awsRequestId: lastRequestId,
      getRemainingTimeInMillis: () => timeoutMs - (Date.now() - started),
    } as unknown as Context;
    stats.invocations++;
    stats.records += messages.length;
    stats.inFlight.set(partition, { records: messages.length, since: started });
    try {
      return await handler(event, context);
    } finally {
      stats.inFlight.delete(partition);
    }
  }

  /** One message per record, as Lambda writes to a Kafka on-failure destination (scripts/lib/on-failure-record.ts). */
  async function sendToOnFailure(
    topic: string,
    partition: number,
    records: ReadonlyArray<TrackedRecord<KafkaMessage>>,
    functionError: boolean,
  ): Promise<void> {
    const now = new Date();
    await producer!.send({
      topic: opts.onFailureTopic!,
      acks: -1,
      messages: records.map(({ message, invocations }) =>
        onFailureMessageFor({
          record: esmRecordOf(topic, partition, message),
          invocations,
          functionError,
          requestId: lastRequestId,
          now,
        }),
      ),
    });
    stats.sentToOnFailure += records.length;
  }

  await consumer.run({
    autoCommit: false,
    eachBatchAutoResolve: false,
    partitionsConsumedConcurrently: opts.partitionsConcurrently ?? 3,
    eachBatch: async ({ batch, heartbeat, isRunning, isStale, resolveOffset }) => {
      const partitionKey = `${batch.topic}-${batch.partition}`;
      const commit = async (offset: number) => {
        resolveOffset(String(offset - 1));
        await consumer.commitOffsets([{ topic: batch.topic, partition: batch.partition, offset: String(offset) }]);
      };
      for (let i = 0; i < batch.messages.length; i += batchSize) {
        const page: Array<TrackedRecord<KafkaMessage>> = batch.messages
          .slice(i, i + batchSize)
          .map((message) => ({ offset: Number(message.offset), invocations: 0, message }));
        const pageEnd = page.at(-1)!.offset + 1;
        // What the page still owes, in offset order: one chunk, or the halves of a split batch.
        let chunks: Array<ReadonlyArray<TrackedRecord<KafkaMessage>>> = [page];
        for (let attempt = 1; chunks.length > 0; attempt++) {
          const pending = chunks[0]!;
          // Not committed: after a rebalance the new owner gets these records again.
          if (!isRunning() || isStale()) return;
          const offsets = pending.map((r) => r.offset);
          let verdict: InvocationVerdict;
          let threw = false;
          try {
            const response = await invoke(
              batch.topic,
              batch.partition,
              pending.map((r) => r.message),
            );
            verdict = verdictFor({ response }, partitionKey, offsets);
          } catch (err) {
            // Failed because the consumer is stopping (Ctrl-C ends the sandboxes of `--runtime lambda` mid-invocation):
            // neither retried nor sent on. Not committed, the records come again at the next start.
            if (stopping) return;
            threw = true;
            stats.handlerErrors++;
            verdict = verdictFor({ error: err }, partitionKey, offsets);
          }
          if (verdict.kind === 'batch-failure') {
            stats.batchFailures++;
            log(`${partitionKey}@${offsets[0]}..${offsets.at(-1)}: whole batch failed (${verdict.reason})`);
          }
          const plan = planAfterInvocation(pending, verdict, maxRetries, pageEnd);
          if (plan.exhausted.length > 0) {
            const reason = verdict.kind === 'batch-failure' ? verdict.reason : 'listed in batchItemFailures';
            const range = `${plan.exhausted[0]!.offset}..${plan.exhausted.at(-1)!.offset}`;
            if (producer) {
              log(
                `${partitionKey}: retries exhausted for ${plan.exhausted.length} record(s) (${range}; ${reason}), ` +
                  `sent to ${opts.onFailureTopic}`,
              );
              await sendToOnFailure(batch.topic, batch.partition, plan.exhausted, threw);
            } else {
              stats.discarded += plan.exhausted.length;
              log(
                `${partitionKey}: retries exhausted for ${plan.exhausted.length} record(s) (${range}; ${reason}), ` +
                  'DISCARDED (no on-failure topic)',
              );
            }
          }
          chunks = chunksAfterInvocation(plan, verdict, chunks.slice(1), opts.bisectBatchOnError === true);
          await commit(chunks[0]?.[0]?.offset ?? pageEnd);
          stats.lastProgressAt = Date.now();
          restartsWithoutProgress = 0;
          if (plan.retry.length === 0) continue;
          stats.redeliveries++;
          const from = plan.retry[0]!.offset;
          if (chunks[0]!.length < plan.retry.length) {
            stats.bisections++;
            log(
              `${partitionKey}: splitting ${plan.retry.length} record(s) from offset ${from} in two (retry ${attempt})`,
            );
          } else {
            log(`${partitionKey}: retrying ${plan.retry.length} record(s) from offset ${from} (retry ${attempt})`);
          }
          await new Promise((r) => setTimeout(r, Math.min(5000, backoffMs * 2 ** Math.min(attempt - 1, 5))));
          await heartbeat();
        }
        await heartbeat();
      }
    },
  });

  return {
    stats,
    failure,
    async lag() {
      const [ends, [committed]] = await Promise.all([
        admin.fetchTopicOffsets(opts.topic),
        admin.fetchOffsets({ groupId, topics: [opts.topic] }),
      ]);
      const partitions = ends.map((p) => {
        const c = Number(committed?.partitions.find((x) => x.partition === p.partition)?.offset ?? -1);
        const from = c >= 0 ? c : Number(p.low);
        const end = Number(p.high);
        return { partition: p.partition, committed: c, end, lag: Math.max(0, end - from) };
      });
      return { total: partitions.reduce((n, p) => n + p.lag, 0), partitions };
    },
    async stop() {
      stopping = true;
      await consumer.disconnect();
      await producer?.disconnect();
      await admin.disconnect();
    },
  };
}
