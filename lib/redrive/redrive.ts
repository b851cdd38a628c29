/**
 * Redrive: puts records of the error topic or the on-failure topic back on the input topic after
 * an outage, so they go through the normal pipeline again. Shared by `npm run redrive` and the
 * redrive Lambda function.
 *
 * Two parts: `decideRedrive` (pure: what becomes of one record, and why) and `runRedrive` (the
 * Kafka loop: read with a consumer group of its own, produce, commit after the produce is
 * acknowledged). The original page_change event is re-produced unchanged with its original key;
 * headers link the copy to the record it came from and count how often it has been redriven.
 */
import type { Kafka, KafkaMessage, Message, Producer } from 'kafkajs';
import { stringFrom } from '../settings/config.js';
import { messageKeyForText } from '../pipeline/enrich.js';
import { prefixedTopic } from '../kafka/kafka-client.js';
import { CARRIED_HEADERS } from '../kafka/kafka-event.js';
import { chunkBySize } from '../kafka/kafka-sink.js';
import { SETTINGS } from '../settings/catalogue.js';

/** Error types that fail the same way however often they are retried: redriven only when named explicitly. */
export const NON_RETRYABLE_ERROR_TYPES: readonly string[] = [
  'InvalidJson',
  'InvalidEvent',
  'DomainNotAllowed',
  'ContentIntegrityMismatch',
  'MessageTooLarge',
];

/** Headers of a redriven record. The pipeline carries each of them from its input to its output (`CARRIED_HEADERS`). */
export const REDRIVE_HEADERS = {
  /** How many times this event has been redriven, this time included. */
  count: 'redrive_count',
  /** Topic, partition and offset of the error event / on-failure record it was redriven from. */
  fromTopic: 'redrive_from_topic',
  fromPartition: 'redrive_from_partition',
  fromOffset: 'redrive_from_offset',
  /** `error_type` of the error event, or the failure condition of the on-failure record. */
  errorType: 'redrive_error_type',
} as const;

/** Headers the on-failure step adds to a record (the local event source mapping's shape); not redriven. */
const ON_FAILURE_METADATA_HEADERS = new Set([
  'source_topic',
  'source_partition',
  'source_offset',
  'failure_condition',
  'approximate_invoke_count',
]);

/** Marker `errorEventFor` appends to a `raw_event` it had to cut (lib/pipeline/error-event.ts). */
const TRUNCATED_RAW_EVENT = /…\[truncated: \d+ (chars|bytes) in all\]$/;

export type RedriveSourceKind = 'error' | 'on-failure';

export interface RedriveSelection {
  /** Which topic is read: the error topic (error events) or the on-failure topic. */
  readonly from: RedriveSourceKind;
  /**
   * Error types (`error_type` of error events, failure condition of on-failure records) to redrive.
   * Naming a non-retryable type here is the only way to redrive it.
   * @default - every type except {@link NON_RETRYABLE_ERROR_TYPES}
   */
  readonly errorTypes?: readonly string[];
  /** Only records written at or after this time (the record's Kafka timestamp). @default - no lower bound */
  readonly since?: Date;
  /**
   * Only records written at or before this time; reading a partition stops at the first later record.
   * @default - no upper bound
   */
  readonly until?: Date;
  /** A record already redriven this many times is skipped and reported. @default 3 */
  readonly maxRedrives?: number;
}

export type SkipReason =
  /** Its type is not among `errorTypes`. */
  | 'type-not-selected'
  /** A non-retryable type that `errorTypes` did not name. */
  | 'non-retryable'
  /** Written before `since`. */
  | 'before-since'
  /** The error event's `raw_event` was truncated: the full record is only at its source offset. */
  | 'truncated'
  /** Already redriven `maxRedrives` times. */
  | 'redrive-limit'
  /** Not an error event / on-failure record this tool understands. */
  | 'unreadable';

/** One record to produce to the input topic. */
export interface RedriveRecord {
  readonly key: Buffer | string | null;
  readonly value: Buffer | string;
  readonly headers: Record<string, string>;
}

