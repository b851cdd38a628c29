/**
 * Where the ingest stopped, read back from the input topic itself: every record the ingest wrote
 * carries its stream position and a sequence number in headers, so the position cannot disagree
 * with the events. Read with isolation read_committed after the transactional id was claimed: an
 * aborted or fenced transaction's records are not seen, and no transaction of an earlier holder is
 * still open.
 */
import { randomUUID } from 'node:crypto';
import type { Kafka, KafkaMessage } from 'kafkajs';
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

interface TailRecord {
  readonly sequence: number;
  readonly positionId: string;
  readonly value: string;
}

function header(message: KafkaMessage, name: string): string | undefined {
  const v = message.headers?.[name];
  const first = Array.isArray(v) ? v[0] : v;
  return first === undefined ? undefined : Buffer.isBuffer(first) ? first.toString('utf8') : String(first);
}

export interface ReadStoredPositionOptions {
  readonly kafka: Kafka;
  readonly topic: string;
  /** `INGEST_TAIL_RECORDS`: records read back from the end of each partition. */
  readonly tailRecords: number;
  /** Consumer group of the read (it commits nothing), e.g. `<transactional id>.position`. */
  readonly groupId: string;
  /** Give up after this long (an open transaction of another producer holds read_committed back). */
  readonly timeoutMs: number;
}

/** The newest position the ingest wrote to `topic`, or undefined when it wrote nothing there. */
export async function readStoredPosition(options: ReadStoredPositionOptions): Promise<StoredPosition | undefined> {
  const tail = await readTails(options);
  const written = tail.sort((a, b) => a.sequence - b.sequence);
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

async function readTails(options: ReadStoredPositionOptions): Promise<TailRecord[]> {
  const admin = options.kafka.admin();
  await admin.connect();
  let ranges: { partition: number; start: bigint; end: bigint }[];
  try {
    const offsets = await admin.fetchTopicOffsets(options.topic);
    ranges = offsets
      .map((o) => {
        const end = BigInt(o.high);
        const low = BigInt(o.low);
        const from = end - BigInt(options.tailRecords);
        return { partition: o.partition, start: from > low ? from : low, end };
      })
      .filter((r) => r.end > r.start);
  } finally {
    await admin.disconnect();
  }
  if (ranges.length === 0) return [];

  const consumer = options.kafka.consumer({
    groupId: `${options.groupId}.${randomUUID()}`,
    readUncommitted: false,
    allowAutoTopicCreation: false,
  });
  const records: TailRecord[] = [];
  const pending = new Set(ranges.map((r) => r.partition));
  const endOf = new Map(ranges.map((r) => [r.partition, r.end]));
  try {
    await consumer.connect();
    await consumer.subscribe({ topic: options.topic, fromBeginning: true });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () =>
          reject(
            new Error(
              `could not read the committed tail of ${options.topic} within ${options.timeoutMs} ms ` +
                `(partitions ${[...pending].join(', ')} not read to their end; an open transaction holds read_committed readers back)`,
            ),
          ),
        options.timeoutMs,
      );
      // Batch instrumentation also fires for batches of control records and aborted records only,
      // which never reach eachBatch: a partition ending in a commit marker is done by its last offset.
      consumer.on(consumer.events.END_BATCH_PROCESS, ({ payload }) => {
        if (BigInt(payload.lastOffset) >= endOf.get(payload.partition)! - 1n) pending.delete(payload.partition);
        if (pending.size === 0) {
          clearTimeout(timer);
          resolve();
        }
      });
      consumer
        .run({
          autoCommit: false,
          eachBatch: async ({ batch }) => {
            for (const m of batch.messages) {
              const positionId = header(m, POSITION_HEADER);
              const sequence = Number(header(m, SEQUENCE_HEADER));
              if (positionId !== undefined && Number.isSafeInteger(sequence)) {
                records.push({ sequence, positionId, value: m.value?.toString('utf8') ?? '' });
              }
            }
          },
        })
        .catch(reject);
      for (const r of ranges) consumer.seek({ topic: options.topic, partition: r.partition, offset: String(r.start) });
    });
  } finally {
    await consumer.disconnect().catch(() => undefined);
  }
  return records;
}
