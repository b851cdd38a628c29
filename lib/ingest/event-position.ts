/**
 * EventStreams positions: the SSE `id` of each event, a JSON array with one entry per upstream Kafka
 * topic and partition, each holding an `offset` or a `timestamp` (Wikimedia, "Event Platform/EventStreams
 * HTTP Service": a client resumes by sending the id back as `Last-Event-ID`). Pure parsing and comparison.
 */
import { InvalidEventIdError } from './errors.js';

export interface PositionEntry {
  readonly topic: string;
  readonly partition: number;
  /** Kafka offset; -1 when the partition has no position yet. */
  readonly offset?: number;
  /** Kafka timestamp, ms since the epoch: the server resumes at the first record at or after it. */
  readonly timestamp?: number;
}

export type EventPosition = readonly PositionEntry[];

/** Parses an SSE id; throws `InvalidEventIdError` (with the id in its message) when it is not a position. */
export function parsePosition(id: string): EventPosition {
  let parsed: unknown;
  try {
    parsed = JSON.parse(id);
  } catch {
    throw new InvalidEventIdError(`SSE id is not JSON: ${JSON.stringify(id.slice(0, 200))}`);
  }
  if (!Array.isArray(parsed) || parsed.length === 0) {
    throw new InvalidEventIdError(`SSE id is not a non-empty JSON array: ${JSON.stringify(id.slice(0, 200))}`);
  }
  return parsed.map((entry: unknown) => {
    const e = entry as Partial<Record<keyof PositionEntry, unknown>> | null;
    const integer = (v: unknown) => typeof v === 'number' && Number.isSafeInteger(v);
    if (
      !e ||
      typeof e.topic !== 'string' ||
      !integer(e.partition) ||
      (e.offset === undefined) === (e.timestamp === undefined) ||
      (e.offset !== undefined && !integer(e.offset)) ||
      (e.timestamp !== undefined && !integer(e.timestamp))
    ) {
      throw new InvalidEventIdError(
        `SSE id entry is not {topic, partition, offset|timestamp}: ${JSON.stringify(entry)?.slice(0, 200)}`,
      );
    }
    return e as PositionEntry;
  });
}

/** The newest upstream timestamp a position names, ms; undefined for offset-only positions. */
export function positionTimestamp(position: EventPosition): number | undefined {
  const stamps = position.flatMap((e) => (e.timestamp === undefined ? [] : [e.timestamp]));
  return stamps.length > 0 ? Math.max(...stamps) : undefined;
}

/**
 * Whether a connection resumed at `position` replays records: the server seeks each timestamp entry
 * to the first record at or after it, so that record (and any other of the same millisecond) comes
 * again. Offset entries resume exactly.
 */
export function replaysOnResume(position: EventPosition): boolean {
  return position.some((e) => e.timestamp !== undefined);
}
