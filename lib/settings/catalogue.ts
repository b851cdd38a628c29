/**
 * The catalogue of the function's settings: each environment variable the enrichment
 * function reads is declared here once — its type, default, bounds and a one-line doc.
 *
 * - The runtime reads the environment through `readSettings` (lib/settings/config.ts, kafka-client,
 *   kafka-sink): an invalid value fails the container start with one message naming every
 *   invalid variable; nothing is clamped or substituted.
 * - Infra derives the function section of `PipelineConfig` from the `tunable` entries (key =
 *   camelCase of the variable: `MW_API_BATCH_SIZE` → `mwApiBatchSize`), validates it with the
 *   same parsers (`functionEnvironmentFor`) and builds the function's environment from it.
 *   `wired` entries are set by infra from infrastructure facts (cluster, topics, secrets).
 * - The README configuration table is generated from it (`npm run docs:settings`); a test
 *   fails when they differ.
 *
 * Adding a setting: one entry here, then read it where it is used.
 */

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

export class ConfigurationError extends Error {
  override readonly name = 'ConfigurationError';
}

/** `tunable`: a `PipelineConfig` key in infra. `wired`: set by infra from cluster, topic and secret facts. */
export type SettingScope = 'tunable' | 'wired';

export interface Setting<T, S extends SettingScope = SettingScope> {
  readonly type: 'integer' | 'string' | 'list' | 'enum';
  /** Value when the variable is unset or blank; `undefined` = optional without a default. */
  readonly default: T;
  /** README wording of the default when the value itself is too long to show. */
  readonly defaultDoc?: string;
  readonly doc: string;
  readonly scope: S;
  readonly min?: number;
  readonly max?: number;
  readonly values?: readonly string[];
  /** Parses a non-blank raw value; throws a message (string) that names the constraint. */
  parse(raw: string): Exclude<T, undefined>;
}

interface Common<D, S extends SettingScope> {
  readonly default: D;
  readonly defaultDoc?: string;
  readonly doc: string;
  /** @default 'tunable' */
  readonly scope?: S;
}

type Defined<D, T> = D extends undefined ? T | undefined : T;

function integer<D extends number | undefined, S extends SettingScope = 'tunable'>(
  o: Common<D, S> & { min?: number; max?: number },
): Setting<Defined<D, number>, NoInfer<S>> {
  const min = o.min ?? 0;
  return {
    ...o,
    default: o.default as Defined<D, number>,
    type: 'integer',
    scope: o.scope ?? ('tunable' as S),
    min,
    max: o.max,
    parse(raw) {
      const value = Number(raw);
      if (
        !/^-?\d+$/.test(raw) ||
        !Number.isSafeInteger(value) ||
        value < min ||
        (o.max !== undefined && value > o.max)
      ) {
        throw `must be an integer ${o.max === undefined ? `>= ${min}` : `from ${min} to ${o.max}`}`;
      }
      return value as Exclude<Defined<D, number>, undefined>;
    },
  };
}

function text<D extends string | undefined, S extends SettingScope = 'tunable'>(
  o: Common<D, S>,
): Setting<Defined<D, string>, NoInfer<S>> {
  return {
    ...o,
    default: o.default as Defined<D, string>,
    type: 'string',
    scope: o.scope ?? ('tunable' as S),
    parse: (raw) => raw as Exclude<Defined<D, string>, undefined>,
  };
}

function list<D extends readonly string[] | undefined, S extends SettingScope = 'tunable'>(
  o: Common<D, S>,
): Setting<Defined<D, readonly string[]>, NoInfer<S>> {
  return {
    ...o,
    default: o.default as Defined<D, readonly string[]>,
    type: 'list',
    scope: o.scope ?? ('tunable' as S),
    parse(raw) {
      const items = raw
        .split(',')
        .map((s) => s.trim())
        .filter((s) => s.length > 0);
      if (items.length === 0) throw 'must list at least one comma-separated value';
      return items as unknown as Exclude<Defined<D, readonly string[]>, undefined>;
    },
  };
}

