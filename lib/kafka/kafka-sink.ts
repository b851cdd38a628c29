/**
 * `kafkaSink`: produces enriched events to the output topic and error events to the
 * error topic with one idempotent producer per container (acks=all, compression,
 * per-key order). Messages are sent in as few requests as the topic's size limit
 * allows; a failed request marks it and every later message of that stream failed,
 * so the caller reports them for redelivery instead of losing or reordering them.
 * No request is awaited past the caller's deadline, and a producer that lost its
 * idempotence session is replaced.
 */
import { constants as zlibConstants, gzip, unzip } from 'node:zlib';
import { promisify } from 'node:util';
import kafkajs, { CompressionTypes, type Kafka, type Message, type Producer } from 'kafkajs';
import { readSettings, type SettingValues } from '../settings/catalogue.js';
import { prefixedTopic } from '../settings/topic-name.js';
import { compressionTypeFor } from './kafka-codecs.js';
import { patchKafkajsEncoder } from './kafkajs-encoder.js';
import {
  createKafka,
  forgetCachedSecrets,
  kafkaConnectionConfigFromEnv,
  type KafkaConnectionConfig,
} from './kafka-client.js';
import { NO_DEADLINE, type Deadline } from '../core/retry.js';
import {
  type EventSink,
  type OutboundMessage,
  RECORD_OVERHEAD_BYTES,
  type SendReport,
  type StreamKind,
} from './sink.js';

/** The producer's settings; each field names its variable in `lib/settings/catalogue.ts`. */
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

/**
 * Output buffer of one gzip call: as large as the input (level 1 rarely grows text), so that the
 * thread pool compresses a record batch in one trip instead of one per 16 KiB of output, each a
 * hop back to the main thread.
 */
export function gzipChunkBytes(inputBytes: number): number {
  return Math.max(zlibConstants.Z_DEFAULT_CHUNK, inputBytes + 1024);
}

/** kafkajs keeps one process-wide gzip codec; this replaces it with one at the given level. */
export function useGzipLevel(level: number): void {
  kafkajs.CompressionCodecs[CompressionTypes.GZIP] = () => ({
    compress: (encoder: { buffer: Buffer }) =>
      gzipAsync(encoder.buffer, { level, chunkSize: gzipChunkBytes(encoder.buffer.length) }),
    decompress: (buffer: Buffer) => unzipAsync(buffer),
  });
}

