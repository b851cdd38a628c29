/**
 * The record the local event source mapping writes to its on-failure topic: what Lambda writes to a Kafka
 * on-failure destination, as AWS documents it in "Using a Kafka topic as an on-failure destination", section
 * "Record format for a Kafka destination"
 * (https://docs.aws.amazon.com/lambda/latest/dg/kafka-on-failure-destination.html#kafka-ofd-record-format):
 * one message per failed record, keyed with the record's own key ("Partition key behavior"), whose value is a
 * JSON document with the failure metadata (`requestContext`, `responseContext`, `version`, `timestamp`,
 * `KafkaBatchInfo`) and, in `payload`, the event source mapping's event holding that record. No headers.
 * lib/redrive/on-failure-record.ts reads exactly this shape.
 */
import type { KafkaEsmEvent } from '../../lib/event-source/kafka-event.js';
import { ON_FAILURE_CONDITION, type KafkaOnFailureDocument } from '../../lib/redrive/on-failure-record.js';
import { kafkaEsmEventFor } from './esm-event.js';

/** The local function's ARN in `requestContext.functionArn` (Lambda writes the function's, version included). */
export const LOCAL_FUNCTION_ARN = 'arn:aws:lambda:local:000000000000:function:page-content-change-enrich:$LATEST';

export interface FailedRecordInput {
  /** The record as the event source mapping delivered it (one entry of the event's `records`). */
  readonly record: Parameters<typeof kafkaEsmEventFor>[0][number];
  /** Invocations the record was part of: `requestContext.approximateInvokeCount`. */
  readonly invocations: number;
  /** The last invocation threw (Lambda: `responseContext.functionError` "Unhandled"). */
  readonly functionError: boolean;
  /** `requestContext.requestId` of the last invocation. */
  readonly requestId: string;
  /** When the record was given up on. */
  readonly now: Date;
  /** `bootstrapServers` of the event (and of `KafkaBatchInfo`). @default '127.0.0.1:9092' */
  readonly bootstrapServers?: string;
}

/** The on-failure message for one failed record: its key, and the AWS document as JSON. */
export function onFailureMessageFor(input: FailedRecordInput): { key: Buffer | string | null; value: string } {
  const { record } = input;
  const bootstrapServers = input.bootstrapServers ?? '127.0.0.1:9092';
  const payload: KafkaEsmEvent = kafkaEsmEventFor([record], { bootstrapServers });
  const timestamp = record.timestamp ?? input.now.getTime();
  const doc: KafkaOnFailureDocument = {
    requestContext: {
      requestId: input.requestId,
      functionArn: LOCAL_FUNCTION_ARN,
      condition: ON_FAILURE_CONDITION.retriesExhausted,
      approximateInvokeCount: input.invocations,
    },
    responseContext: {
      statusCode: 200,
      executedVersion: '$LATEST',
      ...(input.functionError ? { functionError: 'Unhandled' } : {}),
    },
    version: '1.0',
    timestamp: input.now.toISOString(),
    KafkaBatchInfo: {
      batchSize: 1,
      ...('eventSourceArn' in payload ? { eventSourceArn: payload.eventSourceArn } : {}),
      bootstrapServers,
      payloadSize: Buffer.byteLength(JSON.stringify(payload)),
      recordInfo: { offset: String(record.offset), timestamp: new Date(timestamp).toISOString() },
    },
    payload,
  };
  return { key: record.key, value: JSON.stringify(doc) };
}
