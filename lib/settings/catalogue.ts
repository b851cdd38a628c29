/**
 * The catalogue of the functions' settings: each environment variable the enrichment function,
 * the redrive function or the EventStreams ingest reads is declared here once — its type, default, bounds, a one-line
 * doc, and which function reads it (`readBy`).
 *
 * - The settings module is lib/'s only reader of the environment. A function (and each tool) reads its
 *   settings once at start with `readSettings(process.env)` and passes the values down
 *   (lib/settings/config.ts, kafka-client, kafka-sink, redrive): an invalid value fails the
 *   container start with one message naming every invalid variable; nothing is clamped or substituted.
 * - Infra derives the function section of `PipelineConfig` from the `tunable` entries (key =
 *   camelCase of the variable: `MW_API_BATCH_SIZE` → `mwApiBatchSize`), validates it with the
 *   same parsers (`functionEnvironmentFor`) and builds the function's environment from it.
 *   `wired` entries are set by infra from infrastructure facts (cluster, topics, secrets).
 * - The settings tables of docs/configuration.md (enrichment, redrive, ingest) are generated from it (`npm run docs:settings`); a test
 *   fails when they differ.
 *
 * Adding a setting: one entry here, then read it where it is used.
 */
import {
  ConfigurationError,
  EVERY_READER,
  integer,
  list,
  oneOf,
  type Setting,
  type SettingReader,
  type SettingScope,
  text,
} from './setting.js';

export {
  ConfigurationError,
  EVERY_READER,
  type Setting,
  type SettingReader,
  type SettingScope,
  SETTING_READERS,
} from './setting.js';

/** Wikimedia project domains. Anything else needs an explicit `MW_API_ALLOWED_DOMAINS`. */
export const WIKIMEDIA_DOMAINS: readonly string[] = [
  '*.wikipedia.org',
  '*.wiktionary.org',
  '*.wikibooks.org',
  '*.wikinews.org',
  '*.wikiquote.org',
  '*.wikisource.org',
  '*.wikiversity.org',
  '*.wikivoyage.org',
  '*.wikimedia.org',
  'www.wikidata.org',
  'test.wikidata.org',
  'commons.wikimedia.org',
  'www.mediawiki.org',
  'www.wikifunctions.org',
];

export const DEFAULT_USER_AGENT =
  'mw-page-content-change-enrich/0.1 (https://github.com/example/mw-page-content-change-enrich; set MW_API_USER_AGENT to your contact)';

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

/**
 * Default topic names, unprefixed (`KAFKA_TOPIC_PREFIX` is prepended), each written only here: the
 * runtime, the stack (infra/config), the local tools and the tests import them. The enriched and
 * error events' `meta.stream` defaults are the output and error topics' names.
 */
export const DEFAULT_TOPICS = {
  /** Wikimedia's `mediawiki.page_change.v1` stream: what the event source mapping reads. */
  input: 'mediawiki.page_change.v1',
  /** Enriched events. */
  output: 'mediawiki.page_content_change.v1',
  /** Error events: what the function could not enrich. */
  error: 'mw_page_content_change_enrich.error',
  /**
   * Records Lambda gave up on ("Using a Kafka topic as an on-failure destination",
   * https://docs.aws.amazon.com/lambda/latest/dg/kafka-on-failure-destination.html).
   */
  onFailure: 'mw_page_content_change_enrich.on_failure',
} as const;

/**
 * Share of the function's memory that fetched content may take (`CONTENT_BUDGET_BYTES`' default). The
 * rest holds the runtime and the working copies of the content in flight: response bytes, parsed
 * strings (two bytes a character outside Latin-1), the output JSON and the produce request. The bench's
 * worst-case row (100 revisions of ~2 MiB at 512 MB) is what chose it: docs/performance.md.
 */
export const CONTENT_BUDGET_SHARE_OF_MEMORY = 1 / 8;

/** Function memory assumed where `AWS_LAMBDA_FUNCTION_MEMORY_SIZE` is unset (local tools, tests), MB. */
export const CONTENT_BUDGET_MEMORY_MB_OUTSIDE_LAMBDA = 512;

function contentBudgetMiB(memoryMb: number): number {
  return memoryMb * CONTENT_BUDGET_SHARE_OF_MEMORY;
}