export function kafkaSinkConfigFromEnv(env: NodeJS.ProcessEnv, s: SettingValues = readSettings(env)): KafkaSinkConfig {
  return {
    connection: kafkaConnectionConfigFromEnv(env, s),
    outputTopic: prefixedTopic(s.KAFKA_TOPIC_PREFIX, s.OUTPUT_TOPIC),
    errorTopic: prefixedTopic(s.KAFKA_TOPIC_PREFIX, s.ERROR_TOPIC),
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
    const size = sizeOf(item) + RECORD_OVERHEAD_BYTES;
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

/**
 * kafkajs retry settings of the producer: few and short. A produce request that keeps failing
 * is better listed for redelivery than retried into the Lambda timeout, and these bound
 * `sendWorstCaseMs`.
 */
export const PRODUCER_RETRY = { retries: 2, initialRetryTime: 100, maxRetryTime: 1000 } as const;

/**
 * The longest one produce request takes through kafkajs when no deadline cuts it short, ms:
 *
 *   (retries + 1) × requestTimeoutMs + retries × maxRetryTime
 *
 * Every attempt may wait the full request timeout, and kafkajs waits at most `maxRetryTime`
 * before each retry (its first wait, initialRetryTime × 1.2, is shorter). The handler keeps this
 * much time before the Lambda deadline for producing (`invocationDeadlines`).
 */
export function sendWorstCaseMs(
  requestTimeoutMs: number,
  retry: { retries: number; maxRetryTime: number } = PRODUCER_RETRY,
): number {
  return (retry.retries + 1) * requestTimeoutMs + retry.retries * retry.maxRetryTime;
}

/**
 * Broker errors after which kafkajs cannot use its producer id again: it treats them as not
 * retriable and never asks for a new id, so every later send of a warm container would fail, or
 * be dropped by the broker as a duplicate. The producer lives as long as the execution
 * environment, which Lambda freezes and reuses across invocations (AWS, "Understanding the Lambda
 * execution environment lifecycle",
 * https://docs.aws.amazon.com/lambda/latest/dg/lambda-runtime-environment.html), so it is replaced.
 */
const LOST_PRODUCER_SESSION = new Set([
  'OUT_OF_ORDER_SEQUENCE_NUMBER',
  'UNKNOWN_PRODUCER_ID',
  'INVALID_PRODUCER_EPOCH',
]);

export interface KafkaSink extends EventSink {
  readonly sendWorstCaseMs: number;
  disconnect(): Promise<void>;
  /** `producers`: producers created (one, unless one was replaced). */
  readonly stats: { requests: number; bytes: number; producers: number };
}

export function kafkaSink(
  config: KafkaSinkConfig,
  kafkaFactory: () => Promise<Kafka> = () => createKafka(config.connection),
): KafkaSink {
  patchKafkajsEncoder();
  if (config.compression === 'gzip') useGzipLevel(config.gzipLevel ?? 1);
  const compression = compressionTypeFor(config.compression); // zstd is refused here where Node cannot write it
  let producer: Producer | undefined;
  let connecting: Promise<Producer> | undefined;
  /** Disconnects of discarded producers, awaited by `disconnect()`. */
  const discarding = new Set<Promise<unknown>>();
  const stats = { requests: 0, bytes: 0, producers: 0 };

  async function connectedProducer(): Promise<Producer> {
    if (producer) return producer;
    connecting ??= (async () => {
      const kafka = await kafkaFactory();
      const p = kafka.producer({
        idempotent: true,
        maxInFlightRequests: 1,
        allowAutoTopicCreation: false,
        retry: { ...PRODUCER_RETRY },
      });
      stats.producers++;
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
   * The producer is replaced on next use after a lost connection, a lost idempotence session,
   * or a request abandoned at the deadline (it may still be in flight). Other failures (a topic
   * refusing a message, say) leave it alone: the other stream may be using it right now.
   */
  function discardIf(p: Producer | undefined, reason: 'abandoned' | unknown): void {
    if (!p || producer !== p) return;
    if (reason !== 'abandoned' && !isConnectionError(reason) && !isLostProducerSession(reason)) return;
    producer = undefined;
    // Not awaited: kafkajs waits for requests in flight, and the broker may not answer before the deadline.
    const closing = p.disconnect().catch(() => undefined);
    discarding.add(closing);
    void closing.finally(() => discarding.delete(closing));
  }

  async function sendStream(
    kind: StreamKind,
    entries: Array<{ index: number; message: OutboundMessage }>,
    failed: Set<number>,
    deadline: Deadline,
  ): Promise<void> {
    const topic = kind === 'output' ? config.outputTopic : config.errorTopic;
    // Each value is serialized once, here, to the bytes kafkajs writes; requests are chunked by those bytes.
    const serialized = entries.map(({ index, message }) => {
      const value = Buffer.from(message.value, 'utf8');
      const bytes = value.length + (message.key === null ? 0 : Buffer.byteLength(message.key, 'utf8'));
      return { index, message, value, bytes };
    });
    const chunks = chunkBySize(serialized, (e) => e.bytes, config.maxMessageBytes);
    // This chunk and every later one of the stream go back to Lambda, in order.
    const failFrom = (c: number) => {
      for (const rest of chunks.slice(c)) for (const e of rest) failed.add(e.index);
    };
    for (let c = 0; c < chunks.length; c++) {
      const chunk = chunks[c]!;
      let p: Producer | undefined;
      try {
        const connected = await beforeDeadline(connectedProducer(), deadline);
        if (connected === DEADLINE_PASSED) return failFrom(c);
        p = connected;
        const messages: Message[] = chunk.map(({ message, value }) => ({
          key: message.key,
          value,
          headers: sourceHeaders(message),
          ...(message.timestamp === undefined ? {} : { timestamp: String(message.timestamp) }),
        }));
        stats.requests++;
        stats.bytes += chunk.reduce((n, e) => n + e.bytes, 0);
        const sent = await beforeDeadline(p.send({ topic, messages, acks: -1, compression }), deadline);
        if (sent === DEADLINE_PASSED) {
          discardIf(p, 'abandoned');
          return failFrom(c);
        }
      } catch (err) {
        discardIf(p, err);
        return failFrom(c);
      }
    }
  }

  return {
    stats,
    sendWorstCaseMs: sendWorstCaseMs(config.connection.requestTimeoutMs),
    async send(messages, deadline = NO_DEADLINE): Promise<SendReport> {
      const failed = new Set<number>();
      const byKind: Record<StreamKind, Array<{ index: number; message: OutboundMessage }>> = { output: [], error: [] };
      for (const [index, message] of messages.entries()) byKind[message.kind].push({ index, message });
      await Promise.all([
        sendStream('output', byKind.output, failed, deadline),
        sendStream('error', byKind.error, failed, deadline),
      ]);
      return { failed };
    },
    async disconnect() {
      await connecting?.catch(() => undefined);
      const p = producer;
      producer = undefined;
      await p?.disconnect().catch(() => undefined);
      await Promise.all(discarding);
    },
  };
}

const DEADLINE_PASSED = Symbol('deadline passed');

/** `work`, or DEADLINE_PASSED if the deadline comes first; `work` goes on, and its failure is then ignored. */
async function beforeDeadline<T>(work: Promise<T>, deadline: Deadline): Promise<T | typeof DEADLINE_PASSED> {
  const ms = deadline.remainingMs();
  if (!Number.isFinite(ms)) return work;
  work.catch(() => undefined);
  if (ms <= 0) return DEADLINE_PASSED;
  let timer: NodeJS.Timeout | undefined;
  const passed = new Promise<typeof DEADLINE_PASSED>((resolve) => {
    timer = setTimeout(resolve, Math.min(ms, 2 ** 31 - 1), DEADLINE_PASSED);
  });
  try {
    return await Promise.race([work, passed]);
  } finally {
    clearTimeout(timer);
  }
}

/** The error and what it wraps: kafkajs nests the broker's error in `cause` or `originalError`. */
function* errorChain(err: unknown): Generator<{ name?: unknown; type?: unknown }> {
  let e = err as { name?: unknown; type?: unknown; cause?: unknown; originalError?: unknown } | undefined;
  for (let depth = 0; e && typeof e === 'object' && depth < 5; depth++) {
    yield e;
    e = (e.originalError ?? e.cause) as typeof e;
  }
}

function isLostProducerSession(err: unknown): boolean {
  for (const e of errorChain(err)) if (typeof e.type === 'string' && LOST_PRODUCER_SESSION.has(e.type)) return true;
  return false;
}

function isConnectionError(err: unknown): boolean {
  const lost = /Connection|BrokerNotFound|NotImplemented/;
  for (const e of errorChain(err)) if (typeof e.name === 'string' && lost.test(e.name)) return true;
  return false;
}

export function kafkaSinkFromEnv(env: NodeJS.ProcessEnv): KafkaSink {
  return kafkaSink(kafkaSinkConfigFromEnv(env));
}
