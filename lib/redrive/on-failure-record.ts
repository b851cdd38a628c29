/**
 * The on-failure records redrive reads: the AWS document (failure metadata and, in `payload`, the
 * event source mapping's event with the failed records) or a record the local event source mapping
 * copied with metadata headers.
 */
import { CARRIED_HEADERS } from '../kafka/kafka-event.js';

/** Headers the on-failure step adds to a record (the local event source mapping's shape); not redriven. */
const ON_FAILURE_METADATA_HEADERS = new Set([
  'source_topic',
  'source_partition',
  'source_offset',
  'failure_condition',
  'approximate_invoke_count',
]);

/**
 * The AWS shape of an on-failure record: a JSON document with the failure metadata and, in
 * `payload`, the event source mapping's event with the failed records (key and value base64).
 * "Using a Kafka topic as an on-failure destination", section "Record format for a Kafka destination",
 * https://docs.aws.amazon.com/lambda/latest/dg/kafka-on-failure-destination.html
 */
interface AwsOnFailureDocument {
  requestContext?: { condition?: unknown };
  payload: { records: Record<string, unknown> };
}

function awsOnFailureDocument(value: Buffer | null): AwsOnFailureDocument | undefined {
  if (value?.[0] !== 0x7b /* { */) return undefined;
  try {
    const doc = JSON.parse(value.toString('utf8')) as Partial<AwsOnFailureDocument>;
    const records = doc?.payload?.records;
    return doc.requestContext && records && typeof records === 'object' ? (doc as AwsOnFailureDocument) : undefined;
  } catch {
    return undefined;
  }
}

function headersOfEsmRecord(headers: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (!Array.isArray(headers)) return out;
  for (const entry of headers) {
    if (entry === null || typeof entry !== 'object') continue;
    for (const [name, bytes] of Object.entries(entry as Record<string, unknown>)) {
      if (Array.isArray(bytes)) out[name] = Buffer.from(bytes.map((b) => Number(b) & 0xff)).toString('utf8');
    }
  }
  return out;
}

/** Original headers to keep on the redriven copy: not the on-failure metadata, not earlier redrive links. */
export function originalHeaders(headers: Readonly<Record<string, string>>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(headers).filter(([k]) => !ON_FAILURE_METADATA_HEADERS.has(k) && !CARRIED_HEADERS.has(k)),
  );
}

/** One failed record an on-failure record holds, with all its headers (earlier redrive links included). */
export interface FailedRecord {
  readonly key: Buffer | null;
  readonly value: Buffer;
  readonly headers: Record<string, string>;
}

/**
 * The failed records an on-failure record holds (AWS: every record of the document's payload, in
 * offset order; locally: the record itself) and its failure condition (`undefined` when it names none).
 */
export function failedRecordsOf(record: {
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  readonly headers: Readonly<Record<string, string>>;
}): { condition: string | undefined; records: FailedRecord[] } {
  const doc = awsOnFailureDocument(record.value);
  if (!doc) {
    return {
      condition: record.headers.failure_condition,
      records: [{ key: record.key, value: record.value ?? Buffer.alloc(0), headers: { ...record.headers } }],
    };
  }
  return {
    condition: typeof doc.requestContext?.condition === 'string' ? doc.requestContext.condition : undefined,
    records: Object.values(doc.payload.records)
      .flatMap((list) => (Array.isArray(list) ? (list as Array<Record<string, unknown>>) : []))
      .sort((a, b) => Number(a.offset) - Number(b.offset))
      .map((r) => ({
        key: typeof r.key === 'string' ? Buffer.from(r.key, 'base64') : record.key,
        value: Buffer.from(typeof r.value === 'string' ? r.value : '', 'base64'),
        headers: headersOfEsmRecord(r.headers),
      })),
  };
}
