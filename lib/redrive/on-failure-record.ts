/**
 * The records of a Kafka on-failure destination, as Lambda writes them: "Using a Kafka topic as an
 * on-failure destination", section "Record format for a Kafka destination"
 * (https://docs.aws.amazon.com/lambda/latest/dg/kafka-on-failure-destination.html#kafka-ofd-record-format).
 * Each message is keyed with the failed record's key; its value is a JSON document with the failure
 * metadata and, in `payload`, the event source mapping's event holding the failed record (key and value
 * base64, headers as byte arrays). The local event source mapping writes the same
 * (scripts/lib/on-failure-record.ts); redrive reads this shape and nothing else.
 */
import { decodeEsmHeaders, type KafkaEsmEvent } from '../event-source/kafka-event.js';
import { CARRIED_HEADERS } from '../pipeline/redrive-headers.js';

/** `requestContext.condition` values. The page's example: `RetriesExhausted` when the retries ran out. */
export const ON_FAILURE_CONDITION = { retriesExhausted: 'RetriesExhausted' } as const;

/** The document of one on-failure message, field for field as the AWS page's example. */
export interface KafkaOnFailureDocument {
  readonly requestContext: {
    readonly requestId: string;
    readonly functionArn: string;
    readonly condition: string;
    readonly approximateInvokeCount: number;
  };
  readonly responseContext: {
    readonly statusCode: number;
    readonly executedVersion: string;
    readonly functionError?: string;
  };
  readonly version: string;
  /** When the record was sent to the destination (ISO 8601). */
  readonly timestamp: string;
  readonly KafkaBatchInfo: {
    readonly batchSize: number;
    /** MSK only, as in the event. */
    readonly eventSourceArn?: string;
    readonly bootstrapServers: string;
    /** Bytes of `payload`. */
    readonly payloadSize: number;
    readonly recordInfo: { readonly offset: string; readonly timestamp: string };
  };
  readonly payload: KafkaEsmEvent;
}

/** The parts redrive relies on; anything else in the document is not checked. */
interface ReadableDocument {
  requestContext: { condition?: unknown };
  payload: { records: Record<string, unknown> };
}

function onFailureDocument(value: Buffer | null): ReadableDocument | undefined {
  if (value?.[0] !== 0x7b /* { */) return undefined;
  try {
    const doc = JSON.parse(value.toString('utf8')) as Partial<ReadableDocument>;
    const records = doc?.payload?.records;
    return doc.requestContext && records && typeof records === 'object' ? (doc as ReadableDocument) : undefined;
  } catch {
    return undefined;
  }
}

function headersOfEsmRecord(headers: unknown): Record<string, string> {
  return Object.fromEntries(decodeEsmHeaders(headers).map(([name, bytes]) => [name, bytes.toString('utf8')]));
}

/** Original headers to keep on the redriven copy: not earlier redrive links (the redrive writes new ones). */
export function originalHeaders(headers: Readonly<Record<string, string>>): Record<string, string> {
  return Object.fromEntries(Object.entries(headers).filter(([k]) => !CARRIED_HEADERS.has(k)));
}

/** One failed record an on-failure document holds, with all its headers (earlier redrive links included). */
export interface FailedRecord {
  readonly key: Buffer | null;
  readonly value: Buffer;
  readonly headers: Record<string, string>;
}

/**
 * The failed records of an on-failure message (every record of its `payload`, in offset order) and its
 * failure condition (`undefined` when it names none); `undefined` when the message is not such a document.
 */
export function failedRecordsOf(message: {
  readonly key: Buffer | null;
  readonly value: Buffer | null;
}): { condition: string | undefined; records: FailedRecord[] } | undefined {
  const doc = onFailureDocument(message.value);
  if (!doc) return undefined;
  return {
    condition: typeof doc.requestContext.condition === 'string' ? doc.requestContext.condition : undefined,
    records: Object.values(doc.payload.records)
      .flatMap((list) => (Array.isArray(list) ? (list as Array<Record<string, unknown>>) : []))
      .sort((a, b) => Number(a.offset) - Number(b.offset))
      .map((r) => ({
        key: typeof r.key === 'string' ? Buffer.from(r.key, 'base64') : message.key,
        value: Buffer.from(typeof r.value === 'string' ? r.value : '', 'base64'),
        headers: headersOfEsmRecord(r.headers),
      })),
  };
}
