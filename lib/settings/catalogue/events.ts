/** The catalogue's event settings: the enriched and error events' streams, schemas and timestamps. */
import { integer, list, oneOf, text } from '../setting.js';
import { DEFAULT_TOPICS } from './topics.js';

/**
 * Wikimedia's primary schema repository, as eventutilities resolves `$schema` URIs against it:
 * `<base>/mediawiki/page/change/1.12.0`.
 */
export const WIKIMEDIA_SCHEMA_REPOSITORY = 'https://schema.wikimedia.org/repositories/primary/jsonschema';

/** What is wrong with a schema repository base URI: http(s), no credentials, query or fragment. */
function schemaBaseUriProblem(item: string): string | undefined {
  let url: URL;
  try {
    url = new URL(item);
  } catch {
    return 'is not an absolute URI';
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return 'is not an http(s) URI';
  if (url.username || url.password || url.search || url.hash) return 'must have no credentials, query or fragment';
  return undefined;
}

export const EVENT_SETTINGS = {
  OUTPUT_STREAM: text({ default: DEFAULT_TOPICS.output, doc: '`meta.stream` of enriched events.' }),
  ERROR_STREAM: text({ default: DEFAULT_TOPICS.error, doc: '`meta.stream` of error events.' }),
  OUTPUT_SCHEMA_URI: text({
    default: undefined,
    defaultDoc: "unset (keep the input's `$schema`)",
    example: '/mediawiki/page/change/1.2.0',
    doc:
      'Pins the `mediawiki/page/change` version of enriched events (e.g. `/mediawiki/page/change/1.2.0`): fields it ' +
      'does not declare are dropped, `$schema` is set, and each event is validated against it. A version the bundle ' +
      'lacks is fetched from `EVENT_SCHEMA_BASE_URIS` at the first invocation, which fails while it cannot be.',
  }),
  OUTPUT_KAFKA_TIMESTAMP: oneOf(['event', 'produce'], {
    default: 'event',
    doc:
      "Kafka timestamp of enriched records: `event` is the event's `dt` (the input record's timestamp when `dt` " +
      'cannot be parsed), `produce` the time of producing.',
  }),
  EVENT_SCHEMA_BASE_URIS: list({
    default: [WIKIMEDIA_SCHEMA_REPOSITORY],
    defaultDoc: `Wikimedia's primary schema repository (\`${WIKIMEDIA_SCHEMA_REPOSITORY}\`)`,
    item: schemaBaseUriProblem,
    example: 'https://schema.example.org/jsonschema,https://mirror.example.org/jsonschema',
    doc:
      'Schema repositories (base URIs, tried in order) that an output `$schema` the bundle lacks is fetched from, ' +
      'as `<base>/mediawiki/page/change/1.12.0`, once per container; a mirror, or materialize the versions offline.',
  }),
  EVENT_SCHEMA_TIMEOUT_MS: integer({
    default: 2000,
    min: 1,
    doc:
      'Time allowed to fetch one schema version (every base URI, request and retry), ms; the invocation deadline ' +
      'bounds it too. Until a version resolves, its events are produced as they are.',
  }),
  EVENT_SCHEMA_RETRY_INTERVAL_MS: integer({
    default: 60_000,
    min: 1,
    doc:
      'After a version failed to resolve, its events are produced as they are for this long before it is fetched ' +
      'again; the wait doubles with each failure, up to 16 times, ms.',
  }),
  ERROR_SCHEMA_URI: text({ default: '/error/2.1.0', doc: '`$schema` of error events.' }),
  EMITTER_ID: text({ default: 'mw-page-content-change-enrich', doc: '`emitter_id` of error events.' }),
} as const;
