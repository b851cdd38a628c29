/**
 * Builds events in the shape Lambda's Kafka event source mapping sends ("Using Lambda with Amazon MSK" /
 * "Using Lambda with self-managed Apache Kafka": records grouped by `topic-partition`, key and value in base64,
 * headers as byte arrays). A development stand-in for local invoke, the local event source mapping and tests;
 * not part of the function.
 */
import type { MSKRecord } from 'aws-lambda';
import type { KafkaEsmEvent } from '../../lib/event-source/kafka-event.js';

/** Builds an ESM-shaped event; used by local invoke and the local event source mapping. */
export function kafkaEsmEventFor(
  records: ReadonlyArray<{
    topic: string;
    partition: number;
    offset: number;
    key: Buffer | string | null;
    value: Buffer | string | null;
    headers?: ReadonlyArray<readonly [string, Buffer | string]>;
    timestamp?: number;
  }>,
  opts: { eventSource?: 'aws:kafka' | 'SelfManagedKafka'; eventSourceArn?: string; bootstrapServers?: string } = {},
): KafkaEsmEvent {
  const grouped: Record<string, MSKRecord[]> = {};
  for (const r of records) {
    const key = `${r.topic}-${r.partition}`;
    (grouped[key] ??= []).push({
      topic: r.topic,
      partition: r.partition,
      offset: r.offset,
      timestamp: r.timestamp ?? Date.now(),
      timestampType: 'CREATE_TIME',
      key: r.key === null ? undefined : Buffer.from(r.key).toString('base64'),
      value: r.value === null ? '' : Buffer.from(r.value).toString('base64'),
      headers: (r.headers ?? []).map(([name, v]) => ({ [name]: [...Buffer.from(v)] })),
    } as unknown as MSKRecord);
  }
  const eventSource = opts.eventSource ?? 'aws:kafka';
  const base = {
    eventSource,
    bootstrapServers: opts.bootstrapServers ?? '127.0.0.1:9092',
    records: grouped,
  };
  return (
    eventSource === 'aws:kafka'
      ? {
          ...base,
          eventSourceArn:
            opts.eventSourceArn ??
            'arn:aws:kafka:us-east-1:111122223333:cluster/local/00000000-0000-0000-0000-000000000000-1',
        }
      : base
  ) as KafkaEsmEvent;
}
