/**
 * Decoding of the event Lambda's Kafka event source mapping delivers (MSK `aws:kafka`
 * and `SelfManagedKafka` share the shape): records grouped by `topic-partition`,
 * key and value base64, header values as arrays of byte values.
 */
import type { MSKEvent, MSKRecord, SelfManagedKafkaEvent } from 'aws-lambda';

export type KafkaEsmEvent = MSKEvent | SelfManagedKafkaEvent;

/** Where a record came from; carried to the output as headers and used for batch item failures. */
export interface SourceRef {
  readonly topic: string;
  readonly partition: number;
  readonly offset: number;
  /**
   * The record's headers the decoder was asked to carry (`carriedHeaders` of {@link decodeKafkaEvent}), as UTF-8
   * text, for the messages made from it. Absent when the record has none of them.
   */
  readonly carriedHeaders?: Readonly<Record<string, string>>;
}

export interface DecodedRecord {
  readonly source: SourceRef;
  /** The `topic-partition` key the record was grouped under in the event. */
  readonly partitionKey: string;
  /** The record's position in the invocation, across partitions. */
  readonly index: number;
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  readonly headers: ReadonlyArray<readonly [string, Buffer]>;
  readonly timestamp?: number;
}

/** One entry of a Kafka partial batch response, as AWS documents it for Kafka event sources. */
export interface KafkaBatchItemFailure {
  readonly itemIdentifier: { readonly partition: string; readonly offset: number };
}

export interface KafkaBatchResponse {
  readonly batchItemFailures: KafkaBatchItemFailure[];
}

export class MalformedKafkaEventError extends Error {
  override readonly name = 'MalformedKafkaEventError';
}

function decodeBase64(value: unknown): Buffer | null {
  if (value === undefined || value === null) return null;
  // Lambda always sends base64 strings; anything else is kept as its JSON text so the record
  // becomes an error event of its own instead of failing the whole batch.
  if (typeof value !== 'string') return Buffer.from(JSON.stringify(value) ?? String(value));
  return Buffer.from(value, 'base64');
}

/**
 * A record's `headers` as Lambda writes them in the event (and in an on-failure record's payload): an array of
 * objects mapping a header name to its bytes. Entries of another shape are left out.
 */
export function decodeEsmHeaders(headers: unknown): Array<readonly [string, Buffer]> {
  if (!Array.isArray(headers)) return [];
  const out: Array<readonly [string, Buffer]> = [];
  for (const entry of headers) {
    if (entry === null || typeof entry !== 'object') continue;
    for (const [name, bytes] of Object.entries(entry as Record<string, unknown>)) {
      // Lambda sends header bytes as signed or unsigned numbers depending on the runtime that produced the event.
      if (Array.isArray(bytes)) out.push([name, Buffer.from(bytes.map((b) => Number(b) & 0xff))]);
    }
  }
  return out;
}

/**
 * Flattens the event into records, partition by partition, each partition in offset order; the headers named in
 * `carriedHeaders` are also given as text in each record's `source`. Throws only when the event itself is not a
 * Kafka ESM event (nothing to report on).
 */
export function decodeKafkaEvent(
  event: unknown,
  options: { readonly carriedHeaders?: ReadonlySet<string> } = {},
): DecodedRecord[] {
  const carry = options.carriedHeaders ?? new Set<string>();
  if (event === null || typeof event !== 'object' || typeof (event as { records?: unknown }).records !== 'object') {
    throw new MalformedKafkaEventError('not a Kafka event source mapping event: missing "records"');
  }
  const records = (event as { records: Record<string, unknown> }).records ?? {};
  const decoded: DecodedRecord[] = [];
  for (const [partitionKey, list] of Object.entries(records)) {
    if (!Array.isArray(list)) throw new MalformedKafkaEventError(`records["${partitionKey}"] is not an array`);
    const ordered = [...(list as MSKRecord[])].sort((a, b) => Number(a.offset) - Number(b.offset));
    for (const record of ordered) {
      const headers = decodeEsmHeaders(record.headers);
      const carried = headers.filter(([name]) => carry.has(name));
      decoded.push({
        source: {
          topic: String(record.topic ?? partitionKey.replace(/-\d+$/, '')),
          partition: Number(record.partition),
          offset: Number(record.offset),
          ...(carried.length > 0
            ? { carriedHeaders: Object.fromEntries(carried.map(([k, v]) => [k, v.toString('utf8')])) }
            : {}),
        },
        partitionKey,
        index: decoded.length,
        key: decodeBase64(record.key),
        value: decodeBase64(record.value),
        headers,
        timestamp: typeof record.timestamp === 'number' ? record.timestamp : undefined,
      });
    }
  }
  return decoded;
}
