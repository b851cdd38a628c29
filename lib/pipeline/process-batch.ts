/**
 * One invocation: decode → validate → enrich → produce, for every record of every
 * partition, then the partial batch response. Revisions are fetched in content windows that fit
 * the content budget; each window is produced and released before the next is fetched. Each record ends as exactly one
 * message (enriched or error event) or is listed for redelivery; records of a
 * partition after one that must be redelivered are not produced, and are listed
 * too, so the partition's order holds on retry.
 */
import type { EventConfig } from '../settings/config.js';
import type { ApiEndpointResolver } from '../mediawiki/domain-allowlist.js';
import { setContent, setOutputMeta, messageKeyFor } from './enrich.js';
import { conformToOutputSchema, type OutputConformance } from './output-schema.js';
import type { OutputSchemaResolver } from '../schema-repository/output-schema-resolver.js';
import { outputTimestamp } from './kafka-timestamp.js';
import { MessageTooLargeError } from './errors.js';
import { RetryLaterError } from '../core/errors.js';
import { errorEventFor } from './error-event.js';
import { enrichedMessageSize, releaseContent } from './message-size.js';
import { decodeKafkaEvent, type DecodedRecord, type KafkaBatchResponse } from '../event-source/kafka-event.js';
import { orderedSender } from './ordered-sender.js';
import { CARRIED_HEADERS } from './redrive-headers.js';
import type { PageChangeEvent } from './page-change.js';
import { parseRecord, type ParsedRecord } from './parsed-record.js';
import { NO_DEADLINE, type Deadline } from '../core/deadline.js';
import type { FetchedRevision, RevisionContentClient } from '../mediawiki/revision-content-client.js';
import { contentWindows, declaredContentBytes, HeldContent } from './content-window.js';
import { type FetchResult, fetchWindow } from './window-fetch.js';
import type { EventSink, OutboundMessage } from './sink.js';

export interface BatchDependencies {
  readonly client: RevisionContentClient;
  readonly resolver: ApiEndpointResolver;
  readonly sink: EventSink;
  readonly events: EventConfig;
  /** Largest message (key + value, bytes) the output topic accepts. */
  readonly maxMessageBytes: number;
  /**
   * Most fetched content held at once, bytes (`CONTENT_BUDGET_BYTES`): the batch is fetched in
   * windows of revisions whose declared sizes sum to at most this (lib/pipeline/content-window.ts).
   */
  readonly contentBudgetBytes: number;
  /**
   * No message is sent after this instant; what is unwritten then is listed for redelivery.
   * The `deadline` argument of `processBatch` (when fetching stops) comes earlier.
   * @default NO_DEADLINE
   */
  readonly produceDeadline?: Deadline;
  readonly now?: () => Date;
  /** The invocation's id, sent to MediaWiki as X-Request-Id. */
  readonly requestId?: string;
  /**
   * The container's output schemas: shipped, and resolved from the schema repository while the
   * batch's first revisions are fetched. @default the shipped ones only (`OUTPUT_SCHEMAS`)
   */
  readonly outputSchemas?: OutputSchemaResolver;
}

/** What became of one record. */
export type RecordOutcome =
  | {
      readonly kind: 'enriched';
      readonly message: OutboundMessage;
      readonly passthrough?: string;
      readonly conformance: OutputConformance;
    }
  | { readonly kind: 'error'; readonly message: OutboundMessage; readonly errorType: string }
  | { readonly kind: 'redeliver'; readonly reason: string };

export interface BatchResult {
  readonly response: KafkaBatchResponse;
  readonly outcomes: RecordOutcome[];
  readonly records: DecodedRecord[];
  /** Messages the sink failed to write. */
  readonly sinkFailures: number;
  /** Messages not sent because the produce deadline had passed. */
  readonly unsentAtDeadline: number;
  /**
   * The most fetched content (bytes, as the API sizes it) held at once: at most `contentBudgetBytes`
   * unless one revision alone is larger, or events declare less than their revisions hold.
   */
  readonly peakContentBytes: number;
  /** Content windows the batch was fetched in. */
  readonly contentWindows: number;
}

