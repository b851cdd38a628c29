/**
 * The ingest: EventStreams into the input topic, each event once.
 *
 * A session claims the transactional id (fencing any other ingest on it), reads back the position
 * the topic's committed tail holds, connects with it as `Last-Event-ID` (or `since` on a first start),
 * and writes events in transactions whose records carry their position. A closed connection is
 * resumed from the last committed position; a failed write ends the session and a new one starts
 * from what the topic holds, as a restarted process would. Another ingest claiming the id, or a
 * position older than the stream's history, stops the run.
 */
import type { Kafka, Message } from 'kafkajs';
import type { KafkaCompressionName } from '../kafka/kafka-codecs.js';
import { HistoryTooOldError, IngestFencedError, InvalidEventIdError, StreamHttpError } from './errors.js';
import { type EventPosition, parsePosition, positionTimestamp, replaysOnResume } from './event-position.js';
import { connectEventStream, type SseItem } from './event-stream.js';
import { emptyTally, type IngestLog, type IngestProgress, type IngestTally } from './ingest-tally.js';
import { POSITION_HEADER, SEQUENCE_HEADER, inputRecordFor } from './input-record.js';
import { historyTooOld } from './history.js';
import { ReplayWindow } from './replay-window.js';
import { positionGroupPrefix, readStoredPosition } from './stored-position.js';
import { TransactionalWriter } from './transactional-writer.js';

export interface IngestOptions {
  readonly kafka: Kafka;
  readonly topic: string;
  readonly url: string;
  readonly userAgent: string;
  /** Start time of a first run (no position in the topic), or a later time to skip forward to. */
  readonly since?: string;
  readonly transactionalId: string;
  readonly compression: KafkaCompressionName;
  readonly transactionTimeoutMs: number;
  readonly batchMaxEvents: number;
  readonly batchMaxMs: number;
  readonly tailRecords: number;
  readonly idleTimeoutMs: number;
  readonly connectTimeoutMs: number;
  readonly reconnectMaxMs: number;
  /** Stop after writing this many events. */
  readonly maxEvents?: number;
  /** Stop when no event arrived for this long, ms (heartbeats do not count). */
  readonly untilIdleMs?: number;
  /** Stop reading at this time (ms since the epoch), having committed what was read. */
  readonly stopAt?: number;
  readonly signal?: AbortSignal;
  readonly log: IngestLog;
  readonly onProgress?: (progress: IngestProgress) => void;
  /** How often `onProgress` is called, ms. */
  readonly progressMs?: number;
  /** Called after each committed transaction (tests hold a run here; the function emits metrics). */
  readonly afterCommit?: (committed: {
    count: number;
    lastMetaDt: string | undefined;
    tally: IngestTally;
  }) => void | Promise<void>;
  readonly now?: () => number;
}

export type StopReason = 'max-events' | 'until-idle' | 'deadline' | 'signal';

export interface IngestResult {
  readonly tally: IngestTally;
  readonly stoppedBecause: StopReason;
  readonly lastMetaDt: string | undefined;
  readonly lastEventId: string | undefined;
}

const TICK = Symbol('tick');
const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve) => {
    const t = setTimeout(resolve, ms);
    signal?.addEventListener(
      'abort',
      () => {
        clearTimeout(t);
        resolve();
      },
      { once: true },
    );
  });

