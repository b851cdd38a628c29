/**
 * Where results go. The pipeline hands every record's result to a sink as one
 * message; the sink reports which messages it could not durably write.
 */
import type { SourceRef } from '../event-source/kafka-event.js';
import type { Deadline } from '../core/deadline.js';

export type StreamKind = 'output' | 'error';

export interface OutboundMessage {
  readonly kind: StreamKind;
  readonly key: string | null;
  /**
   * The serialized event. Enriched messages serialize on access and keep nothing, so a batch
   * holds each revision's content once, not once per event; read it once, when sending.
   */
  readonly value: string;
  /**
   * UTF-8 bytes of key and value, known without serializing: exact, or for an enriched event far
   * below the size limit a lower bound that leaves out JSON escapes (a few percent).
   */
  readonly bytes: number;
  readonly source: SourceRef;
  /** The record's Kafka timestamp, ms since the epoch; unset, the producer's clock at sending. */
  readonly timestamp?: number;
}

export interface SendReport {
  /** Indices (into the sent array) of messages that were not written. */
  readonly failed: ReadonlySet<number>;
}

export interface EventSink {
  /**
   * Writes the messages, each stream in order. A sink that cannot finish before `deadline`
   * gives up and reports what it did not confirm as failed, rather than running past it.
   */
  send(messages: readonly OutboundMessage[], deadline?: Deadline): Promise<SendReport>;
  /**
   * The longest one `send` takes when the deadline does not cut it short, ms: the time the
   * handler keeps for producing (see `invocationDeadlines`). @default 0
   */
  readonly sendWorstCaseMs?: number;
}
