/**
 * A local stand-in for Lambda's Kafka event source mapping, with the same contract the
 * CDK stack configures in AWS: consume the input topic with a consumer group, invoke the
 * handler with the ESM event shape (records grouped by topic-partition, base64), commit
 * only what succeeded, redeliver from the reported failure offset with bounded retries,
 * then send the records that still fail to an on-failure topic and move on.
 */
import type { Context } from 'aws-lambda';
import type { Consumer, Kafka, KafkaMessage, Producer } from 'kafkajs';
import { kafkaEsmEventFor, type KafkaBatchResponse, type KafkaEsmEvent } from './kafka-event.js';

export type EsmHandler = (event: KafkaEsmEvent, context: Context) => Promise<KafkaBatchResponse | void>;

export interface LocalEsmOptions {
  readonly kafka: Kafka;
  readonly topic: string;
  /** @default 'mw-page-content-change-enrich' */
  readonly groupId?: string;
  /** Records per invocation. @default 100 */
  readonly batchSize?: number;
  /** How long the consumer waits to fill a batch, ms. @default 500 */
  readonly batchingWindowMs?: number;
  /** Redeliveries of a failed record before it goes to the on-failure topic. @default 3 */
  readonly maxRetryAttempts?: number;
  /** Where records go after the retries; unset keeps retrying forever (like Lambda's -1). */
  readonly onFailureTopic?: string;
  /** Invocation timeout given to the handler's context, ms. @default 60000 */
  readonly invocationTimeoutMs?: number;
  /** Partitions processed at the same time (Lambda: one invocation per partition at a time). @default 3 */
  readonly partitionsConcurrently?: number;
  /** Start from the earliest offset when the group has none. @default true */
  readonly fromBeginning?: boolean;
  readonly log?: (message: string) => void;
}

export interface LocalEsmStats {
  invocations: number;
  records: number;
  redeliveries: number;
  sentToOnFailure: number;
  handlerErrors: number;
}

export interface LocalEsm {
  readonly stats: LocalEsmStats;
  stop(): Promise<void>;
}

/** Offset of the first record to redeliver, or undefined when the whole batch succeeded. */
export function firstFailedOffset(response: KafkaBatchResponse | void, partitionKey: string, batchOffsets: readonly number[]): number | undefined {
  const failures = response?.batchItemFailures ?? [];
  if (!Array.isArray(failures)) return batchOffsets[0];
  let earliest: number | undefined;
  for (const f of failures) {
    const id = f?.itemIdentifier;
    const offset = Number(id?.offset);
    // A malformed identifier fails the whole batch, as Lambda does.
    if (!id || id.partition !== partitionKey || !Number.isInteger(offset) || !batchOffsets.includes(offset)) return batchOffsets[0];
    earliest = earliest === undefined ? offset : Math.min(earliest, offset);
  }
  return earliest;
}