/** What the source record is, as far as reports are concerned. */
export interface RecordFacts {
  /** `error_type`, or the on-failure condition. */
  readonly errorType: string;
  /** `wiki_id` of the original event, or `meta.domain` of the error event. */
  readonly wiki: string;
}

export type RedriveDecision =
  | ({ readonly kind: 'redrive'; readonly records: readonly RedriveRecord[] } & RecordFacts)
  | ({ readonly kind: 'skip'; readonly reason: SkipReason; readonly detail?: string } & RecordFacts);

/** A record of the source topic, as read. */
export interface SourceRecord {
  readonly topic: string;
  readonly partition: number;
  readonly offset: string;
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  readonly headers: Readonly<Record<string, string>>;
  /** Kafka timestamp, ms since the epoch. */
  readonly timestamp: number;
}

const UNKNOWN = '(unknown)';

function redriveCountOf(headers: Readonly<Record<string, string>>): number {
  const n = Number(headers[REDRIVE_HEADERS.count]);
  return Number.isInteger(n) && n > 0 ? n : 0;
}

function wikiOf(text: string | undefined): string | undefined {
  if (text === undefined) return undefined;
  try {
    const e = JSON.parse(text) as { wiki_id?: unknown };
    return typeof e.wiki_id === 'string' ? e.wiki_id : undefined;
  } catch {
    return undefined;
  }
}

function linkHeaders(source: SourceRecord, errorType: string, previousCount: number): Record<string, string> {
  return {
    [REDRIVE_HEADERS.count]: String(previousCount + 1),
    [REDRIVE_HEADERS.fromTopic]: source.topic,
    [REDRIVE_HEADERS.fromPartition]: String(source.partition),
    [REDRIVE_HEADERS.fromOffset]: source.offset,
    [REDRIVE_HEADERS.errorType]: errorType,
  };
}

/** Type and window checks shared by both sources; `undefined` when the record is selected. */
function typeOrWindowSkip(
  errorType: string,
  timestamp: number,
  selection: RedriveSelection,
): { reason: SkipReason; detail?: string } | undefined {
  const named = selection.errorTypes?.includes(errorType) ?? false;
  if (selection.errorTypes && selection.errorTypes.length > 0 && !named) return { reason: 'type-not-selected' };
  if (!named && NON_RETRYABLE_ERROR_TYPES.includes(errorType)) return { reason: 'non-retryable' };
  if (selection.since && timestamp < selection.since.getTime()) return { reason: 'before-since' };
  return undefined;
}

/** True when the record was written after `until`: the caller stops reading its partition. */
export function isAfterWindow(
  record: Pick<SourceRecord, 'timestamp'>,
  selection: Pick<RedriveSelection, 'until'>,
): boolean {
  return selection.until !== undefined && record.timestamp > selection.until.getTime();
}

/** What becomes of one record of the source topic. Pure. */
export function decideRedrive(record: SourceRecord, selection: RedriveSelection): RedriveDecision {
  return selection.from === 'error' ? decideErrorEvent(record, selection) : decideOnFailureRecord(record, selection);
}

