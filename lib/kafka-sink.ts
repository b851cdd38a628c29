/**
 * `kafkaSink`: produces enriched events to the output topic and error events to the
 * error topic with one idempotent producer per container (acks=all, compression,
 * per-key order). Messages are sent in as few requests as the topic's size limit
 * allows; a failed request marks it and every later message of that stream failed,
 * so the caller reports them for redelivery instead of losing or reordering them.
 */
import { gzip, unzip } from 'node:zlib';
import { promisify } from 'node:util';
import kafkajs, { CompressionTypes, type Kafka, type Message, type Producer } from 'kafkajs';
import { readSettings, type SettingValues } from './settings.js';
import { compressionTypeFor } from './kafka-codecs.js';
import { createKafka, forgetCachedSecrets, kafkaConnectionConfigFromEnv, prefixedTopic, type KafkaConnectionConfig } from './kafka-client.js';
import type { EventSink, OutboundMessage, SendReport, StreamKind } from './sink.js';

/** The producer's settings; each field names its variable in `lib/settings.ts`. */
export interface KafkaSinkConfig {
  readonly connection: KafkaConnectionConfig;
  /** `OUTPUT_TOPIC`, prefixed by `KAFKA_TOPIC_PREFIX`. */
  readonly outputTopic: string;
  /** `ERROR_TOPIC`, prefixed by `KAFKA_TOPIC_PREFIX`. */
  readonly errorTopic: string;
  /** `KAFKA_MAX_MESSAGE_BYTES`: bytes per produce request and per message. */
  readonly maxMessageBytes: number;
  /** `KAFKA_COMPRESSION` */
  readonly compression: SettingValues['KAFKA_COMPRESSION'];
  /**
   * `KAFKA_GZIP_LEVEL`. Level 1 compresses about 6× faster than zlib's default 6 for about 20%
   * more bytes (see the benchmark): producing, not fetching, bounds throughput.
   */
  readonly gzipLevel?: number;
}

const gzipAsync = promisify(gzip);
const unzipAsync = promisify(unzip);

/** kafkajs keeps one process-wide gzip codec; this replaces it with one at the given level. */
export function useGzipLevel(level: number): void {
  kafkajs.CompressionCodecs[CompressionTypes.GZIP] = () => ({
    compress: (encoder: { buffer: Buffer }) => gzipAsync(encoder.buffer, { level }),
    decompress: (buffer: Buffer) => unzipAsync(buffer),
  });
}

export function maxMessageBytesFromEnv(env: NodeJS.ProcessEnv = process.env): number {
  return readSettings(env).KAFKA_MAX_MESSAGE_BYTES;
}

