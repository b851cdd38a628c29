/** What an ingest run counted, and the lines and metrics it reports them with. */

export interface IngestTally {
  /** Events written to the input topic (committed). */
  written: number;
  /** Events a resumed connection sent again, dropped by `meta.id`. */
  replaysDropped: number;
  /** Events whose data is not a JSON object: written unchanged, keyed null. */
  invalidData: number;
  /** JSON events without `wiki_id` and `page.page_id`: written keyed null. */
  unkeyed: number;
  /** Events whose SSE id is not a position: written; the position is not advanced by them. */
  invalidIds: number;
  /** SSE lines the parser could not read. */
  parseErrors: number;
  /** Events of another SSE event type than `message` (not page changes): logged, not written. */
  otherEventTypes: number;
  /** Connections opened after the first. */
  reconnects: number;
  /** 429/503 answers honoured with their Retry-After. */
  throttled: number;
  /** Transactions committed. */
  transactions: number;
}

export function emptyTally(): IngestTally {
  return {
    written: 0,
    replaysDropped: 0,
    invalidData: 0,
    unkeyed: 0,
    invalidIds: 0,
    parseErrors: 0,
    otherEventTypes: 0,
    reconnects: 0,
    throttled: 0,
    transactions: 0,
  };
}

/** Structured log lines of the run: the CLI prints them, the function logs them with Powertools. */
export interface IngestLog {
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

export interface IngestProgress {
  readonly written: number;
  /** Events written per second since the last progress report. */
  readonly eventsPerSecond: number;
  readonly lastMetaDt: string | undefined;
  /** Now minus the last written event's `meta.dt`, ms. */
  readonly lagMs: number | undefined;
}
