/**
 * Reads given offset ranges of a topic's partitions with isolation read_committed: the records of
 * committed transactions only, never those of an aborted or fenced one. kafkajs has no manual
 * partition assignment, so the read is a consumer group of its own (it commits nothing) that seeks
 * each partition to the start of its range.
 *
 * A range is read when the consumer has been past its last offset. kafkajs reports a fetch that
 * held only transaction markers or aborted records through its batch instrumentation, never through
 * `eachBatch`, so both are watched. Ranges are read to offsets the reader has seen as the partition's
 * end: a reader that makes no progress for `stallMs` stops with `CommittedReadStalledError`, which
 * names each partition's furthest offset (an open transaction of another producer holds read_committed
 * readers back until its coordinator aborts it).
 */
import { randomUUID } from 'node:crypto';
import type { Kafka, KafkaMessage } from 'kafkajs';

export interface OffsetRange {
  readonly partition: number;
  /** First offset to read. */
  readonly start: bigint;
  /** One past the last offset to read. */
  readonly end: bigint;
}

export interface CommittedRecord {
  readonly partition: number;
  readonly offset: bigint;
  readonly message: KafkaMessage;
}

export interface ReadCommittedRangesOptions {
  readonly kafka: Kafka;
  readonly topic: string;
  /** Prefix of the reader's consumer group; a random suffix makes each read its own group. */
  readonly groupPrefix: string;
  /** Give up after this long without progress, counted from when the reader joined its group. */
  readonly stallMs: number;
}

export class CommittedReadStalledError extends Error {
  override readonly name = 'CommittedReadStalledError';
}

/** The committed records of `ranges`, in no particular order across partitions. */
export async function readCommittedRanges(
  options: ReadCommittedRangesOptions,
  ranges: readonly OffsetRange[],
): Promise<CommittedRecord[]> {
  const wanted = ranges.filter((r) => r.end > r.start);
  if (wanted.length === 0) return [];
  const byPartition = new Map(wanted.map((r) => [r.partition, r]));
  const furthest = new Map(wanted.map((r) => [r.partition, r.start - 1n]));
  const pending = new Set(byPartition.keys());
  const records: CommittedRecord[] = [];

  const consumer = options.kafka.consumer({
    groupId: `${options.groupPrefix}${randomUUID()}`,
    readUncommitted: false,
    allowAutoTopicCreation: false,
  });
  try {
    await consumer.connect();
    await consumer.subscribe({ topic: options.topic, fromBeginning: true });
    await new Promise<void>((resolve, reject) => {
      let stall: NodeJS.Timeout | undefined;
      const armStall = () => {
        clearTimeout(stall);
        stall = setTimeout(() => {
          const where = [...pending]
            .map((p) => `partition ${p} read to offset ${furthest.get(p)} of ${byPartition.get(p)!.end - 1n}`)
            .join(', ');
          reject(
            new CommittedReadStalledError(
              `no progress reading the committed records of ${options.topic} for ${options.stallMs} ms (${where}); ` +
                'an open transaction of another producer holds read_committed readers back until it is aborted',
            ),
          );
        }, options.stallMs);
      };
      const advance = (partition: number, lastOffset: bigint) => {
        const range = byPartition.get(partition);
        if (!range) return;
        if (lastOffset > furthest.get(partition)!) {
          furthest.set(partition, lastOffset);
          armStall();
        }
        if (lastOffset >= range.end - 1n) pending.delete(partition);
        if (pending.size === 0) {
          clearTimeout(stall);
          resolve();
        }
      };
      // Joining the group is not reading: the stall clock starts once partitions are assigned.
      consumer.on(consumer.events.GROUP_JOIN, () => armStall());
      consumer.on(consumer.events.END_BATCH_PROCESS, ({ payload }) =>
        advance(payload.partition, BigInt(payload.lastOffset)),
      );
      consumer
        .run({
          autoCommit: false,
          eachBatch: async ({ batch, pause }) => {
            const range = byPartition.get(batch.partition);
            if (!range) {
              pause(); // a partition this read has no range in (the group is assigned the whole topic)
              return;
            }
            for (const m of batch.messages) {
              const offset = BigInt(m.offset);
              if (offset >= range.start && offset < range.end)
                records.push({ partition: batch.partition, offset, message: m });
            }
          },
        })
        .catch((err: unknown) => {
          clearTimeout(stall);
          reject(err);
        });
      for (const r of wanted) consumer.seek({ topic: options.topic, partition: r.partition, offset: String(r.start) });
    });
  } finally {
    await consumer.disconnect().catch(() => undefined);
  }
  return records;
}