interface OutcomeContext {
  readonly deps: BatchDependencies;
  readonly now: Date;
  /** Serialized size of content bodies measured exactly (near the size limit), once per invocation. */
  readonly bodyBytes: Map<string, number>;
}

/**
 * @param deadline when fetching stops: no MediaWiki request or retry starts that could not end
 *   before it, and records it cuts short are redelivered.
 */
export async function processBatch(
  kafkaEvent: unknown,
  deadline: Deadline,
  deps: BatchDependencies,
): Promise<BatchResult> {
  const now = deps.now ?? (() => new Date());
  const records = decodeKafkaEvent(kafkaEvent, { carriedHeaders: CARRIED_HEADERS });
  const parsed = records.map((record) => parseRecord(record, deps.resolver));
  const windows = contentWindows(
    parsed.map((p) =>
      p.kind === 'fetch' ? { domain: p.domain, revId: p.revId, bytes: declaredContentBytes(p.event) } : undefined,
    ),
    deps.contentBudgetBytes,
  );
  // Versions the bundle lacks are fetched beside the first window, bounded by EVENT_SCHEMA_TIMEOUT_MS and the deadline.
  const schemasReady = deps.events.outputSchemaUri
    ? undefined
    : deps.outputSchemas?.prepare(namedSchemas(parsed), deadline);

  const sender = orderedSender({
    sink: deps.sink,
    maxBatchBytes: deps.maxMessageBytes,
    deadline: deps.produceDeadline ?? NO_DEADLINE,
    // Once a record's message is sent (or failed), its content is not needed.
    done: (i) => {
      const p = parsed[i]!;
      if (p.kind !== 'unparsable') releaseContent(p.event);
    },
  });
  const held = new HeldContent();
  const bodyBytes = new Map<string, number>();
  const outcomes: RecordOutcome[] = [];
  // One window at a time: fetched, produced in record order (so in partition order), released.
  for (const [w, { start, end }] of windows.entries()) {
    const position = `content window ${w + 1} of ${windows.length}`;
    const fetch = fetchWindow(parsed.slice(start, end), { ...deps, deadline, held, position });
    await schemasReady;
    for (let i = start; i < end; i++) {
      const p = parsed[i]!;
      const context: OutcomeContext = { deps, now: now(), bodyBytes };
      const outcome =
        p.kind === 'fetch'
          ? fetchedOutcome(p, await fetch.of(p.domain, p.revId), context)
          : unfetchedOutcome(p, context);
      outcomes.push(outcome);
      if (outcome.kind === 'redeliver') sender.holdBack(records[i]!.partitionKey);
      else await sender.add(i, records[i]!.partitionKey, outcome.message);
    }
    await sender.flush();
    await fetch.done;
    fetch.release();
    bodyBytes.clear();
  }
  await sender.flush();

  return {
    response: partialBatchResponse(records, sender.written),
    outcomes,
    records,
    sinkFailures: sender.sinkFailures,
    unsentAtDeadline: sender.unsentAtDeadline,
    peakContentBytes: held.peak,
    contentWindows: windows.length,
  };
}

/** The `$schema` of every event that may be produced. */
function* namedSchemas(parsed: readonly ParsedRecord[]): Iterable<string> {
  for (const p of parsed) {
    if ((p.kind === 'fetch' || p.kind === 'passthrough') && typeof p.event.$schema === 'string') yield p.event.$schema;
  }
}

function fetchedOutcome(
  p: Extract<ParsedRecord, { kind: 'fetch' }>,
  result: FetchResult,
  context: OutcomeContext,
): RecordOutcome {
  if (result.ok) return enrichedOutcome(p, result.revision, context);
  if (result.error instanceof RetryLaterError) return { kind: 'redeliver', reason: result.error.message };
  return errorOutcome(p, result.error, context);
}

function unfetchedOutcome(p: Exclude<ParsedRecord, { kind: 'fetch' }>, context: OutcomeContext): RecordOutcome {
  return p.kind === 'passthrough' ? enrichedOutcome(p, undefined, context) : errorOutcome(p, p.error, context);
}