function oneOf<const V extends readonly string[], D extends V[number] | undefined, S extends SettingScope = 'tunable'>(
  values: V,
  o: Common<D, S>,
): Setting<Defined<D, V[number]>, NoInfer<S>> {
  return {
    ...o,
    default: o.default as Defined<D, V[number]>,
    type: 'enum',
    scope: o.scope ?? ('tunable' as S),
    values,
    parse(raw) {
      if (!values.includes(raw)) throw `must be one of ${values.join(', ')}`;
      return raw as Exclude<Defined<D, V[number]>, undefined>;
    },
  };
}

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

  // ------------------------------------------------------------------ events
  OUTPUT_STREAM: text({ default: 'mediawiki.page_content_change.v1', doc: '`meta.stream` of enriched events.' }),
  ERROR_STREAM: text({ default: 'mw_page_content_change_enrich.error', doc: '`meta.stream` of error events.' }),
  OUTPUT_SCHEMA_URI: text({
    default: undefined,
    defaultDoc: "unset (keep the input's `$schema`)",
    doc: 'Pins `$schema` of enriched events.',
  }),
  ERROR_SCHEMA_URI: text({ default: '/error/2.1.0', doc: '`$schema` of error events.' }),
  EMITTER_ID: text({ default: 'mw-page-content-change-enrich', doc: '`emitter_id` of error events.' }),

  // ------------------------------------------------------------------ Kafka
  KAFKA_BROKERS: list({
    default: undefined,
    scope: 'wired',
    doc: 'Bootstrap servers `host:port` (self-managed, or MSK without a lookup).',
  }),
  KAFKA_MSK_CLUSTER_ARN: text({
    default: undefined,
    scope: 'wired',
    doc: 'MSK cluster whose bootstrap brokers are looked up once (`GetBootstrapBrokers`).',
  }),
  KAFKA_AUTH: oneOf(['none', 'tls', 'scram', 'iam'], {
    default: undefined,
    defaultDoc: '`none` (`iam` when only `KAFKA_MSK_CLUSTER_ARN` is set)',
    scope: 'wired',
    doc: 'Client authentication: plaintext, TLS, SASL/SCRAM over TLS, MSK IAM (SASL OAUTHBEARER).',
  }),
  KAFKA_SASL_SECRET_ARN: text({
    default: undefined,
    scope: 'wired',
    doc: 'Secrets Manager secret `{"username","password"}` for SCRAM (read once per container).',
  }),
  KAFKA_CLIENT_CERT_SECRET_ARN: text({
    default: undefined,
    scope: 'wired',
    doc:
      'With `KAFKA_AUTH=tls`: secret with the client certificate for mutual TLS, as the event source mapping reads it ' +
      '(`{"certificate","privateKey","privateKeyPassword"?}`).',
  }),
  KAFKA_SCRAM_MECHANISM: oneOf(['SCRAM-SHA-512', 'SCRAM-SHA-256'], {
    default: 'SCRAM-SHA-512',
    scope: 'wired',
    doc: 'SASL/SCRAM mechanism (MSK supports SCRAM-SHA-512 only).',
  }),
  KAFKA_ROOT_CA_SECRET_ARN: text({
    default: undefined,
    scope: 'wired',
    doc: 'Secret with the brokers\' private root CA (PEM, or `{"certificate": PEM}`).',
  }),
  KAFKA_TOPIC_PREFIX: text({
    default: '',
    defaultDoc: 'empty',
    scope: 'wired',
    doc: 'Datacenter prefix of every topic, e.g. `eqiad.`.',
  }),
  OUTPUT_TOPIC: text({
    default: 'mediawiki.page_content_change.v1',
    scope: 'wired',
    doc: 'Topic of enriched events (prefixed).',
  }),
  ERROR_TOPIC: text({
    default: 'mw_page_content_change_enrich.error',
    scope: 'wired',
    doc: 'Topic of error events (prefixed).',
  }),
  KAFKA_CLIENT_ID: text({ default: 'mw-page-content-change-enrich', doc: 'Kafka client id of the producer.' }),
  KAFKA_CONNECTION_TIMEOUT_MS: integer({ default: 3000, min: 1, doc: 'Broker connect timeout, ms.' }),
  KAFKA_REQUEST_TIMEOUT_MS: integer({ default: 10000, min: 1, doc: 'Broker request timeout, ms.' }),
  KAFKA_LOG_LEVEL: oneOf(['NOTHING', 'ERROR', 'WARN', 'INFO', 'DEBUG'], {
    default: 'ERROR',
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
    doc: 'Compression codec of produced batches; see Local Kafka for the measurements.',
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
  LOG_LEVEL: oneOf(['DEBUG', 'INFO', 'WARN', 'ERROR'], { default: 'INFO', doc: 'Powertools logger level.' }),
  POWERTOOLS_SERVICE_NAME: text({
    default: 'mw-page-content-change-enrich',
    scope: 'wired',
    doc: 'Service name of logs and of the EMF metrics dimension.',
  }),
  POWERTOOLS_METRICS_NAMESPACE: text({
    default: 'MwPageContentChangeEnrich',
    scope: 'wired',
    doc: 'CloudWatch namespace of `EnrichedEvents`, `ErrorEvents`, `RedeliveredRecords`, `SinkFailures`, `MediaWikiRequests`.',
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

/** Every setting from the environment, defaults applied; throws one error listing every invalid value. */
export function readSettings(env: Env = process.env): SettingValues {
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

// ------------------------------------------------------------------ README

function defaultCell(s: Setting<unknown>): string {
  if (s.defaultDoc) return s.defaultDoc;
  if (s.default === undefined) return '—';
  return `\`${environmentValue(s.default)}\``;
}

function constraintCell(s: Setting<unknown>): string {
  switch (s.type) {
    case 'integer':
      return s.max === undefined ? `integer ≥ ${s.min}` : `integer ${s.min}–${s.max}`;
    case 'enum':
      return s.values!.map((v) => `\`${v}\``).join(', ');
    case 'list':
      return 'comma-separated';
    default:
      return 'string';
  }
}

/** The README's configuration table. */
export function settingsTableMarkdown(): string {
  const rows = settingNames().map((name) => {
    const s: Setting<unknown> = SETTINGS[name];
    const key = s.scope === 'tunable' ? `\`${settingKey(name)}\`` : 'set by the stack';
    return `| \`${name}\` | ${defaultCell(s)} | ${constraintCell(s)} | ${key} | ${s.doc} |`;
  });
  return ['| variable | default | values | CDK config key | meaning |', '|---|---|---|---|---|', ...rows].join('\n');
}