/** `CONTENT_BUDGET_BYTES`, or its default from the function's memory. */
export function contentBudgetBytes(
  s: Pick<SettingValues, 'CONTENT_BUDGET_BYTES' | 'AWS_LAMBDA_FUNCTION_MEMORY_SIZE'>,
): number {
  const memoryMb = s.AWS_LAMBDA_FUNCTION_MEMORY_SIZE ?? CONTENT_BUDGET_MEMORY_MB_OUTSIDE_LAMBDA;
  return s.CONTENT_BUDGET_BYTES ?? Math.floor(contentBudgetMiB(memoryMb) * 1024 * 1024);
}

/** Settings every function reads: the Kafka connection, the topic prefix, logs. */
const ALL = EVERY_READER;
const BOTH: readonly SettingReader[] = ['enrich', 'redrive'];
const REDRIVE_ONLY: readonly SettingReader[] = ['redrive'];
const INGEST_ONLY: readonly SettingReader[] = ['ingest'];

export const SETTINGS = {
  // ------------------------------------------------------------------ MediaWiki Action API
  MW_API_URL_TEMPLATE: text({
    default: 'https://{domain}/w/api.php',
    doc: "Action API URL; `{domain}` is the event's `meta.domain`. Without `{domain}` it is a fixed URL (local wiki, proxy).",
  }),
  MW_API_ALLOWED_DOMAINS: list({
    default: WIKIMEDIA_DOMAINS,
    defaultDoc: `Wikimedia projects (${WIKIMEDIA_DOMAINS.length} globs: \`*.wikipedia.org\`, … \`www.wikifunctions.org\`)`,
    doc: 'Comma-separated globs (`*` = one or more labels) of domains that may be requested; nothing else ever is.',
  }),
  MW_API_USER_AGENT: text({
    default: DEFAULT_USER_AGENT,
    defaultDoc: 'a generic User-Agent',
    doc: "User-Agent of every request; Wikimedia's User-Agent policy asks for contact information: set it.",
  }),
  MW_API_TIMEOUT_MS: integer({ default: 5000, min: 1, doc: 'Per-request timeout (headers and body), ms.' }),
  MW_API_CONNECT_TIMEOUT_MS: integer({ default: 2000, min: 1, doc: 'TCP/TLS connect timeout, ms.' }),
  MW_API_HOST_HEADER: oneOf(['domain'], {
    default: undefined,
    defaultDoc: "unset (the URL's host)",
    doc:
      '`domain` sends `Host: <meta.domain>` to a fixed `MW_API_URL_TEMPLATE` (a service mesh proxy); ' +
      'the allowlist still applies.',
  }),
  MW_API_RETRY_BUDGET_MS: integer({
    default: 10_000,
    doc: "How long a request's retryable failures are retried, from the first failure, ms; bounded by the deadline.",
  }),
  MW_API_MAX_RETRIES: integer({
    default: undefined,
    defaultDoc: 'unset (the retry budget decides)',
    doc: 'Optional cap on retries after the first attempt, within the retry budget.',
  }),
  MW_API_RETRY_BASE_MS: integer({ default: 200, doc: 'Base of the exponential backoff (full jitter), ms.' }),
  MW_API_RETRY_MAX_MS: integer({ default: 5000, doc: 'Cap of one backoff wait, ms; a longer `Retry-After` wins.' }),
  MW_API_MAXLAG: integer({ default: 5, min: 1, doc: '`maxlag` parameter sent with every request, seconds.' }),
  MW_API_BATCH_SIZE: integer({
    default: 50,
    min: 1,
    max: 500,
    doc: 'Revision ids per request (50 for normal API clients, 500 for bots with `apihighlimits`).',
  }),
  MW_API_CONCURRENCY: integer({ default: 8, min: 1, doc: 'Concurrent Action API requests per invocation.' }),
  MW_API_CONNECTIONS: integer({ default: 8, min: 1, doc: 'Keep-alive connections per origin.' }),
  MW_API_DEADLINE_MARGIN_MS: integer({
    default: 3000,
    doc:
      "Least time kept before the Lambda deadline for producing (the producer's worst case if longer); " +
      'no MediaWiki request or retry starts inside it, ms.',
  }),

  // ------------------------------------------------------------------ memory (issue 25)
  AWS_LAMBDA_FUNCTION_MEMORY_SIZE: integer({
    default: undefined,
    defaultDoc: `set by Lambda (${CONTENT_BUDGET_MEMORY_MB_OUTSIDE_LAMBDA} assumed where unset)`,
    min: 128,
    max: 10_240,
    scope: 'lambda',
    doc: "The function's memory, MB: `CONTENT_BUDGET_BYTES` derives from it.",
  }),
  CONTENT_BUDGET_BYTES: integer({
    default: undefined,
    defaultDoc: `1/${1 / CONTENT_BUDGET_SHARE_OF_MEMORY} of the function's memory (${contentBudgetMiB(512)} MiB at 512 MB)`,
    min: 1,
    doc:
      'Most fetched revision content one invocation holds, bytes: a batch is fetched in windows of revisions whose ' +
      "events' `content_size` sum to at most this, each produced and released before the next; a larger revision " +
      'is fetched alone.',
  }),

  // ------------------------------------------------------------------ events
  OUTPUT_STREAM: text({ default: DEFAULT_TOPICS.output, doc: '`meta.stream` of enriched events.' }),
  ERROR_STREAM: text({ default: DEFAULT_TOPICS.error, doc: '`meta.stream` of error events.' }),
  OUTPUT_SCHEMA_URI: text({
    default: undefined,
    defaultDoc: "unset (keep the input's `$schema`)",
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

  // ------------------------------------------------------------------ Kafka
  KAFKA_BROKERS: list({
    default: undefined,
    scope: 'wired',
    readBy: ALL,
    doc: 'Bootstrap servers `host:port` (self-managed, or MSK without a lookup).',
  }),
  KAFKA_MSK_CLUSTER_ARN: text({
    default: undefined,
    scope: 'wired',
    readBy: ALL,
    doc: 'MSK cluster whose bootstrap brokers are looked up once (`GetBootstrapBrokers`).',
  }),
  KAFKA_AUTH: oneOf(['none', 'tls', 'scram', 'iam'], {
    default: undefined,
    defaultDoc: '`none` (`iam` when only `KAFKA_MSK_CLUSTER_ARN` is set)',
    scope: 'wired',
    readBy: ALL,
    doc: 'Client authentication: plaintext, TLS, SASL/SCRAM over TLS, MSK IAM (SASL OAUTHBEARER).',
  }),
  KAFKA_SASL_SECRET_ARN: text({
    default: undefined,
    scope: 'wired',
    readBy: ALL,
    doc: 'Secrets Manager secret `{"username","password"}` for SCRAM (read once per container).',
  }),
  KAFKA_CLIENT_CERT_SECRET_ARN: text({
    default: undefined,
    scope: 'wired',
    readBy: ALL,
    doc:
      'With `KAFKA_AUTH=tls`: secret with the client certificate for mutual TLS, as the event source mapping reads it ' +
      '(`{"certificate","privateKey","privateKeyPassword"?}`).',
  }),
  KAFKA_SCRAM_MECHANISM: oneOf(['SCRAM-SHA-512', 'SCRAM-SHA-256'], {
    default: 'SCRAM-SHA-512',
    scope: 'wired',
    readBy: ALL,
    doc: 'SASL/SCRAM mechanism (MSK supports SCRAM-SHA-512 only).',
  }),
  KAFKA_ROOT_CA_SECRET_ARN: text({
    default: undefined,
    scope: 'wired',
    readBy: ALL,
    doc: 'Secret with the brokers\' private root CA (PEM, or `{"certificate": PEM}`).',
  }),
  KAFKA_TOPIC_PREFIX: text({
    default: '',
    defaultDoc: 'empty',
    scope: 'wired',
    readBy: ALL,
    doc: 'Datacenter prefix of every topic, e.g. `eqiad.`.',
  }),
  OUTPUT_TOPIC: text({
    default: DEFAULT_TOPICS.output,
    scope: 'wired',
    doc: 'Topic of enriched events (prefixed).',
  }),
  ERROR_TOPIC: text({
    default: DEFAULT_TOPICS.error,
    scope: 'wired',
    readBy: BOTH,
    doc: 'Topic of error events (prefixed).',
  }),
  KAFKA_CLIENT_ID: text({ default: 'mw-page-content-change-enrich', readBy: ALL, doc: 'Kafka client id.' }),
  KAFKA_CONNECTION_TIMEOUT_MS: integer({ default: 3000, min: 1, readBy: ALL, doc: 'Broker connect timeout, ms.' }),
  KAFKA_REQUEST_TIMEOUT_MS: integer({ default: 10000, min: 1, readBy: ALL, doc: 'Broker request timeout, ms.' }),
  KAFKA_LOG_LEVEL: oneOf(['NOTHING', 'ERROR', 'WARN', 'INFO', 'DEBUG'], {
    default: 'ERROR',
    readBy: ALL,
    doc: 'kafkajs log level.',
  }),
  KAFKA_MAX_MESSAGE_BYTES: integer({
    default: 10_485_760,
    min: 1024,
    doc:
      "Largest enriched event and largest produce request, bytes (10 MiB, as Wikimedia's producers); " +
      "match the topics' `max.message.bytes`.",
  }),
  KAFKA_COMPRESSION: oneOf(['gzip', 'snappy', 'lz4', 'zstd', 'none'], {
    default: 'gzip',
    readBy: ['enrich', 'ingest'],
    doc: 'Compression codec of produced batches; see Performance for the measurements.',
  }),
  KAFKA_GZIP_LEVEL: integer({
    default: 1,
    min: 1,
    max: 9,
    doc: "zlib level of gzip batches: 1 is ~6× faster than zlib's 6 for ~20% more bytes (see Performance).",
  }),

  // ------------------------------------------------------------------ event source mapping
  ESM_PARTIAL_BATCH_RESPONSE: oneOf(['true', 'false'], {
    default: 'true',
    scope: 'wired',
    doc:
      'Whether the event source mapping reads `batchItemFailures` (`ReportBatchItemFailures`, provisioned mode only). ' +
      '`false` (on-demand mode): any unwritten record fails the invocation, so Lambda retries the batch instead of ' +
      'committing it.',
  }),

  // ------------------------------------------------------------------ logs and metrics (Powertools)
  LOG_LEVEL: oneOf(['DEBUG', 'INFO', 'WARN', 'ERROR'], {
    default: 'INFO',
    readBy: ALL,
    doc: 'Powertools logger level.',
  }),
  POWERTOOLS_SERVICE_NAME: text({
    default: 'mw-page-content-change-enrich',
    scope: 'wired',
    readBy: ALL,
    doc: 'Service name of logs and of the EMF metrics dimension.',
  }),
  POWERTOOLS_METRICS_NAMESPACE: text({
    default: 'MwPageContentChangeEnrich',
    scope: 'wired',
    readBy: ['enrich', 'ingest'],
    doc: 'CloudWatch namespace of `EnrichedEvents`, `ErrorEvents`, `RedeliveredRecords`, `SinkFailures`, `MediaWikiRequests`.',
  }),

  // ------------------------------------------------------------------ EventStreams ingest
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
    doc: "Kafka aborts an ingest transaction left open this long (a crashed ingest's); also bounds reading the position back, ms.",
  }),
  INGEST_TAIL_RECORDS: integer({
    default: 1000,
    min: 1,
    scope: 'wired',
    readBy: INGEST_ONLY,
    doc: 'Records read back from the end of each input partition at start to find the position and the replayable events.',
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

  // ------------------------------------------------------------------ redrive
  INPUT_TOPIC: text({
    default: DEFAULT_TOPICS.input,
    scope: 'wired',
    readBy: ['redrive', 'ingest'],
    doc: "The event source mapping's input (prefixed): the redrive puts records back on it, the ingest writes EventStreams to it.",
  }),
  ON_FAILURE_TOPIC: text({
    default: DEFAULT_TOPICS.onFailure,
    scope: 'wired',
    readBy: REDRIVE_ONLY,
    doc: "The event source mapping's on-failure destination (prefixed), read by `--from on-failure`.",
  }),
  REDRIVE_GROUP_PREFIX: text({
    default: 'mw-page-content-change-enrich.redrive.',
    scope: 'wired',
    readBy: REDRIVE_ONLY,
    doc: "Prefix of the redrive's consumer groups (`<prefix>error`, `<prefix>on-failure`).",
  }),
} as const satisfies Record<string, Setting<unknown, SettingScope>>;

export type SettingName = keyof typeof SETTINGS;
type ValueOf<S> = S extends Setting<infer T, SettingScope> ? T : never;
export type SettingValues = { readonly [K in SettingName]: ValueOf<(typeof SETTINGS)[K]> };

type Env = Readonly<Record<string, string | undefined>>;

/** One `name: problem (got "raw")` line per invalid variable, or none. */
export function settingProblems(env: Env, names: readonly SettingName[] = settingNames()): string[] {
  const problems: string[] = [];
  for (const name of names) {
    const raw = env[name]?.trim();
    if (raw === undefined || raw === '') continue;
    try {
      SETTINGS[name].parse(raw);
    } catch (message) {
      problems.push(`${name} ${String(message)} (got ${JSON.stringify(env[name])})`);
    }
  }
  return problems;
}

/**
 * Every setting from the environment, defaults applied; throws one error listing every invalid value.
 * A function or tool calls it once at start with `process.env` and passes the values down.
 */
export function readSettings(env: Env): SettingValues {
  const problems = settingProblems(env);
  if (problems.length > 0) {
    throw new ConfigurationError(`invalid configuration:\n  ${problems.join('\n  ')}`);
  }
  const values: Record<string, unknown> = {};
  for (const name of settingNames()) {
    const raw = env[name]?.trim();
    values[name] = raw === undefined || raw === '' ? SETTINGS[name].default : SETTINGS[name].parse(raw);
  }
  return values as SettingValues;
}

export function settingNames(): SettingName[] {
  return Object.keys(SETTINGS) as SettingName[];
}

/**
 * Powertools' service name and metrics namespace of this process, read from its environment through
 * the catalogue: the logger and metrics exist from import, before a handler reads its settings. Text
 * settings, so this never throws.
 */
export function powertoolsSettingsOfThisProcess(): Pick<
  SettingValues,
  'POWERTOOLS_SERVICE_NAME' | 'POWERTOOLS_METRICS_NAMESPACE'
> {
  const { POWERTOOLS_SERVICE_NAME, POWERTOOLS_METRICS_NAMESPACE } = process.env;
  return readSettings({ POWERTOOLS_SERVICE_NAME, POWERTOOLS_METRICS_NAMESPACE });
}

// ------------------------------------------------------------------ infra side

/** `MW_API_BATCH_SIZE` → `mwApiBatchSize`. */
export type SettingKey<S extends string> = S extends `${infer Head}_${infer Tail}`
  ? `${Lowercase<Head>}${Capitalize<SettingKey<Tail>>}`
  : Lowercase<S>;

export function settingKey<S extends string>(name: S): SettingKey<S> {
  return name.toLowerCase().replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase()) as SettingKey<S>;
}

export type TunableSettingName = {
  [K in SettingName]: (typeof SETTINGS)[K]['scope'] extends 'tunable' ? K : never;
}[SettingName];

/** The function section of infra's `PipelineConfig`: every tunable setting, optional, typed from the catalogue. */
export type FunctionSettingsConfig = {
  readonly [K in TunableSettingName as SettingKey<K>]?: ValueOf<(typeof SETTINGS)[K]>;
};

export function tunableSettingNames(): TunableSettingName[] {
  return settingNames().filter((n): n is TunableSettingName => SETTINGS[n].scope === 'tunable');
}

/** The variables of `env` that `reader` reads (`readBy`): another function's share of the enrichment function's environment. */
export function environmentReadBy(
  reader: SettingReader,
  env: Readonly<Record<string, string>>,
): Record<string, string> {
  return Object.fromEntries(
    Object.entries(env).filter(([name]) =>
      (SETTINGS as Record<string, Setting<unknown>>)[name]?.readBy.includes(reader),
    ),
  );
}

/** A config value as the environment string the function reads. */
export function environmentValue(value: unknown): string {
  return Array.isArray(value) ? value.join(',') : String(value);
}

/**
 * The function environment for the tunable settings present in `config` (absent ones keep the
 * runtime default), validated with the runtime's own parsers: one error listing every invalid value.
 */
export function functionEnvironmentFor(config: Readonly<Record<string, unknown>>): Record<string, string> {
  const env: Record<string, string> = {};
  for (const name of tunableSettingNames()) {
    const value = config[settingKey(name)];
    if (value === undefined || value === null) continue;
    env[name] = environmentValue(value);
  }
  const problems = settingProblems(env).map((p) => {
    const name = p.slice(0, p.indexOf(' '));
    return p.replace(name, `${settingKey(name)} (${name})`);
  });
  if (problems.length > 0) throw new ConfigurationError(`invalid function settings:\n  ${problems.join('\n  ')}`);
  return env;
}
