/** The ways an ingest run stops or skips, as named classes. */

/** An SSE `id` that is not an EventStreams position: the event is still produced, the position is not advanced. */
export class InvalidEventIdError extends Error {
  override readonly name = 'InvalidEventIdError';
}

/**
 * The stored position is older than the stream's history: resuming there would skip events without
 * anyone noticing. The run stops; the message says how much was lost and how to start again.
 */
export class HistoryTooOldError extends Error {
  override readonly name = 'HistoryTooOldError';
  constructor(
    message: string,
    /** `meta.dt` of the last event written, and of the first one the stream still has. */
    readonly lastWrittenDt: string | undefined,
    readonly firstAvailableDt: string | undefined,
  ) {
    super(message);
  }
}

/**
 * Another ingest with the same transactional id started (Kafka bumped the producer epoch): this one
 * is a zombie, its open transaction was aborted, and it stops without writing anything more.
 */
export class IngestFencedError extends Error {
  override readonly name = 'IngestFencedError';
}

/** EventStreams answered something other than an event stream (status, content type). */
export class StreamHttpError extends Error {
  override readonly name = 'StreamHttpError';
  constructor(
    readonly status: number,
    message: string,
    /** `Retry-After`, ms, when the server sent one. */
    readonly retryAfterMs?: number,
  ) {
    super(message);
  }
}
