/**
 * The ingest's only way into the input topic: a Kafka transactional producer with a fixed
 * transactional id. Connecting registers the id with the broker's transaction coordinator
 * (InitProducerId), which bumps the id's epoch, aborts any transaction a previous holder left open,
 * and fences that holder: its next send or commit is refused. Each batch is one transaction, so
 * its records and the positions in their headers become visible to read_committed readers together,
 * or not at all. (Apache Kafka, "Transactions", KIP-98.)
 */
import type { Kafka, Message, Producer } from 'kafkajs';
import { compressionTypeFor, type KafkaCompressionName } from '../kafka/kafka-codecs.js';
import { patchKafkajsEncoder } from '../kafka/kafkajs-encoder.js';
import { IngestFencedError } from './errors.js';

export interface TransactionalWriterOptions {
  readonly kafka: Kafka;
  readonly topic: string;
  /** `INGEST_TRANSACTIONAL_ID`: one per input topic; a second holder fences the first. */
  readonly transactionalId: string;
  /** `KAFKA_COMPRESSION` */
  readonly compression: KafkaCompressionName;
  /** `INGEST_TRANSACTION_TIMEOUT_MS`: the coordinator aborts a transaction left open this long. */
  readonly transactionTimeoutMs: number;
}

/**
 * Broker answers meaning a newer producer holds the transactional id. PRODUCER_FENCED (code 90) is
 * sent to clients of newer protocol versions; kafkajs does not know it and says `Unknown error code 90`.
 */
const FENCED = new Set(['INVALID_PRODUCER_EPOCH', 'PRODUCER_FENCED']);

type Wrapped = { type?: unknown; message?: unknown; cause?: unknown; originalError?: unknown } | undefined;

export function isFencing(err: unknown): boolean {
  const seen = new Set<unknown>();
  for (let e = err as Wrapped; e && !seen.has(e); e = (e.cause ?? e.originalError) as Wrapped) {
    seen.add(e);
    if (typeof e.type === 'string' && FENCED.has(e.type)) return true;
    if (
      typeof e.message === 'string' &&
      /Unknown error code 90\b|producer.*fenced|INVALID_PRODUCER_EPOCH/i.test(e.message)
    )
      return true;
  }
  return false;
}

export class TransactionalWriter {
  private constructor(
    private readonly producer: Producer,
    private readonly options: TransactionalWriterOptions,
  ) {}

  /** Connects and claims the transactional id, fencing any earlier holder. */
  static async open(options: TransactionalWriterOptions): Promise<TransactionalWriter> {
    patchKafkajsEncoder();
    const producer = options.kafka.producer({
      transactionalId: options.transactionalId,
      idempotent: true,
      maxInFlightRequests: 1,
      transactionTimeout: options.transactionTimeoutMs,
      allowAutoTopicCreation: false,
    });
    try {
      await producer.connect();
      // kafkajs's connect() registers a plain idempotent producer id; the transactional id is registered with the
      // coordinator (InitProducerId with the id: the epoch bump that fences an earlier holder and completes its open
      // transaction) only at the first transaction(). The position must be read back after that claim, so claim now:
      // a transaction begun and aborted before any partition joins it sends nothing but the claim.
      const claim = await producer.transaction();
      await claim.abort();
    } catch (err) {
      await producer.disconnect().catch(() => undefined);
      throw err;
    }
    return new TransactionalWriter(producer, options);
  }

  /**
   * Writes the messages in one transaction and commits it. On any failure the transaction is
   * aborted (nothing of it becomes visible) and the error thrown; `IngestFencedError` when another
   * ingest holds the id now.
   */
  async write(messages: readonly Message[]): Promise<void> {
    if (messages.length === 0) return;
    let transaction: Awaited<ReturnType<Producer['transaction']>> | undefined;
    try {
      transaction = await this.producer.transaction();
      await transaction.send({
        topic: this.options.topic,
        messages: [...messages],
        compression: compressionTypeFor(this.options.compression),
      });
      await transaction.commit();
    } catch (err) {
      if (transaction?.isActive()) await transaction.abort().catch(() => undefined);
      if (isFencing(err)) {
        throw new IngestFencedError(
          `another ingest claimed transactional id ${JSON.stringify(this.options.transactionalId)}; ` +
            'this one stops (its open transaction was aborted, nothing of it is visible)',
        );
      }
      throw err;
    }
  }

  async close(): Promise<void> {
    await this.producer.disconnect().catch(() => undefined);
  }
}
