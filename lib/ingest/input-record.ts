/**
 * One EventStreams event as an input-topic record: the event's `data` unchanged as the value, keyed
 * `{"wiki_id","page_id"}` as Wikimedia keys the topic (per-page order downstream), stamped with
 * `meta.dt`, and carrying its stream position in headers so the topic itself says where to resume.
 * Data that is not JSON, or an event without a key, still goes to the topic (keyed null): the
 * enrichment turns it into an error event, nothing is dropped at the door.
 */
import { messageKeyForText } from '../pipeline/enrich.js';

/** Header with the event's SSE `id` (its EventStreams position), as received. */
export const POSITION_HEADER = 'eventstreams_id';
/**
 * Header with the record's sequence number in the ingest's output: one more than the record before,
 * across restarts, so the newest record of all partitions' tails is the one with the largest.
 */
export const SEQUENCE_HEADER = 'ingest_seq';

export interface StreamEvent {
  /** The SSE `id` field (the last one seen when the event had none). */
  readonly id: string | undefined;
  readonly data: string;
}

export interface InputRecord {
  readonly key: string | null;
  readonly value: string;
  /** `meta.dt` in ms; undefined (the producer's clock) when the event has none that parses. */
  readonly timestamp: number | undefined;
  /** `meta.id`, the identity replays are dropped by; for data without one, the data itself. */
  readonly identity: string;
  /** `meta.dt` as written in the event, for progress and lag. */
  readonly metaDt: string | undefined;
  /** Whether `data` parsed as a JSON object. */
  readonly json: boolean;
}

export function inputRecordFor(event: StreamEvent): InputRecord {
  let meta: { id?: unknown; dt?: unknown } | undefined;
  let json = false;
  try {
    const parsed = JSON.parse(event.data) as unknown;
    if (parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed)) {
      json = true;
      const m = (parsed as { meta?: unknown }).meta;
      if (m !== null && typeof m === 'object') meta = m as typeof meta;
    }
  } catch {
    // Not JSON: produced unchanged, keyed null.
  }
  const metaDt = typeof meta?.dt === 'string' ? meta.dt : undefined;
  const ms = metaDt === undefined ? Number.NaN : Date.parse(metaDt);
  return {
    key: json ? messageKeyForText(event.data) : null,
    value: event.data,
    timestamp: Number.isFinite(ms) ? ms : undefined,
    identity: typeof meta?.id === 'string' ? meta.id : `data:${event.data}`,
    metaDt,
    json,
  };
}
