/** The catalogue's EventStreams ingest settings (docs/ingest.md). */
import { integer, type SettingReader, text } from '../setting.js';
import { DEFAULT_USER_AGENT } from './mediawiki.js';

const INGEST_ONLY: readonly SettingReader[] = ['ingest'];

export const INGEST_SETTINGS = {
  EVENTSTREAMS_URL: text({
    default: undefined,
    scope: 'wired',
    readBy: INGEST_ONLY,
    doc: 'EventStreams URL the ingest reads, e.g. `https://stream.wikimedia.org/v2/stream/mediawiki.page_change.v1`.',
  }),
  EVENTSTREAMS_SINCE: text({
    default: undefined,
    defaultDoc: 'unset (the live end of the stream)',
    scope: 'wired',
    readBy: INGEST_ONLY,
    doc:
      'Where a first run starts (ISO 8601 or ms since the epoch). Ignored while the topic holds a later position; ' +
      'a later time skips forward to it (after a history-too-old stop).',
  }),
  EVENTSTREAMS_USER_AGENT: text({
    default: DEFAULT_USER_AGENT,
    defaultDoc: 'a generic User-Agent',
    scope: 'wired',
    readBy: INGEST_ONLY,
    doc: "User-Agent of the stream request; Wikimedia's User-Agent policy asks for contact information: set it.",
  }),
  INGEST_TRANSACTIONAL_ID: text({
    default: 'mw-page-content-change-enrich.ingest',
    scope: 'wired',
    readBy: INGEST_ONLY,
    doc: 'Kafka transactional id of the ingest: one per input topic. A second ingest with it fences the first.',
  }),
  INGEST_BATCH_MAX_EVENTS: integer({
    default: 500,
    min: 1,
    scope: 'wired',
    readBy: INGEST_ONLY,
    doc: 'Events per transaction at most.',
  }),
  INGEST_BATCH_MAX_MS: integer({
    default: 1000,
    min: 1,
    scope: 'wired',
    readBy: INGEST_ONLY,
    doc: 'Longest an event waits for its transaction to commit, ms.',
  }),
  INGEST_TRANSACTION_TIMEOUT_MS: integer({
    default: 60_000,
    min: 1000,
    scope: 'wired',
    readBy: INGEST_ONLY,
    doc: "Kafka aborts an ingest transaction left open this long (a crashed ingest's); reading the position back gives up after this long without progress, ms.",
  }),
  INGEST_TAIL_RECORDS: integer({
    default: 1000,
    min: 1,
    scope: 'wired',
    readBy: INGEST_ONLY,
    doc: 'Offsets read back first from the end of each input partition at start to find the position and the replayable events; a window without a committed record of the ingest is widened, twice as wide each time.',
  }),
  INGEST_IDLE_TIMEOUT_MS: integer({
    default: 60_000,
    min: 1000,
    scope: 'wired',
    readBy: INGEST_ONLY,
    doc: 'A connection that sends nothing, not even a heartbeat, this long is dropped and resumed, ms.',
  }),
  INGEST_CONNECT_TIMEOUT_MS: integer({
    default: 10_000,
    min: 1,
    scope: 'wired',
    readBy: INGEST_ONLY,
    doc: 'TCP/TLS connect timeout of the stream request, ms.',
  }),
  INGEST_RECONNECT_MAX_MS: integer({
    default: 30_000,
    min: 1,
    scope: 'wired',
    readBy: INGEST_ONLY,
    doc: 'Longest backoff between failed connections, ms; a longer `Retry-After` wins.',
  }),
} as const;