export async function startLocalEsm(handler: EsmHandler, opts: LocalEsmOptions): Promise<LocalEsm> {
  const log = opts.log ?? (() => undefined);
  const batchSize = opts.batchSize ?? 100;
  const maxRetries = opts.maxRetryAttempts ?? 3;
  const timeoutMs = opts.invocationTimeoutMs ?? 60_000;
  const stats: LocalEsmStats = { invocations: 0, records: 0, redeliveries: 0, sentToOnFailure: 0, handlerErrors: 0 };
  const consumer: Consumer = opts.kafka.consumer({
    groupId: opts.groupId ?? 'mw-page-content-change-enrich',
    maxWaitTimeInMs: opts.batchingWindowMs ?? 500,
    retry: { retries: 10, initialRetryTime: 300, maxRetryTime: 5000, restartOnFailure: async () => true },
  });
  let producer: Producer | undefined;
  if (opts.onFailureTopic) {
    producer = opts.kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
  }
  await consumer.connect();
  await consumer.subscribe({ topics: [opts.topic], fromBeginning: opts.fromBeginning ?? true });

  async function invoke(topic: string, partition: number, messages: KafkaMessage[]): Promise<KafkaBatchResponse | void> {
    const event = kafkaEsmEventFor(
      messages.map((m) => ({
        topic,
        partition,
        offset: Number(m.offset),
        key: m.key,
        value: m.value,
        timestamp: Number(m.timestamp),
        headers: Object.entries(m.headers ?? {}).flatMap(([k, v]) => (v === undefined ? [] : [[k, Buffer.from(v as Buffer | string)] as const])),
      })),
    );
    const started = Date.now();
    const context = {
      functionName: 'page-content-change-enrich-local-esm',
      awsRequestId: `local-esm-${topic}-${partition}-${messages[0]!.offset}-${started}`,
      getRemainingTimeInMillis: () => timeoutMs - (Date.now() - started),
    } as unknown as Context;
    stats.invocations++;
    stats.records += messages.length;
    return handler(event, context);
  }

  async function sendToOnFailure(topic: string, partition: number, messages: KafkaMessage[], attempts: number): Promise<void> {
    await producer!.send({
      topic: opts.onFailureTopic!,
      acks: -1,
      messages: messages.map((m) => ({
        key: m.key,
        value: m.value,
        headers: {
          ...(m.headers ?? {}),
          source_topic: topic,
          source_partition: String(partition),
          source_offset: m.offset,
          failure_condition: 'RetryAttemptsExhausted',
          approximate_invoke_count: String(attempts),
        },
      })),
    });
    stats.sentToOnFailure += messages.length;
  }

  await consumer.run({
    autoCommit: false,
    eachBatchAutoResolve: false,
    partitionsConsumedConcurrently: opts.partitionsConcurrently ?? 3,
    eachBatch: async ({ batch, heartbeat, isRunning, isStale, resolveOffset }) => {
      const partitionKey = `${batch.topic}-${batch.partition}`;
      for (let i = 0; i < batch.messages.length && isRunning() && !isStale(); i += batchSize) {
        let pending = batch.messages.slice(i, i + batchSize);
        for (let attempt = 1; pending.length > 0; attempt++) {
          let failedAt: number | undefined;
          try {
            const response = await invoke(batch.topic, batch.partition, pending);
            failedAt = firstFailedOffset(response, partitionKey, pending.map((m) => Number(m.offset)));
          } catch (err) {
            stats.handlerErrors++;
            log(`handler error on ${partitionKey}@${pending[0]!.offset}: ${(err as Error).message}`);
            failedAt = Number(pending[0]!.offset);
          }
          const done = failedAt === undefined ? pending : pending.filter((m) => Number(m.offset) < failedAt!);
          if (done.length > 0) {
            // Unresolved messages are fetched again by kafkajs; committed ones survive a restart.
            resolveOffset(done.at(-1)!.offset);
            await consumer.commitOffsets([{ topic: batch.topic, partition: batch.partition, offset: String(Number(done.at(-1)!.offset) + 1) }]);
          }
          if (failedAt === undefined) break;
          pending = pending.filter((m) => Number(m.offset) >= failedAt!);
          if (opts.onFailureTopic && attempt > maxRetries) {
            log(`${partitionKey}@${failedAt}: retries exhausted, ${pending.length} record(s) to ${opts.onFailureTopic}`);
            await sendToOnFailure(batch.topic, batch.partition, pending, attempt);
            resolveOffset(pending.at(-1)!.offset);
            await consumer.commitOffsets([{ topic: batch.topic, partition: batch.partition, offset: String(Number(pending.at(-1)!.offset) + 1) }]);
            break;
          }
          stats.redeliveries++;
          log(`${partitionKey}: redelivering from offset ${failedAt} (attempt ${attempt + 1})`);
          await new Promise((r) => setTimeout(r, Math.min(5000, 200 * 2 ** Math.min(attempt, 5))));
          if (!isRunning() || isStale()) return;
          await heartbeat();
        }
        await heartbeat();
      }
    },
  });

  return {
    stats,
    async stop() {
      await consumer.disconnect();
      await producer?.disconnect();
    },
  };
}