function decideErrorEvent(record: SourceRecord, selection: RedriveSelection): RedriveDecision {
  let event: { raw_event?: unknown; error_type?: unknown; meta?: { domain?: unknown } };
  try {
    event = JSON.parse(record.value?.toString('utf8') ?? '') as typeof event;
  } catch {
    return { kind: 'skip', reason: 'unreadable', detail: 'not JSON', errorType: UNKNOWN, wiki: UNKNOWN };
  }
  if (
    event === null ||
    typeof event !== 'object' ||
    typeof event.raw_event !== 'string' ||
    typeof event.error_type !== 'string'
  ) {
    return {
      kind: 'skip',
      reason: 'unreadable',
      detail: 'not an error event with raw_event and error_type',
      errorType: UNKNOWN,
      wiki: UNKNOWN,
    };
  }
  const raw = event.raw_event;
  const errorType = event.error_type;
  const domain = typeof event.meta?.domain === 'string' ? event.meta.domain : undefined;
  const facts = { errorType, wiki: wikiOf(raw) ?? domain ?? UNKNOWN };
  const skip = typeOrWindowSkip(errorType, record.timestamp, selection);
  if (skip) return { kind: 'skip', ...skip, ...facts };
  if (TRUNCATED_RAW_EVENT.test(raw)) {
    const origin = record.headers.source_topic
      ? `${record.headers.source_topic}/${record.headers.source_partition}@${record.headers.source_offset}`
      : 'its source offset';
    return {
      kind: 'skip',
      reason: 'truncated',
      detail: `raw_event truncated; the full record is at ${origin}`,
      ...facts,
    };
  }
  const previous = redriveCountOf(record.headers);
  if (previous >= (selection.maxRedrives ?? 3)) {
    return { kind: 'skip', reason: 'redrive-limit', detail: `already redriven ${previous} times`, ...facts };
  }
  // Records that were not UTF-8 are kept as `base64:…` (InvalidJson): the exact bytes go back.
  const value = raw.startsWith('base64:') && errorType === 'InvalidJson' ? Buffer.from(raw.slice(7), 'base64') : raw;
  // The key the pipeline gives the event (its input was keyed the same way), else the error event's own key.
  const key = messageKeyForText(raw) ?? record.key;
  return { kind: 'redrive', records: [{ key, value, headers: linkHeaders(record, errorType, previous) }], ...facts };
}

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
function originalHeaders(headers: Readonly<Record<string, string>>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(headers).filter(([k]) => !ON_FAILURE_METADATA_HEADERS.has(k) && !CARRIED_HEADERS.has(k)),
  );
}

function decideOnFailureRecord(record: SourceRecord, selection: RedriveSelection): RedriveDecision {
  const doc = awsOnFailureDocument(record.value);
  // Each failed record with its own headers (AWS: inside the document; locally: the record itself).
  let originals: Array<{ key: Buffer | null; value: Buffer; headers: Record<string, string> }>;
  let errorType: string;
  if (doc) {
    errorType = typeof doc.requestContext?.condition === 'string' ? doc.requestContext.condition : UNKNOWN;
    originals = Object.values(doc.payload.records)
      .flatMap((list) => (Array.isArray(list) ? (list as Array<Record<string, unknown>>) : []))
      .sort((a, b) => Number(a.offset) - Number(b.offset))
      .map((r) => ({
        key: typeof r.key === 'string' ? Buffer.from(r.key, 'base64') : record.key,
        value: Buffer.from(typeof r.value === 'string' ? r.value : '', 'base64'),
        headers: headersOfEsmRecord(r.headers),
      }));
  } else {
    errorType = record.headers.failure_condition ?? UNKNOWN;
    originals = [{ key: record.key, value: record.value ?? Buffer.alloc(0), headers: { ...record.headers } }];
  }
  const facts = { errorType, wiki: wikiOf(originals[0]?.value.toString('utf8')) ?? UNKNOWN };
  if (originals.length === 0)
    return { kind: 'skip', reason: 'unreadable', detail: 'on-failure document without records', ...facts };
  const skip = typeOrWindowSkip(errorType, record.timestamp, selection);
  if (skip) return { kind: 'skip', ...skip, ...facts };
  const previous = Math.max(...originals.map((o) => redriveCountOf(o.headers)));
  if (previous >= (selection.maxRedrives ?? 3)) {
    return { kind: 'skip', reason: 'redrive-limit', detail: `already redriven ${previous} times`, ...facts };
  }
  return {
    kind: 'redrive',
    records: originals.map((o) => ({
      key: o.key,
      value: o.value,
      headers: { ...originalHeaders(o.headers), ...linkHeaders(record, errorType, previous) },
    })),
    ...facts,
  };
}

// ---------------------------------------------------------------------------------------- report

export interface RedriveCounts {
  selected: number;
  skipped: number;
}

