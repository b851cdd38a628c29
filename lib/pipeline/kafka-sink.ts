/**
 * `kafkaSink`: the enrichment pipeline's sink, writing enriched events to the output topic and error events to
 * the error topic over one `orderedProducer` (lib/kafka/producer.ts), each with the headers of the record it was
 * made from. A failed request marks it and every later message of that stream failed, so the caller reports them
 * for redelivery instead of losing or reordering them.
 */
import type { Kafka } from 'kafkajs';
import { NO_DEADLINE } from '../core/deadline.js';
import { kafkaConnectionConfigFromEnv } from '../kafka/kafka-client.js';
import { type KafkaProducerConfig, kafkaProducerConfigFrom, orderedProducer } from '../kafka/producer.js';
import { readSettings, type SettingValues } from '../settings/catalogue.js';
import { prefixedTopic } from '../settings/topic-name.js';
import type { EventSink, OutboundMessage, SendReport, StreamKind } from './sink.js';

/** The sink's settings; each field names its variable in `lib/settings/catalogue.ts`. */
export interface KafkaSinkConfig extends KafkaProducerConfig {
  /** `OUTPUT_TOPIC`, prefixed by `KAFKA_TOPIC_PREFIX`. */
  readonly outputTopic: string;
  /** `ERROR_TOPIC`, prefixed by `KAFKA_TOPIC_PREFIX`. */
  readonly errorTopic: string;
}

export function kafkaSinkConfigFromEnv(env: NodeJS.ProcessEnv, s: SettingValues = readSettings(env)): KafkaSinkConfig {
  return {
    ...kafkaProducerConfigFrom(kafkaConnectionConfigFromEnv(env, s), s),
    outputTopic: prefixedTopic(s.KAFKA_TOPIC_PREFIX, s.OUTPUT_TOPIC),
    errorTopic: prefixedTopic(s.KAFKA_TOPIC_PREFIX, s.ERROR_TOPIC),
  };
}

/** Source of the record, for tracing an output message back to its input. */
export function sourceHeaders(m: OutboundMessage): Record<string, string> {
  return {
    ...m.source.carriedHeaders,
    source_topic: m.source.topic,
    source_partition: String(m.source.partition),
    source_offset: String(m.source.offset),
  };
}

export interface KafkaSink extends EventSink {
  readonly sendWorstCaseMs: number;
  disconnect(): Promise<void>;
  /** `producers`: producers created (one, unless one was replaced). */
  readonly stats: { requests: number; bytes: number; producers: number };
}

export function kafkaSink(config: KafkaSinkConfig, kafkaFactory?: () => Promise<Kafka>): KafkaSink {
  const producer = orderedProducer(config, kafkaFactory);
  const topics: Record<StreamKind, string> = { output: config.outputTopic, error: config.errorTopic };
  return {
    stats: producer.stats,
    sendWorstCaseMs: producer.sendWorstCaseMs,
    async send(messages, deadline = NO_DEADLINE): Promise<SendReport> {
      const failed = new Set<number>();
      const byKind: Record<StreamKind, Array<{ index: number; message: OutboundMessage }>> = { output: [], error: [] };
      for (const [index, message] of messages.entries()) byKind[message.kind].push({ index, message });
      await Promise.all(
        (Object.keys(byKind) as StreamKind[]).map(async (kind) => {
          const entries = byKind[kind];
          // Each value is serialized once, here, to the bytes kafkajs writes; requests are chunked by those bytes.
          const records = entries.map(({ message }) => ({
            key: message.key,
            value: Buffer.from(message.value, 'utf8'),
            headers: sourceHeaders(message),
            timestamp: message.timestamp,
          }));
          const written = await producer.sendInOrder(topics[kind], records, deadline);
          // The first request that was not written and every later one of the stream go back to Lambda, in order.
          for (const { index } of entries.slice(written)) failed.add(index);
        }),
      );
      return { failed };
    },
    disconnect: () => producer.disconnect(),
  };
}

export function kafkaSinkFromEnv(env: NodeJS.ProcessEnv): KafkaSink {
  return kafkaSink(kafkaSinkConfigFromEnv(env));
}
