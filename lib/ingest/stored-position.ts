/**
 * Where the ingest stopped, read back from the input topic itself: every record the ingest wrote
 * carries its stream position and a sequence number in headers, so the position cannot disagree
 * with the events. Read with isolation read_committed after the transactional id was claimed: an
 * aborted or fenced transaction's records are not seen, and no transaction of an earlier holder is
 * still open.
 *
 * Each partition is read from its end backwards, `INGEST_TAIL_RECORDS` offsets first, then windows
 * twice as wide, until the window holds a committed record of the ingest or the partition's start is
 * reached. Aborted transactions (of a fenced or killed holder) and markers take offsets without
 * leaving records, so a fixed window could hold none: the newest committed record would be missed,
 * and the ingest would start over and write events twice.
 */
import type { Kafka, KafkaMessage } from 'kafkajs';
import { type OffsetRange, readCommittedRanges } from './committed-range.js';
import { type EventPosition, parsePosition } from './event-position.js';
import { POSITION_HEADER, SEQUENCE_HEADER, inputRecordFor } from './input-record.js';
import { ReplayWindow } from './replay-window.js';

export interface StoredPosition {
  /** The SSE id to resume with (`Last-Event-ID`). */
  readonly lastEventId: string;
  readonly position: EventPosition;
  /** Sequence number of the newest record written. */
  readonly sequence: number;
  /** `meta.dt` of the newest record written, when it had one. */
  readonly lastMetaDt: string | undefined;
  /** Identities a resumed connection may send again. */
  readonly window: ReplayWindow;
}

interface WrittenRecord {
  readonly sequence: number;
  readonly positionId: string;
  readonly value: string;
}

function header(message: KafkaMessage, name: string): string | undefined {
  const v = message.headers?.[name];
  const first = Array.isArray(v) ? v[0] : v;
  return first === undefined ? undefined : Buffer.isBuffer(first) ? first.toString('utf8') : String(first);
}

/** The record as the ingest wrote it, or undefined for a record of another producer. */
function writtenRecord(message: KafkaMessage): WrittenRecord | undefined {
  const positionId = header(message, POSITION_HEADER);
  const sequence = Number(header(message, SEQUENCE_HEADER));
  if (positionId === undefined || !Number.isSafeInteger(sequence)) return undefined;
  return { sequence, positionId, value: message.value?.toString('utf8') ?? '' };
}

/**
 * Prefix of the consumer groups that read the position back (`<transactional id>.position.`, then a random
 * suffix per read): the ACLs and IAM policies the stack grants the ingest name this prefix.
 */
export function positionGroupPrefix(transactionalId: string): string {
  return `${transactionalId}.position.`;
}

export interface ReadStoredPositionOptions {
  readonly kafka: Kafka;
  readonly topic: string;
  /** `INGEST_TAIL_RECORDS`: offsets read back from the end of each partition first. */
  readonly tailRecords: number;
  /** Consumer group prefix of the reads (they commit nothing): {@link positionGroupPrefix}. */
  readonly groupPrefix: string;
  /** Give up after this long without progress (an open transaction of another producer holds read_committed back). */
  readonly stallMs: number;
}

/** The newest position the ingest wrote to `topic`, or undefined when it wrote nothing there. */
export async function readStoredPosition(options: ReadStoredPositionOptions): Promise<StoredPosition | undefined> {
  const written = (await readNewestWritten(options)).sort((a, b) => a.sequence - b.sequence);
  const last = written.at(-1);
  if (!last) return undefined;
  const window = new ReplayWindow();
  for (const r of written) {
    try {
      window.add(inputRecordFor({ id: r.positionId, data: r.value }).identity, parsePosition(r.positionId));
    } catch {
      // A header that is not a position was not written by this ingest: it cannot be resumed from.
    }
  }
  return {
    lastEventId: last.positionId,
    position: parsePosition(last.positionId),
    sequence: last.sequence,
    lastMetaDt: inputRecordFor({ id: last.positionId, data: last.value }).metaDt,
    window,
  };
}

/**
 * The ingest's records from the end of each partition back to (at least) its newest committed one.
 * The newest record overall is the newest of some partition, so it is among them.
 */
async function readNewestWritten(options: ReadStoredPositionOptions): Promise<WrittenRecord[]> {
  const bounds = await partitionBounds(options.kafka, options.topic);
  const found: WrittenRecord[] = [];
  let ranges: OffsetRange[] = bounds.map(({ partition, low, high }) => ({
    partition,
    start: maxOf(low, high - BigInt(options.tailRecords)),
    end: high,
  }));
  while (ranges.some((r) => r.end > r.start)) {
    const read = await readCommittedRanges(options, ranges);
    const withRecords = new Set<number>();
    for (const r of read) {
      const w = writtenRecord(r.message);
      if (w === undefined) continue;
      found.push(w);
      withRecords.add(r.partition);
    }
    ranges = ranges
      .filter((r) => !withRecords.has(r.partition))
      .map((r) => {
        const low = bounds.find((b) => b.partition === r.partition)!.low;
        return { partition: r.partition, start: maxOf(low, r.start - 2n * (r.end - r.start)), end: r.start };
      });
  }
  return found;
}

async function partitionBounds(
  kafka: Kafka,
  topic: string,
): Promise<{ partition: number; low: bigint; high: bigint }[]> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const offsets = await admin.fetchTopicOffsets(topic);
    return offsets.map((o) => ({ partition: o.partition, low: BigInt(o.low), high: BigInt(o.high) }));
  } finally {
    await admin.disconnect();
  }
}

function maxOf(a: bigint, b: bigint): bigint {
  return a > b ? a : b;
}