/** A record that was skipped for a reason an operator must act on (truncated, redrive limit, unreadable). */
export interface ReportedRecord {
  readonly topic: string;
  readonly partition: number;
  readonly offset: string;
  readonly reason: SkipReason;
  readonly errorType: string;
  readonly detail?: string;
}

export interface RedriveSample {
  /** `topic/partition@offset` of the source record. */
  readonly from: string;
  readonly errorType: string;
  /** Key the record goes back with. */
  readonly key: string | null;
  /** The event's identifying fields, or `text`: its first 300 characters when it is not a page_change event. */
  readonly event: Record<string, unknown>;
}

/** What identifies a page_change event to an operator, without its bulk. */
function sampleOf(value: Buffer | string): Record<string, unknown> {
  const text = value.toString();
  try {
    // biome-ignore lint/suspicious/noExplicitAny: a sample reads whatever fields the event happens to have
    const e = JSON.parse(text) as Record<string, any>;
    if (e && typeof e === 'object' && e.page && e.revision) {
      return {
        wiki_id: e.wiki_id,
        domain: e.meta?.domain,
        page_id: e.page.page_id,
        page_title: e.page.page_title,
        rev_id: e.revision.rev_id,
        page_change_kind: e.page_change_kind,
        dt: e.dt,
      };
    }
  } catch {
    // not JSON: shown as text
  }
  return { text: truncate(text, 300) };
}

export interface RedriveSummary {
  from: RedriveSourceKind;
  sourceTopic: string;
  inputTopic: string;
  groupId: string;
  dryRun: boolean;
  /** Records read from the source topic. */
  read: number;
  /** Source records selected (in a dry run: that would be redriven). */
  selected: number;
  /** Records produced to the input topic (an AWS on-failure record can hold several). */
  produced: number;
  skipped: Partial<Record<SkipReason, number>>;
  byErrorType: Record<string, RedriveCounts>;
  byWiki: Record<string, RedriveCounts>;
  /** Skipped records an operator has to look at; at most `reportLimit`. */
  reported: ReportedRecord[];
  samples: RedriveSample[];
  /** Why the run ended: everything up to the end offsets seen at start was read, `--max`, deadline, or no progress. */
  stoppedBy: 'caught-up' | 'max' | 'deadline' | 'idle';
  /** Next offset to read per partition after this run (committed unless dry run). */
  positions: Record<string, string>;
}

const REPORTED_REASONS: ReadonlySet<SkipReason> = new Set(['truncated', 'redrive-limit', 'unreadable']);

/** Accumulates decisions into the summary. Pure apart from the object it fills. */
export class RedriveTally {
  readonly summary: RedriveSummary;
  constructor(
    init: Pick<RedriveSummary, 'from' | 'sourceTopic' | 'inputTopic' | 'groupId' | 'dryRun'>,
    private readonly limits: { samples: number; reported: number } = { samples: 3, reported: 100 },
  ) {
    this.summary = {
      ...init,
      read: 0,
      selected: 0,
      produced: 0,
      skipped: {},
      byErrorType: {},
      byWiki: {},
      reported: [],
      samples: [],
      stoppedBy: 'caught-up',
      positions: {},
    };
  }

  add(record: SourceRecord, decision: RedriveDecision): void {
    const s = this.summary;
    s.read++;
    const byType = (s.byErrorType[decision.errorType] ??= { selected: 0, skipped: 0 });
    const byWiki = (s.byWiki[decision.wiki] ??= { selected: 0, skipped: 0 });
    if (decision.kind === 'redrive') {
      s.selected++;
      byType.selected++;
      byWiki.selected++;
      if (s.samples.length < this.limits.samples) {
        const first = decision.records[0]!;
        s.samples.push({
          from: `${record.topic}/${record.partition}@${record.offset}`,
          errorType: decision.errorType,
          key: first.key === null ? null : first.key.toString(),
          event: sampleOf(first.value),
        });
      }
      return;
    }
    s.skipped[decision.reason] = (s.skipped[decision.reason] ?? 0) + 1;
    byType.skipped++;
    byWiki.skipped++;
    if (REPORTED_REASONS.has(decision.reason) && s.reported.length < this.limits.reported) {
      s.reported.push({
        topic: record.topic,
        partition: record.partition,
        offset: record.offset,
        reason: decision.reason,
        errorType: decision.errorType,
        detail: decision.detail,
      });
    }
  }

