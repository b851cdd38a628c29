/**
 * `orderedProducer`: one idempotent kafkajs producer per container (acks=all, one request in flight,
 * compression) that writes records to a topic in order, in as few requests as the topic's size limit
 * allows, and stops at the first request that fails or would run past the caller's deadline, so that
 * what it wrote is always a prefix of what it was given. A producer that lost its connection or its
 * idempotence session is replaced on next use. It knows topics and records, nothing of what they hold.
 */
import type { Kafka, Message, Producer } from 'kafkajs';
import { NO_DEADLINE, type Deadline } from '../core/deadline.js';
import type { SettingValues } from '../settings/catalogue.js';
import { compressionTypeFor, useGzipLevel } from './kafka-codecs.js';
import { createKafka, forgetCachedSecrets, type KafkaConnectionConfig } from './kafka-client.js';
import { patchKafkajsEncoder } from './kafkajs-encoder.js';

/** The producer's settings; each field names its variable in `lib/settings/catalogue.ts`. */
export interface KafkaProducerConfig {
  readonly connection: KafkaConnectionConfig;
  /** `KAFKA_MAX_MESSAGE_BYTES`: bytes per produce request and per message. */
  readonly maxMessageBytes: number;
  /** `KAFKA_COMPRESSION` */
  readonly compression: SettingValues['KAFKA_COMPRESSION'];
  /**
   * `KAFKA_GZIP_LEVEL`. Level 1 compresses about 6× faster than zlib's default 6 for about 20%
   * more bytes (see the benchmark): producing, not fetching, bounds throughput. @default 1
   */
  readonly gzipLevel?: number;
}

/** The producer settings of `s`, over a connection read from the same settings. */
export function kafkaProducerConfigFrom(
  connection: KafkaConnectionConfig,
  s: Pick<SettingValues, 'KAFKA_MAX_MESSAGE_BYTES' | 'KAFKA_COMPRESSION' | 'KAFKA_GZIP_LEVEL'>,
): KafkaProducerConfig {
  return {
    connection,
    maxMessageBytes: s.KAFKA_MAX_MESSAGE_BYTES,
    compression: s.KAFKA_COMPRESSION,
    gzipLevel: s.KAFKA_GZIP_LEVEL,
  };
}

/** Bytes a record adds to a Kafka record batch besides its key, value and headers, at most. */
export const RECORD_OVERHEAD_BYTES = 64;

/** One record to write. */
export interface ProducerRecord {
  readonly key: string | null;
  readonly value: Buffer;
  readonly headers?: Readonly<Record<string, string>>;
  /** Kafka timestamp, ms since the epoch; unset, the producer's clock at sending. */
  readonly timestamp?: number;
}

/** Splits items, in order, into groups of at most `maxBytes` (a larger item travels alone). */
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

export interface OrderedProducer {
  /**
   * Writes `records` to `topic` in order and returns how many of the first ones the broker confirmed:
   * every request before the first that failed, or that the deadline cut short (that one and every
   * later one are not sent). No request is awaited past `deadline`.
   */
  sendInOrder(topic: string, records: readonly ProducerRecord[], deadline?: Deadline): Promise<number>;
  /** The longest one `sendInOrder` request takes when no deadline cuts it short, ms. */
  readonly sendWorstCaseMs: number;
  /** `producers`: producers created (one, unless one was replaced). */
  readonly stats: { requests: number; bytes: number; producers: number };
  disconnect(): Promise<void>;
}

export function orderedProducer(
  config: KafkaProducerConfig,
  kafkaFactory: () => Promise<Kafka> = () => createKafka(config.connection),
): OrderedProducer {
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
   * refusing a message, say) leave it alone: another topic may be using it right now.
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

  return {
    stats,
    sendWorstCaseMs: sendWorstCaseMs(config.connection.requestTimeoutMs),
    async sendInOrder(topic, records, deadline = NO_DEADLINE) {
      const sized = records.map((record) => ({
        record,
        bytes: record.value.length + (record.key === null ? 0 : Buffer.byteLength(record.key, 'utf8')),
      }));
      let written = 0;
      for (const chunk of chunkBySize(sized, (e) => e.bytes, config.maxMessageBytes)) {
        let p: Producer | undefined;
        try {
          const connected = await beforeDeadline(connectedProducer(), deadline);
          if (connected === DEADLINE_PASSED) return written;
          p = connected;
          const messages: Message[] = chunk.map(({ record }) => ({
            key: record.key,
            value: record.value,
            headers: record.headers ? { ...record.headers } : undefined,
            ...(record.timestamp === undefined ? {} : { timestamp: String(record.timestamp) }),
          }));
          stats.requests++;
          stats.bytes += chunk.reduce((n, e) => n + e.bytes, 0);
          const sent = await beforeDeadline(p.send({ topic, messages, acks: -1, compression }), deadline);
          if (sent === DEADLINE_PASSED) {
            discardIf(p, 'abandoned');
            return written;
          }
          written += chunk.length;
        } catch (err) {
          discardIf(p, err);
          return written;
        }
      }
      return written;
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
export function* kafkaErrorChain(err: unknown): Generator<{ name?: unknown; type?: unknown; message?: unknown }> {
  let e = err as { name?: unknown; type?: unknown; cause?: unknown; originalError?: unknown } | undefined;
  for (let depth = 0; e && typeof e === 'object' && depth < 5; depth++) {
    yield e;
    e = (e.originalError ?? e.cause) as typeof e;
  }
}

function isLostProducerSession(err: unknown): boolean {
  for (const e of kafkaErrorChain(err))
    if (typeof e.type === 'string' && LOST_PRODUCER_SESSION.has(e.type)) return true;
  return false;
}

function isConnectionError(err: unknown): boolean {
  const lost = /Connection|BrokerNotFound|NotImplemented/;
  for (const e of kafkaErrorChain(err)) if (typeof e.name === 'string' && lost.test(e.name)) return true;
  return false;
}