export function kafkaSinkConfigFromEnv(env: NodeJS.ProcessEnv = process.env): KafkaSinkConfig {
  const s = readSettings(env);
  return {
    connection: kafkaConnectionConfigFromEnv(env),
    outputTopic: prefixedTopic(s.OUTPUT_TOPIC, env),
    errorTopic: prefixedTopic(s.ERROR_TOPIC, env),
    maxMessageBytes: s.KAFKA_MAX_MESSAGE_BYTES,
    compression: s.KAFKA_COMPRESSION,
    gzipLevel: s.KAFKA_GZIP_LEVEL,
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

/** Splits messages, in order, into groups of at most `maxBytes` (a larger message travels alone). */
export function chunkBySize<T>(items: readonly T[], sizeOf: (item: T) => number, maxBytes: number): T[][] {
  const chunks: T[][] = [];
  let current: T[] = [];
  let bytes = 0;
  for (const item of items) {
    const size = sizeOf(item) + 64; // record overhead in the batch
    if (current.length > 0 && bytes + size > maxBytes) {
      chunks.push(current);
      current = [];
      bytes = 0;
    }
    current.push(item);
    bytes += size;
  }
  if (current.length > 0) chunks.push(current);
  return chunks;
}

export interface KafkaSink extends EventSink {
  disconnect(): Promise<void>;
  readonly stats: { requests: number; bytes: number };
}

export function kafkaSink(config: KafkaSinkConfig, kafkaFactory: () => Promise<Kafka> = () => createKafka(config.connection)): KafkaSink {
  if (config.compression === 'gzip') useGzipLevel(config.gzipLevel ?? 1);
  const compression = compressionTypeFor(config.compression); // zstd is refused here where Node cannot write it
  let producer: Producer | undefined;
  let connecting: Promise<Producer> | undefined;
  const stats = { requests: 0, bytes: 0 };

  async function connectedProducer(): Promise<Producer> {
    if (producer) return producer;
    connecting ??= (async () => {
      const kafka = await kafkaFactory();
      const p = kafka.producer({
        idempotent: true,
        maxInFlightRequests: 1,
        allowAutoTopicCreation: false,
        retry: { retries: 5, initialRetryTime: 200, maxRetryTime: 3000 },
      });
      p.on(p.events.DISCONNECT, () => {
        if (producer === p) producer = undefined;
      });
      try {
        await p.connect();
      } catch (err) {
        // A producer that never connected still holds sockets: close it, or each invocation leaks one.
        await p.disconnect().catch(() => undefined);
        if ((err as { name?: string }).name === 'KafkaJSSASLAuthenticationError') forgetCachedSecrets();
        throw err;
      }
      producer = p;
      return p;
    })().finally(() => (connecting = undefined));
    return connecting;
  }

  /**
   * After a lost connection the producer is replaced on next use. Other failures (a topic
   * refusing a message, say) leave it alone: the other stream may be using it right now.
   */
  async function discardIfConnectionLost(p: Producer | undefined, err: unknown): Promise<void> {
    if (!p || producer !== p || !isConnectionError(err)) return;
    producer = undefined;
    await p.disconnect().catch(() => undefined);
  }

  async function sendStream(kind: StreamKind, entries: Array<{ index: number; message: OutboundMessage }>, failed: Set<number>): Promise<void> {
    const topic = kind === 'output' ? config.outputTopic : config.errorTopic;
    const chunks = chunkBySize(entries, (e) => e.message.bytes, config.maxMessageBytes);
    for (let c = 0; c < chunks.length; c++) {
      const chunk = chunks[c]!;
      let p: Producer | undefined;
      try {
        p = await connectedProducer();
        const messages: Message[] = chunk.map(({ message }) => ({ key: message.key, value: message.value, headers: sourceHeaders(message) }));
        stats.requests++;
        stats.bytes += chunk.reduce((n, e) => n + e.message.bytes, 0);
        await p.send({
          topic,
          messages,
          acks: -1,
          compression,
        });
      } catch (err) {
        // This chunk and every later one of the stream go back to Lambda, in order.
        for (const rest of chunks.slice(c)) for (const e of rest) failed.add(e.index);
        await discardIfConnectionLost(p, err);
        return;
      }
    }
  }

  return {
    stats,
    async send(messages): Promise<SendReport> {
      const failed = new Set<number>();
      const byKind: Record<StreamKind, Array<{ index: number; message: OutboundMessage }>> = { output: [], error: [] };
      messages.forEach((message, index) => byKind[message.kind].push({ index, message }));
      await Promise.all([sendStream('output', byKind.output, failed), sendStream('error', byKind.error, failed)]);
      return { failed };
    },
    async disconnect() {
      await connecting?.catch(() => undefined);
      const p = producer;
      producer = undefined;
      await p?.disconnect().catch(() => undefined);
    },
  };
}

function isConnectionError(err: unknown): boolean {
  for (let e = err as { name?: string; cause?: unknown; originalError?: unknown } | undefined, depth = 0; e && depth < 5; depth++) {
    if (typeof e.name === 'string' && /Connection|BrokerNotFound|NotImplemented/.test(e.name)) return true;
    e = (e.originalError ?? e.cause) as typeof e;
  }
  return false;
}

export function kafkaSinkFromEnv(env: NodeJS.ProcessEnv = process.env): KafkaSink {
  return kafkaSink(kafkaSinkConfigFromEnv(env));
}