  progressLine(): string {
    const s = this.summary;
    const skipped = Object.entries(s.skipped)
      .map(([k, v]) => `${k}=${v}`)
      .join(' ');
    return `read=${s.read} selected=${s.selected} produced=${s.produced}${skipped ? ` skipped: ${skipped}` : ''}`;
  }
}

function truncate(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max)}…` : text;
}

// ---------------------------------------------------------------------------------------- Kafka loop

export interface RedriveRunOptions extends RedriveSelection {
  readonly kafka: Kafka;
  /** Topic read: the error topic or the on-failure topic. */
  readonly sourceTopic: string;
  /** Topic the original events go back to. */
  readonly inputTopic: string;
  /**
   * Consumer group of the redrive, so a later run resumes where this one stopped.
   * @default `mw-page-content-change-enrich.redrive.<from>`
   */
  readonly groupId?: string;
  /** Print what would be redriven; produce nothing, commit nothing. @default false */
  readonly dryRun?: boolean;
  /** Stop after selecting this many source records. @default - no limit */
  readonly max?: number;
  /** Records per produce request (then the offsets are committed). @default 100 */
  readonly chunkSize?: number;
  /** Bytes per produce request; match the input topic's `max.message.bytes`. @default 1048576 */
  readonly maxRequestBytes?: number;
  /**
   * Stop, having committed what was produced, at this time (ms since the epoch), e.g. before a Lambda timeout.
   * @default - none
   */
  readonly stopAt?: number;
  /**
   * Stop when nothing was read for this long (e.g. another member of the group holds the partitions).
   * @default 30000
   */
  readonly idleTimeoutMs?: number;
  /** Samples in the summary. @default 3 */
  readonly samples?: number;
  /** Progress lines (the CLI writes them to stderr). @default - none */
  readonly log?: (line: string) => void;
}

/**
 * Prefix of the redrive's consumer groups. Env `REDRIVE_GROUP_PREFIX`.
 * @default 'mw-page-content-change-enrich.redrive.'
 */
export const DEFAULT_REDRIVE_GROUP_PREFIX = 'mw-page-content-change-enrich.redrive.';

export function defaultRedriveGroupId(from: RedriveSourceKind, prefix: string = DEFAULT_REDRIVE_GROUP_PREFIX): string {
  return `${prefix}${from}`;
}

/**
 * The consumer group of a request: the one it names, or `<prefix><from>`. With `requirePrefix` (the
 * Lambda function, whose IAM policy covers only groups under the prefix) a named group must start with it.
 */
export function redriveGroupIdFor(
  request: Pick<RedriveRequest, 'from' | 'groupId'>,
  prefix: string,
  requirePrefix = false,
): string {
  if (request.groupId === undefined) return defaultRedriveGroupId(request.from, prefix);
  if (requirePrefix && !request.groupId.startsWith(prefix)) {
    throw new RedriveOptionsError(`groupId must start with "${prefix}" (the groups this function may use)`);
  }
  return request.groupId;
}

function headersOf(message: KafkaMessage): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(message.headers ?? {})) {
    const first = Array.isArray(v) ? v[0] : v;
    if (first !== undefined) out[k] = Buffer.isBuffer(first) ? first.toString('utf8') : String(first);
  }
  return out;
}

/** Retries what a fresh broker answers while the group coordinator is being elected. */
async function retried<T>(read: () => Promise<T>, attempts = 10): Promise<T> {
  for (let i = 1; ; i++) {
    try {
      return await read();
    } catch (err) {
      if (i >= attempts || (err as { retriable?: boolean }).retriable !== true) throw err;
      await new Promise((r) => setTimeout(r, 300 * i));
    }
  }
}

function messageOf(record: RedriveRecord): Message {
  return { key: record.key, value: record.value, headers: record.headers };
}

export class RedriveOptionsError extends Error {
  override readonly name = 'RedriveOptionsError';
}

/**
 * Reads the source topic from the group's committed position up to the end offsets seen at the
 * start, and re-produces the selected records to the input topic in source order (so per-page
 * order holds: one page's records share a source partition and an input partition).
 *
 * At-least-once: a chunk's offsets are committed only after the broker acknowledged the chunk
 * (acks=all, idempotent producer). A crash between the acknowledgement and the commit redrives
 * at most that chunk again on the next run; its copies carry the same `redrive_from_*` headers.
 * A dry run commits nothing.
 */
export async function runRedrive(opts: RedriveRunOptions): Promise<RedriveSummary> {
  if (opts.since && opts.until && opts.since > opts.until) throw new RedriveOptionsError('--since is after --until');
  if (opts.max !== undefined && (!Number.isInteger(opts.max) || opts.max < 1))
    throw new RedriveOptionsError('--max must be a positive integer');
  if (opts.sourceTopic === opts.inputTopic)
    throw new RedriveOptionsError('the source topic and the input topic are the same');
  const log = opts.log ?? (() => undefined);
  const groupId = opts.groupId ?? defaultRedriveGroupId(opts.from);
  const dryRun = opts.dryRun ?? false;
  const tally = new RedriveTally(
    { from: opts.from, sourceTopic: opts.sourceTopic, inputTopic: opts.inputTopic, groupId, dryRun },
    { samples: opts.samples ?? 3, reported: 100 },
  );
  const summary = tally.summary;

  // Where each partition ends now, and where the group stands: partitions with nothing to read are done.
  const admin = opts.kafka.admin();
  await admin.connect();
  const remaining = new Map<number, bigint>();
  try {
    const ends = await retried(() => admin.fetchTopicOffsets(opts.sourceTopic));
    const [committed] = await retried(() => admin.fetchOffsets({ groupId, topics: [opts.sourceTopic] }));
    for (const p of ends) {
      const c = committed?.partitions.find((x) => x.partition === p.partition)?.offset ?? '-1';
      const start = BigInt(c) >= 0n ? BigInt(c) : BigInt(p.low);
      summary.positions[String(p.partition)] = String(start);
      if (start < BigInt(p.high)) remaining.set(p.partition, BigInt(p.high));
    }
  } finally {
    await admin.disconnect();
  }
  if (remaining.size === 0) {
    log(`nothing to read on ${opts.sourceTopic} for group ${groupId}`);
    return summary;
  }

  let producer: Producer | undefined;
  if (!dryRun) {
    producer = opts.kafka.producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false });
    await producer.connect();
  }
  const consumer = opts.kafka.consumer({
    groupId,
    maxWaitTimeInMs: 500,
    sessionTimeout: 30_000,
    heartbeatInterval: 3_000,
  });
  let finish!: (reason: RedriveSummary['stoppedBy']) => void;
  let failure: unknown;
  const finished = new Promise<RedriveSummary['stoppedBy']>((resolve) => (finish = resolve));
  let lastProgress = Date.now();
  let lastLog = 0;
  let lastLine = '';
  let stopped = false;
  const stop = (reason: RedriveSummary['stoppedBy']) => {
    if (!stopped) {
      stopped = true;
      finish(reason);
    }
  };
  const chunkSize = opts.chunkSize ?? 100;
  const maxRequestBytes = opts.maxRequestBytes ?? 1_048_576;

  const watchdog = setInterval(() => {
    if (opts.stopAt !== undefined && Date.now() >= opts.stopAt) stop('deadline');
    if (Date.now() - lastProgress > (opts.idleTimeoutMs ?? 30_000)) stop('idle');
  }, 250);

  try {
    await consumer.connect();
    await consumer.subscribe({ topics: [opts.sourceTopic], fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: 1,
      eachBatch: async ({ batch, resolveOffset, heartbeat, pause, isRunning, isStale }) => {
        try {
          const end = remaining.get(batch.partition);
          if (end === undefined || stopped) {
            pause();
            return;
          }
          lastProgress = Date.now();
          let pending: Array<{ record: RedriveRecord; bytes: number }> = [];
          let lastOffset: string | undefined;

          // Produce what is pending, then commit up to `lastOffset` (skipped records included).
          const flush = async () => {
            if (pending.length > 0 && producer) {
              for (const chunk of chunkBySize(pending, (p) => p.bytes, maxRequestBytes)) {
                await producer.send({
                  topic: opts.inputTopic,
                  acks: -1,
                  messages: chunk.map((p) => messageOf(p.record)),
                });
                summary.produced += chunk.length;
              }
            }
            pending = [];
            if (lastOffset !== undefined) {
              const next = String(BigInt(lastOffset) + 1n);
              if (!dryRun)
                await consumer.commitOffsets([{ topic: batch.topic, partition: batch.partition, offset: next }]);
              resolveOffset(lastOffset);
              summary.positions[String(batch.partition)] = next;
              lastOffset = undefined;
            }
            lastProgress = Date.now();
            if (Date.now() - lastLog > 2000) {
              lastLog = Date.now();
              lastLine = tally.progressLine();
              log(lastLine);
            }
            await heartbeat();
          };

          for (const message of batch.messages) {
            if (!isRunning() || isStale() || stopped) break;
            if (BigInt(message.offset) >= end) break;
            const record: SourceRecord = {
              topic: batch.topic,
              partition: batch.partition,
              offset: message.offset,
              key: message.key,
              value: message.value,
              headers: headersOf(message),
              timestamp: Number(message.timestamp),
            };
            if (isAfterWindow(record, opts)) {
              remaining.delete(batch.partition);
              break;
            }
            const decision = decideRedrive(record, opts);
            if (decision.kind === 'redrive' && opts.max !== undefined && summary.selected >= opts.max) {
              await flush();
              stop('max');
              break;
            }
            tally.add(record, decision);
            if (decision.kind === 'redrive') {
              for (const r of decision.records) {
                pending.push({ record: r, bytes: Buffer.byteLength(r.value) + Buffer.byteLength(r.key ?? '') });
              }
            }
            lastOffset = message.offset;
            if (BigInt(message.offset) + 1n >= end) remaining.delete(batch.partition);
            if (pending.length >= chunkSize) await flush();
          }
          await flush();
          if (!remaining.has(batch.partition)) pause();
          if (remaining.size === 0) stop('caught-up');
          if (opts.max !== undefined && summary.selected >= opts.max && !stopped) {
            // Stop once the limit is met, unless everything was read anyway.
            stop(remaining.size === 0 ? 'caught-up' : 'max');
          }
        } catch (err) {
          failure = err;
          stop('idle');
          throw err;
        }
      },
    });
    summary.stoppedBy = await finished;
  } finally {
    clearInterval(watchdog);
    await consumer.disconnect().catch(() => undefined);
    await producer?.disconnect().catch(() => undefined);
  }
  if (failure) throw failure;
  if (tally.progressLine() !== lastLine) log(tally.progressLine());
  return summary;
}

// ---------------------------------------------------------------------------------------- requests

/** The options an operator gives, on the command line or as the Lambda's JSON event. */
export interface RedriveRequest extends RedriveSelection {
  readonly max?: number;
  readonly dryRun: boolean;
  readonly groupId?: string;
}

function optionalDate(value: unknown, name: string): Date | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  const d = new Date(String(value));
  if (typeof value !== 'string' || Number.isNaN(d.getTime()))
    throw new RedriveOptionsError(`${name} must be an ISO 8601 time, got ${JSON.stringify(value)}`);
  return d;
}

function optionalPositiveInt(value: unknown, name: string, min: number): number | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  const n = typeof value === 'number' ? value : Number(value);
  if (!Number.isInteger(n) || n < min)
    throw new RedriveOptionsError(`${name} must be an integer >= ${min}, got ${JSON.stringify(value)}`);
  return n;
}

/**
 * Validates a request: `{ from, errorTypes?, since?, until?, max?, dryRun?, maxRedrives?, groupId? }`.
 * `errorTypes` is an array or a comma-separated string. Throws `RedriveOptionsError` with a message for the operator.
 */
export function parseRedriveRequest(input: unknown): RedriveRequest {
  if (input === null || typeof input !== 'object') throw new RedriveOptionsError('the request must be a JSON object');
  const o = input as Record<string, unknown>;
  const known = new Set(['from', 'errorTypes', 'since', 'until', 'max', 'dryRun', 'maxRedrives', 'groupId']);
  const unknownKeys = Object.keys(o).filter((k) => !known.has(k));
  if (unknownKeys.length > 0) throw new RedriveOptionsError(`unknown option(s): ${unknownKeys.join(', ')}`);
  if (o.from !== 'error' && o.from !== 'on-failure')
    throw new RedriveOptionsError('from must be "error" or "on-failure"');
  let errorTypes: string[] | undefined;
  if (typeof o.errorTypes === 'string')
    errorTypes = o.errorTypes
      .split(',')
      .map((t) => t.trim())
      .filter(Boolean);
  else if (Array.isArray(o.errorTypes) && o.errorTypes.every((t) => typeof t === 'string'))
    errorTypes = o.errorTypes as string[];
  else if (o.errorTypes !== undefined) throw new RedriveOptionsError('errorTypes must be a list of error types');
  if (o.dryRun !== undefined && typeof o.dryRun !== 'boolean')
    throw new RedriveOptionsError('dryRun must be true or false');
  if (o.groupId !== undefined && (typeof o.groupId !== 'string' || o.groupId.trim() === ''))
    throw new RedriveOptionsError('groupId must be a name');
  const since = optionalDate(o.since, 'since');
  const until = optionalDate(o.until, 'until');
  if (since && until && since > until) throw new RedriveOptionsError('since is after until');
  return {
    from: o.from,
    errorTypes: errorTypes && errorTypes.length > 0 ? errorTypes : undefined,
    since,
    until,
    max: optionalPositiveInt(o.max, 'max', 1),
    maxRedrives: optionalPositiveInt(o.maxRedrives, 'maxRedrives', 0),
    dryRun: o.dryRun === true,
    groupId: typeof o.groupId === 'string' ? o.groupId.trim() : undefined,
  };
}

export interface RedriveTopics {
  readonly input: string;
  readonly error: string;
  readonly onFailure: string;
}

/**
 * Topic names from the environment, prefixed by `KAFKA_TOPIC_PREFIX`: `INPUT_TOPIC`
 * (default `mediawiki.page_change.v1`), `ERROR_TOPIC` (default `mw_page_content_change_enrich.error`),
 * `ON_FAILURE_TOPIC` (default `mw_page_content_change_enrich.on_failure`, the local stack's), and the
 * consumer groups' prefix `REDRIVE_GROUP_PREFIX` (default `mw-page-content-change-enrich.redrive.`).
 */
export function redriveTopicsFromEnv(env: NodeJS.ProcessEnv = process.env): RedriveTopics & { groupPrefix: string } {
  return {
    groupPrefix: stringFrom(env, 'REDRIVE_GROUP_PREFIX', DEFAULT_REDRIVE_GROUP_PREFIX),
    input: prefixedTopic(stringFrom(env, 'INPUT_TOPIC', 'mediawiki.page_change.v1'), env),
    error: prefixedTopic(stringFrom(env, 'ERROR_TOPIC', SETTINGS.ERROR_TOPIC.default), env),
    onFailure: prefixedTopic(stringFrom(env, 'ON_FAILURE_TOPIC', 'mw_page_content_change_enrich.on_failure'), env),
  };
}
