/**
 * `orderedSender`: hands records' messages to a sink in record order, in batches of up to
 * `maxBatchBytes`, and keeps account of which records were written. It stops short instead of
 * reordering: after a record that is held back, nothing later of its partition is sent; after a
 * failed send, nothing later of that stream is sent; after the deadline, nothing is sent. Every
 * record it did not write is therefore one the caller reports for redelivery, and a retry
 * replays each partition (and each output stream) in its original order.
 */
import { NO_DEADLINE, type Deadline } from '../core/deadline.js';
import type { EventSink, OutboundMessage, StreamKind } from './sink.js';

export interface OrderedSenderOptions {
  readonly sink: EventSink;
  /** Bytes buffered before a send; the output topic's `max.message.bytes` suits. */
  readonly maxBatchBytes: number;
  /**
   * No send starts after this instant, and the sink is told to abandon one that would run past
   * it. @default NO_DEADLINE
   */
  readonly deadline?: Deadline;
  /**
   * Called with each record's index once the sender is done with its message (written, failed or
   * not sent): what the message was built from can go. @default - nothing is called
   */
  readonly done?: (index: number) => void;
}

export interface OrderedSender {
  /**
   * The message of record `index` (records must come in record order). It is written unless an
   * earlier record of its partition was held back, its stream failed, or the deadline passed.
   */
  add(index: number, partitionKey: string, message: OutboundMessage): Promise<void>;
  /** A record of this partition is not written in this invocation: later ones wait behind it. */
  holdBack(partitionKey: string): void;
  /** Sends what is buffered (records may be added after it). After the last flush, `written` is final. */
  flush(): Promise<void>;
  /** Indices of the records the sink confirmed as written. */
  readonly written: ReadonlySet<number>;
  /** Messages the sink did not write, or that were not sent because their stream had failed. */
  readonly sinkFailures: number;
  /** Messages not sent because the deadline had passed. */
  readonly unsentAtDeadline: number;
}

interface Pending {
  readonly index: number;
  readonly message: OutboundMessage;
}

/**
 * Share of `maxBatchBytes` after which a batch is sent. A batch passes it by at most one message;
 * the rest of `maxBatchBytes` takes that message, the record overhead and the JSON escapes that
 * message sizes may leave out (newlines and quotes, a few percent of wikitext), so that the sink,
 * which chunks by the bytes it serializes, does not split off a small tail request.
 */
const BATCH_FILL = 15 / 16;

export function orderedSender(options: OrderedSenderOptions): OrderedSender {
  const deadline = options.deadline ?? NO_DEADLINE;
  const budget = options.maxBatchBytes * BATCH_FILL;
  const written = new Set<number>();
  const heldBackPartitions = new Set<string>();
  const failedStreams = new Set<StreamKind>();
  let buffer: Pending[] = [];
  let bufferBytes = 0;
  let sinkFailures = 0;
  let unsentAtDeadline = 0;

  async function flush(): Promise<void> {
    const batch = buffer;
    buffer = [];
    bufferBytes = 0;
    if (batch.length === 0) return;
    try {
      await sendBatch(batch);
    } finally {
      if (options.done) for (const m of batch) options.done(m.index);
    }
  }

  async function sendBatch(batch: Pending[]): Promise<void> {
    if (deadline.remainingMs() <= 0) {
      unsentAtDeadline += batch.length;
      return;
    }
    const sendable = batch.filter((m) => !failedStreams.has(m.message.kind));
    sinkFailures += batch.length - sendable.length;
    if (sendable.length === 0) return;
    let failed: ReadonlySet<number>;
    try {
      failed = (
        await options.sink.send(
          sendable.map((m) => m.message),
          deadline,
        )
      ).failed;
    } catch {
      // A sink that throws has written nothing we can vouch for.
      failed = new Set(sendable.keys());
    }
    sendable.forEach((m, i) => {
      if (failed.has(i)) {
        sinkFailures++;
        failedStreams.add(m.message.kind);
      } else {
        written.add(m.index);
      }
    });
  }

  return {
    async add(index, partitionKey, message) {
      if (heldBackPartitions.has(partitionKey)) return;
      buffer.push({ index, message });
      bufferBytes += message.bytes;
      if (bufferBytes >= budget) await flush();
    },
    holdBack(partitionKey) {
      heldBackPartitions.add(partitionKey);
    },
    flush,
    written,
    get sinkFailures() {
      return sinkFailures;
    },
    get unsentAtDeadline() {
      return unsentAtDeadline;
    },
  };
}
