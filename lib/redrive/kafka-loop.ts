/**
 * The redrive's Kafka loop: read the source topic with a consumer group of its own, produce the
 * selected records to the input topic, commit after the produce is acknowledged.
 */
import type { Kafka, KafkaMessage, Message, Producer } from 'kafkajs';
import { chunkBySize } from '../kafka/producer.js';
import { defaultRedriveGroupId, RedriveOptionsError } from './request.js';
import {
  decideRedrive,
  isAfterWindow,
  type RedriveRecord,
  type RedriveSelection,
  type SourceRecord,
} from './selection.js';
import { RedriveTally, type RedriveSummary } from './tally.js';

/**
 * A run's options: the selection and limits as `parseRedriveRequest` (lib/redrive/request.ts) validated them,
 * and what the caller decides (client, topics, group, stop conditions).
 */
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
  /** Stop, having committed what was produced, when this signal aborts (the CLI aborts on Ctrl-C). @default - none */
  readonly signal?: AbortSignal;
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

/**
 * Where the group reads each partition of `topic` from (its committed offset, else the partition's start) and,
 * for the partitions with records before their end offset now, that end: the run reads up to it.
 */
async function readingRange(
  kafka: Kafka,
  topic: string,
  groupId: string,
): Promise<{ positions: Record<string, string>; remaining: Map<number, bigint> }> {
  const positions: Record<string, string> = {};
  const remaining = new Map<number, bigint>();
  const admin = kafka.admin();
  await admin.connect();
  try {
    const ends = await retried(() => admin.fetchTopicOffsets(topic));
    const [committed] = await retried(() => admin.fetchOffsets({ groupId, topics: [topic] }));
    for (const p of ends) {
      const c = committed?.partitions.find((x) => x.partition === p.partition)?.offset ?? '-1';
      const start = BigInt(c) >= 0n ? BigInt(c) : BigInt(p.low);
      positions[String(p.partition)] = String(start);
      if (start < BigInt(p.high)) remaining.set(p.partition, BigInt(p.high));
    }
  } finally {
    await admin.disconnect();
  }
  return { positions, remaining };
}

/** The batch's partition went to another member of the group before its pending records were produced. */
class PartitionMovedError extends Error {
  override readonly name = 'PartitionMovedError';
  constructor(partition: number) {
    super(`partition ${partition} moved to another member of the group; nothing of it was produced uncommitted`);
  }
}

/** Errors that mean this member must rejoin the group (kafkajs rejoins when eachBatch throws them). */
const REJOIN_ERRORS: ReadonlySet<string> = new Set([
  'REBALANCE_IN_PROGRESS',
  'ILLEGAL_GENERATION',
  'UNKNOWN_MEMBER_ID',
]);

function isGroupRebalance(err: unknown): boolean {
  return REJOIN_ERRORS.has(String((err as { type?: unknown })?.type));
}

function messageOf(record: RedriveRecord): Message {
  return { key: record.key, value: record.value, headers: record.headers };
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
 *
 * Concurrent runs on one group (the redrive function has no reserved concurrency) never redrive a record
 * twice: Kafka gives each partition to one member; before producing a chunk a member heartbeats, so a
 * rebalance under way stops it with nothing produced; once it produced, it commits before it rejoins (the
 * coordinator accepts the current generation's commits while it waits for members to rejoin), so a
 * partition moves to another member only with its produced records committed. The bound: a chunk's
 * produce and commit take less than the session timeout (30 s); beyond it the member is evicted, the commit
 * fails, and the run ends with that error rather than passing on silently
 * (test/integration/redrive-concurrent.test.ts).
 */
export async function runRedrive(opts: RedriveRunOptions): Promise<RedriveSummary> {
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

  const { positions, remaining } = await readingRange(opts.kafka, opts.sourceTopic, groupId);
  Object.assign(summary.positions, positions);
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
  /** Resolves with the reason the run stopped, or `undefined` when an error ended it (`failure`). */
  let finish!: (stoppedBy: RedriveSummary['stoppedBy'] | undefined) => void;
  const finished = new Promise<RedriveSummary['stoppedBy'] | undefined>((resolve) => (finish = resolve));
  /** The error that ended the run, also when it came after a reason to stop. */
  let failure: { readonly error: unknown } | undefined;
  let lastProgress = Date.now();
  let lastLog = 0;
  let lastLine = '';
  let stopped = false;
  const end = (stoppedBy: RedriveSummary['stoppedBy'] | undefined) => {
    if (!stopped) {
      stopped = true;
      finish(stoppedBy);
    }
  };
  const stop = (stoppedBy: RedriveSummary['stoppedBy']) => end(stoppedBy);
  const fail = (error: unknown) => {
    failure ??= { error };
    end(undefined);
  };
  const chunkSize = opts.chunkSize ?? 100;
  /** A chunk was acknowledged by the broker and its offsets are not committed yet. */
  let producedUncommitted = false;
  const maxRequestBytes = opts.maxRequestBytes ?? 1_048_576;

  const abort = () => stop('aborted');
  if (opts.signal?.aborted) abort();
  opts.signal?.addEventListener('abort', abort, { once: true });
  const watchdog = setInterval(() => {
    if (opts.stopAt !== undefined && Date.now() >= opts.stopAt) stop('deadline');
    if (Date.now() - lastProgress > (opts.idleTimeoutMs ?? 30_000)) stop('idle');
  }, 250);

  let stoppedBy: RedriveSummary['stoppedBy'] | undefined;
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
          let reachedEnd = false;

          // Produce what is pending, then commit up to `lastOffset` (skipped records included).
          const flush = async () => {
            if (pending.length > 0 && producer) {
              // A rebalance under way (another redrive joined the group) shows here, before anything is produced:
              // this member rejoins and the partition's next owner reads from the committed offset.
              await heartbeat();
              if (isStale() || !isRunning()) throw new PartitionMovedError(batch.partition);
              producedUncommitted = true;
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
              // Accepted while the group prepares a rebalance: the coordinator waits for this member to rejoin.
              if (!dryRun)
                await consumer.commitOffsets([{ topic: batch.topic, partition: batch.partition, offset: next }]);
              producedUncommitted = false;
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
              reachedEnd = true;
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
            if (BigInt(message.offset) + 1n >= end) reachedEnd = true;
            if (pending.length >= chunkSize) await flush();
          }
          await flush();
          // Done with the partition only once its last records are produced and committed.
          if (reachedEnd) remaining.delete(batch.partition);
          if (!remaining.has(batch.partition)) pause();
          if (remaining.size === 0) stop('caught-up');
          if (opts.max !== undefined && summary.selected >= opts.max && !stopped) {
            // Stop once the limit is met, unless everything was read anyway.
            stop(remaining.size === 0 ? 'caught-up' : 'max');
          }
        } catch (err) {
          // The group is rebalancing and nothing is left produced but uncommitted: kafkajs rejoins, and whoever
          // owns the partition next reads from its committed offset. Anything else ends the run.
          if (err instanceof PartitionMovedError) return; // kafkajs drops the stale batch
          if (!producedUncommitted && isGroupRebalance(err)) throw err;
          fail(err);
          throw err;
        }
      },
    });
    stoppedBy = await finished;
  } finally {
    clearInterval(watchdog);
    opts.signal?.removeEventListener('abort', abort);
    await consumer.disconnect().catch(() => undefined);
    await producer?.disconnect().catch(() => undefined);
  }
  if (failure) throw failure.error;
  summary.stoppedBy = stoppedBy!;
  if (tally.progressLine() !== lastLine) log(tally.progressLine());
  return summary;
}
