/**
 * Redrive selection: what becomes of one record of the error topic or the on-failure topic, and
 * why. Pure. The original page_change event goes back unchanged with its original key; headers
 * link the copy to the record it came from and count how often it has been redriven.
 */
import { jsonObjectOf } from '../core/json-text.js';
import { messageKeyForText } from '../pipeline/enrich.js';
import { REDRIVE_HEADERS } from '../pipeline/redrive-headers.js';
import { failedRecordsOf, originalHeaders } from './on-failure-record.js';

/** Error types that fail the same way however often they are retried: redriven only when named explicitly. */
export const NON_RETRYABLE_ERROR_TYPES: readonly string[] = [
  'InvalidJson',
  'InvalidEvent',
  'DomainNotAllowed',
  'ContentIntegrityMismatch',
  'MessageTooLarge',
  'InvalidOutputEvent',
];

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
  /** A record already redriven this many times is skipped and reported. @default DEFAULT_MAX_REDRIVES */
  readonly maxRedrives?: number;
}

/** `maxRedrives` when a request leaves it out: a record that failed this often after redrives wants a person. */
export const DEFAULT_MAX_REDRIVES = 3;

/** `maxRedrives` of the selection, defaulted. */
const maxRedrivesOf = (selection: Pick<RedriveSelection, 'maxRedrives'>): number =>
  selection.maxRedrives ?? DEFAULT_MAX_REDRIVES;

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
  const wikiId = jsonObjectOf(text)?.wiki_id;
  return typeof wikiId === 'string' ? wikiId : undefined;
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
  if (previous >= maxRedrivesOf(selection)) {
    return { kind: 'skip', reason: 'redrive-limit', detail: `already redriven ${previous} times`, ...facts };
  }
  // Records that were not UTF-8 are kept as `base64:…` (InvalidJson): the exact bytes go back.
  const value = raw.startsWith('base64:') && errorType === 'InvalidJson' ? Buffer.from(raw.slice(7), 'base64') : raw;
  // The key the pipeline gives the event (its input was keyed the same way), else the error event's own key.
  const key = messageKeyForText(raw) ?? record.key;
  return { kind: 'redrive', records: [{ key, value, headers: linkHeaders(record, errorType, previous) }], ...facts };
}

function decideOnFailureRecord(record: SourceRecord, selection: RedriveSelection): RedriveDecision {
  // Each failed record with its own headers, inside the document Lambda wrote.
  const failed = failedRecordsOf(record);
  if (!failed) {
    return {
      kind: 'skip',
      reason: 'unreadable',
      detail: 'not an on-failure document (requestContext and payload.records)',
      errorType: UNKNOWN,
      wiki: UNKNOWN,
    };
  }
  const { records: originals } = failed;
  const errorType = failed.condition ?? UNKNOWN;
  const facts = { errorType, wiki: wikiOf(originals[0]?.value.toString('utf8')) ?? UNKNOWN };
  if (originals.length === 0)
    return { kind: 'skip', reason: 'unreadable', detail: 'on-failure document without records', ...facts };
  const skip = typeOrWindowSkip(errorType, record.timestamp, selection);
  if (skip) return { kind: 'skip', ...skip, ...facts };
  const previous = Math.max(...originals.map((o) => redriveCountOf(o.headers)));
  if (previous >= maxRedrivesOf(selection)) {
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