function enrichedOutcome(
  p: Extract<ParsedRecord, { kind: 'fetch' | 'passthrough' }>,
  revision: FetchedRevision | undefined,
  { deps, now, bodyBytes }: OutcomeContext,
): RecordOutcome {
  const { event } = p;
  try {
    if (revision) setContent(event, revision);
    setOutputMeta(event, deps.events, now);
    const conformance = conformToOutputSchema(event, deps.events.outputSchemaUri, deps.outputSchemas);
    const key = messageKeyFor(event.wiki_id, event.page.page_id);
    const size = enrichedMessageSize(event, key, deps.maxMessageBytes, bodyBytes);
    if (size.bytes > deps.maxMessageBytes) {
      throw new MessageTooLargeError(
        `enriched event is ${size.bytes} bytes, larger than the output topic's limit of ${deps.maxMessageBytes} bytes`,
      );
    }
    const passthrough = p.kind === 'passthrough' ? p.reason : undefined;
    const timestamp = outputTimestamp(event, p.record, deps.events.outputKafkaTimestamp);
    const message = lazyMessage(event, key, size.bytes, p.record.source, timestamp);
    return { kind: 'enriched', message, passthrough, conformance };
  } catch (err) {
    return errorOutcome(p, err as Error, { deps, now, bodyBytes });
  }
}

/**
 * A message whose value is serialized when read and not kept: events share their content strings until then.
 * `bytes` is exact near the size limit, else a lower bound that leaves out JSON escapes (the sink measures what it sends).
 */
function lazyMessage(
  event: PageChangeEvent,
  key: string,
  bytes: number,
  source: DecodedRecord['source'],
  timestamp: number | undefined,
): OutboundMessage {
  return {
    kind: 'output',
    key,
    bytes,
    source,
    timestamp,
    get value() {
      return JSON.stringify(event);
    },
  };
}

function errorOutcome(p: ParsedRecord, error: Error, { deps, now }: OutcomeContext): RecordOutcome {
  const fields = p.kind === 'unparsable' ? undefined : p.fields;
  const errorEvent = errorEventFor(error, { text: p.text, bytes: p.record.value, fields }, deps.events, now);
  const key =
    p.kind === 'unparsable'
      ? (p.record.key?.toString('utf8') ?? null)
      : messageKeyFor(p.event.wiki_id, p.event.page.page_id);
  const value = JSON.stringify(errorEvent);
  const bytes = Buffer.byteLength(value, 'utf8') + Buffer.byteLength(key ?? '', 'utf8');
  // An error event's Kafka timestamp is its own `dt`, the time it was made.
  const timestamp = Date.parse(errorEvent.dt);
  const message: OutboundMessage = { kind: 'error', key, value, bytes, source: p.record.source, timestamp };
  return { kind: 'error', errorType: errorEvent.error_type, message };
}

/**
 * The partial batch response: every record of the batch that was not confirmed written —
 * records to redeliver, records held back behind one of their partition, records whose send
 * failed or was cut short by the deadline — and no record that was written.
 *
 * AWS, "Configuring error handling controls for Kafka event sources"
 * (https://docs.aws.amazon.com/lambda/latest/dg/kafka-retry-configurations.html): with
 * `ReportBatchItemFailures` the function names the records that failed and Lambda retries
 * those. The page does not say whether a Kafka mapping retries exactly the listed records or,
 * as Lambda's stream sources do ("Configuring partial batch response with Kinesis Data Streams
 * and Lambda", https://docs.aws.amazon.com/lambda/latest/dg/services-kinesis-batchfailurereporting.html),
 * everything from the lowest listed offset of a partition. Listing every unwritten record and
 * nothing else loses no record under either reading: under the first, each unwritten record is
 * retried; under the second, retrying starts at the first unwritten one, and written records
 * after it come again as duplicates (at-least-once), never as losses. Listing only the first
 * unwritten record per partition would lose the others under the first reading.
 */
export function partialBatchResponse(
  records: readonly DecodedRecord[],
  written: ReadonlySet<number>,
): KafkaBatchResponse {
  return {
    batchItemFailures: records
      .filter((r) => !written.has(r.index))
      .map((r) => ({ itemIdentifier: { partition: r.partitionKey, offset: r.source.offset } })),
  };
}
