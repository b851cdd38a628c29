/**
 * The opt-in `ingest` key of an environment: deploy the EventStreams ingest (docs/ingest.md), which reads
 * Wikimedia's public EventStreams into the input topic on a schedule.
 *
 * ```json
 * "ingest": { "url": "https://stream.wikimedia.org/v2/stream/mediawiki.page_change.v1", "userAgent": "my-mirror (me@example.org)" }
 * ```
 */
export interface IngestConfig {
  /** EventStreams URL (`https://`). */
  readonly url: string;
  /** User-Agent with contact details: Wikimedia's User-Agent policy asks for it. */
  readonly userAgent: string;
  /**
   * Where a first run starts (ISO 8601 or ms since the epoch); a later time skips forward to it (docs/ingest.md).
   * @default - the live end of the stream
   */
  readonly since?: string;
  /**
   * Lag alarm: now minus the last written `meta.dt`, seconds (>).
   * @default 1800
   */
  readonly lagAlarmSeconds?: number;
}

const KEYS = new Set(['url', 'userAgent', 'since', 'lagAlarmSeconds']);

/** Problems of an `ingest` value, one line each (none when it is valid or absent). */
export function ingestConfigProblems(value: unknown): string[] {
  if (value === undefined) return [];
  if (value === null || typeof value !== 'object' || Array.isArray(value))
    return ['ingest must be an object {url, userAgent, since?}'];
  const v = value as Record<string, unknown>;
  const problems = Object.keys(v)
    .filter((k) => !KEYS.has(k))
    .map((k) => `ingest.${k} is not a key of ingest (url, userAgent, since, lagAlarmSeconds)`);
  let url: URL | undefined;
  try {
    url = typeof v.url === 'string' ? new URL(v.url) : undefined;
  } catch {
    url = undefined;
  }
  if (url?.protocol !== 'https:') problems.push(`ingest.url must be an https:// URL, got ${JSON.stringify(v.url)}`);
  if (typeof v.userAgent !== 'string' || !/\S+@\S+|https?:\/\//.test(v.userAgent)) {
    problems.push("ingest.userAgent must name a contact (an e-mail address or a URL): Wikimedia's User-Agent policy");
  }
  if (
    v.since !== undefined &&
    (typeof v.since !== 'string' || (!/^\d+$/.test(v.since) && !Number.isFinite(Date.parse(v.since))))
  ) {
    problems.push(`ingest.since must be ISO 8601 or ms since the epoch, got ${JSON.stringify(v.since)}`);
  }
  if (v.lagAlarmSeconds !== undefined && (!Number.isInteger(v.lagAlarmSeconds) || (v.lagAlarmSeconds as number) < 60)) {
    problems.push(`ingest.lagAlarmSeconds must be an integer >= 60, got ${JSON.stringify(v.lagAlarmSeconds)}`);
  }
  return problems;
}