/** Runs until a stop condition; throws `IngestFencedError`, `HistoryTooOldError`, or a configuration error. */
export async function runIngest(o: IngestOptions): Promise<IngestResult> {
  const now = o.now ?? Date.now;
  const tally = emptyTally();
  let lastEventId: string | undefined;
  let lastMetaDt: string | undefined;
  let lastEventAt = now();
  let failures = 0;
  let stop: StopReason | undefined;
  const checkStop = (): StopReason | undefined => {
    stop ??= o.signal?.aborted
      ? 'signal'
      : o.maxEvents !== undefined && tally.written >= o.maxEvents
        ? 'max-events'
        : o.stopAt !== undefined && now() >= o.stopAt
          ? 'deadline'
          : o.untilIdleMs !== undefined && now() - lastEventAt >= o.untilIdleMs
            ? 'until-idle'
            : undefined;
    return stop;
  };
  const progressMs = o.progressMs ?? 5000;
  let progressAt = now();
  let progressWritten = 0;
  const progress = (force = false) => {
    const t = now();
    if (!o.onProgress || (!force && t - progressAt < progressMs)) return;
    const dt = lastMetaDt === undefined ? Number.NaN : Date.parse(lastMetaDt);
    o.onProgress({
      written: tally.written,
      eventsPerSecond: ((tally.written - progressWritten) * 1000) / Math.max(1, t - progressAt),
      lastMetaDt,
      lagMs: Number.isFinite(dt) ? t - dt : undefined,
    });
    progressAt = t;
    progressWritten = tally.written;
  };

  while (!checkStop()) {
    // ------------------------------------------------------------ session: claim, read back, stream
    const writer = await TransactionalWriter.open(o);
    try {
      const stored = await readStoredPosition({
        kafka: o.kafka,
        topic: o.topic,
        tailRecords: o.tailRecords,
        groupPrefix: positionGroupPrefix(o.transactionalId),
        stallMs: o.transactionTimeoutMs,
      });
      lastEventAt = Math.max(lastEventAt, now()); // reading the position back is not the stream being idle
      let position: EventPosition | undefined = stored?.position;
      let sequence = stored?.sequence ?? 0;
      let window = stored?.window ?? new ReplayWindow();
      lastEventId = stored?.lastEventId;
      lastMetaDt = stored?.lastMetaDt ?? lastMetaDt;
      let since: string | undefined;
      const sinceMs =
        o.since === undefined ? Number.NaN : /^\d+$/.test(o.since) ? Number(o.since) : Date.parse(o.since);
      // The stored position's time as the message of a history-too-old stop names it: the last event's meta.dt.
      const storedMs = stored
        ? stored.lastMetaDt
          ? Date.parse(stored.lastMetaDt)
          : positionTimestamp(stored.position)
        : undefined;
      if (o.since !== undefined && (!stored || (storedMs !== undefined && sinceMs > storedMs))) {
        if (stored)
          o.log.warn('since is later than the stored position: skipping forward, as asked', {
            since: o.since,
            lastEventId,
          });
        since = o.since;
        lastEventId = undefined;
        position = undefined;
        window = new ReplayWindow();
      }
      o.log.info(
        lastEventId
          ? 'resuming from the position in the topic'
          : since
            ? 'starting at since'
            : 'starting at the live end of the stream',
        {
          topic: o.topic,
          lastEventId,
          since,
          sequence,
          lastMetaDt,
        },
      );

      let batch: Message[] = [];
      let batchStartedAt = 0;
      let batchLastId: string | undefined;
      let batchLastDt: string | undefined;
      const flush = async () => {
        if (batch.length === 0) return;
        await writer.write(batch);
        tally.written += batch.length;
        tally.transactions++;
        lastEventId = batchLastId;
        lastMetaDt = batchLastDt ?? lastMetaDt;
        const count = batch.length;
        batch = [];
        failures = 0;
        // Idle means the stream sent nothing: time spent writing does not count.
        lastEventAt = Math.max(lastEventAt, now());
        await o.afterCommit?.({ count, lastMetaDt, tally });
        progress();
      };

      // ---------------------------------------------------------- connections, until a stop
      while (!checkStop()) {
        const resumedAt =
          lastEventId !== undefined && position && replaysOnResume(position) && window.size > 0
            ? lastMetaDt
            : undefined;
        let expectOverlap = resumedAt !== undefined;
        const connection = new AbortController();
        const onStop = () => connection.abort();
        o.signal?.addEventListener('abort', onStop, { once: true });
        const items = connectEventStream({
          url: o.url,
          userAgent: o.userAgent,
          lastEventId,
          since: lastEventId === undefined ? since : undefined,
          idleTimeoutMs: o.idleTimeoutMs,
          connectTimeoutMs: o.connectTimeoutMs,
          signal: connection.signal,
        });
        let retryHintMs: number | undefined;
        let closedCleanly = false;
        let next: Promise<IteratorResult<SseItem>> | undefined;
        try {
          for (;;) {
            next ??= items.next();
            const waitMs = Math.max(
              0,
              Math.min(
                batch.length > 0 ? batchStartedAt + o.batchMaxMs - now() : Number.POSITIVE_INFINITY,
                o.untilIdleMs !== undefined ? lastEventAt + o.untilIdleMs - now() : Number.POSITIVE_INFINITY,
                o.stopAt !== undefined ? o.stopAt - now() : Number.POSITIVE_INFINITY,
                progressMs,
              ),
            );
            let timer: NodeJS.Timeout | undefined;
            const r = await Promise.race([
              next,
              new Promise<typeof TICK>((res) => (timer = setTimeout(res, waitMs, TICK))),
            ]);
            clearTimeout(timer);
            if (r === TICK) {
              if (batch.length > 0 && now() - batchStartedAt >= o.batchMaxMs) await flush();
              progress();
              if (checkStop()) break;
              continue;
            }
            next = undefined;
            if (r.done) {
              closedCleanly = true;
              break;
            }
            const item = r.value;
            if (item.kind === 'comment') continue;
            if (item.kind === 'retry') {
              retryHintMs = item.ms;
              continue;
            }
            if (item.kind === 'parse-error') {
              tally.parseErrors++;
              o.log.warn('an SSE line could not be parsed; skipped', { reason: item.message });
              continue;
            }
            if (item.event !== undefined && item.event !== 'message') {
              tally.otherEventTypes++;
              o.log.warn('SSE event of another type than message: not a page change, not written', {
                event: item.event,
                data: item.data.slice(0, 300),
              });
              continue;
            }
            lastEventAt = now();
            const record = inputRecordFor({ id: item.id, data: item.data });
            if (expectOverlap) {
              expectOverlap = false;
              if (!window.has(record.identity)) throw historyTooOld(resumedAt, record.metaDt, lastEventId);
            }
            if (window.has(record.identity)) {
              tally.replaysDropped++;
              continue;
            }
            let recordPosition = position;
            let recordId = lastEventId;
            try {
              if (item.id === undefined) throw new InvalidEventIdError('event without an SSE id');
              recordPosition = parsePosition(item.id);
              recordId = item.id;
            } catch (err) {
              if (!(err instanceof InvalidEventIdError)) throw err;
              tally.invalidIds++;
              o.log.warn('SSE id is not an EventStreams position: event written, position not advanced', {
                reason: err.message,
                metaId: record.identity.slice(0, 100),
              });
            }
            if (!record.json) {
              tally.invalidData++;
              o.log.warn(
                'event data is not a JSON object: written unchanged, keyed null (the enrichment makes it an error event)',
                {
                  data: item.data.slice(0, 300),
                },
              );
            } else if (record.key === null) tally.unkeyed++;
            if (recordId !== undefined && recordPosition !== undefined) {
              window.add(record.identity, recordPosition);
              position = recordPosition;
            }
            sequence++;
            if (batch.length === 0) batchStartedAt = now();
            // Without any valid position yet (a first event with a bad id) the record carries none.
            const headers: Record<string, string> = { [SEQUENCE_HEADER]: String(sequence) };
            if (recordId !== undefined) headers[POSITION_HEADER] = recordId;
            batch.push({
              key: record.key,
              value: record.value,
              timestamp: record.timestamp === undefined ? undefined : String(record.timestamp),
              headers,
            });
            batchLastId = recordId;
            batchLastDt = record.metaDt ?? batchLastDt;
            if (
              batch.length >= o.batchMaxEvents ||
              (o.maxEvents !== undefined && tally.written + batch.length >= o.maxEvents)
            ) {
              await flush();
              if (checkStop()) break;
            }
          }
        } catch (err) {
          if (!isStreamError(err)) throw err;
          if (checkStop()) break;
          await flush();
          failures++;
          const wait =
            err instanceof StreamHttpError && err.retryAfterMs !== undefined
              ? err.retryAfterMs
              : Math.min(o.reconnectMaxMs, 500 * 2 ** Math.min(failures, 10) * (0.5 + Math.random() / 2));
          if (err instanceof StreamHttpError && (err.status === 429 || err.status === 503)) tally.throttled++;
          o.log.warn('EventStreams connection failed; reconnecting from the last committed position', {
            reason: (err as Error).message,
            waitMs: Math.round(wait),
          });
          await sleep(wait, o.signal);
        } finally {
          o.signal?.removeEventListener('abort', onStop);
          connection.abort();
          next?.catch(() => undefined);
        }
        await flush();
        if (checkStop()) break;
        tally.reconnects++;
        if (closedCleanly && retryHintMs !== undefined) await sleep(Math.min(retryHintMs, o.reconnectMaxMs), o.signal);
      }
      await flush();
    } catch (err) {
      if (err instanceof HistoryTooOldError || err instanceof IngestFencedError || !isWriteError(err)) throw err;
      failures++;
      const wait = Math.min(o.reconnectMaxMs, 500 * 2 ** Math.min(failures, 10));
      o.log.error('writing to Kafka failed: the transaction was aborted; a new session resumes from the topic', {
        reason: (err as Error).message,
        waitMs: wait,
      });
      await sleep(wait, o.signal);
    } finally {
      await writer.close();
    }
  }
  progress(true);
  return { tally, stoppedBecause: stop ?? 'signal', lastMetaDt, lastEventId };
}

/** Errors of the HTTP stream (reconnect), as opposed to Kafka's or the program's. */
function isStreamError(err: unknown): boolean {
  if (err instanceof StreamHttpError) return err.status === 429 || err.status >= 500 || err.status === 408;
  const name = (err as { name?: string } | undefined)?.name ?? '';
  const code = (err as { code?: string } | undefined)?.code ?? '';
  return name === 'StreamIdleError' || name === 'AbortError' || code.startsWith('UND_ERR') || /^E[A-Z]+$/.test(code);
}

/** Kafka errors a new session may get past (a broker restarting, a leader moving). */
function isWriteError(err: unknown): boolean {
  return ((err as { name?: string } | undefined)?.name ?? '').startsWith('KafkaJS');
}
