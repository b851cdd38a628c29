/**
 * Typed configuration of the enrichment function, read once per container from the
 * environment through the settings catalogue (`lib/settings/catalogue.ts`), where each variable's
 * default, bounds and meaning are declared.
 */
import { ConfigurationError, contentBudgetBytes, readSettings, type SettingValues } from './catalogue.js';

export { ConfigurationError, DEFAULT_USER_AGENT, WIKIMEDIA_DOMAINS } from './catalogue.js';

export interface MediaWikiApiConfig {
  /** `MW_API_URL_TEMPLATE` */
  readonly urlTemplate: string;
  /** `MW_API_ALLOWED_DOMAINS` */
  readonly allowedDomains: readonly string[];
  /** `MW_API_USER_AGENT` */
  readonly userAgent: string;
  /** `MW_API_TIMEOUT_MS` */
  readonly timeoutMs: number;
  /** `MW_API_CONNECT_TIMEOUT_MS` */
  readonly connectTimeoutMs: number;
  /** `MW_API_HOST_HEADER`: `'domain'` sends `Host: <meta.domain>`; unset sends the URL's host. */
  readonly hostHeader?: 'domain';
  /** `MW_API_RETRY_BUDGET_MS` */
  readonly retryBudgetMs: number;
  /** `MW_API_MAX_RETRIES`; unset, the retry budget alone decides. */
  readonly maxRetries?: number;
  /** `MW_API_RETRY_BASE_MS` */
  readonly retryBaseMs: number;
  /** `MW_API_RETRY_MAX_MS` */
  readonly retryMaxMs: number;
  /** `MW_API_MAXLAG` */
  readonly maxlag: number;
  /** `MW_API_BATCH_SIZE`: revision ids per Action API request. */
  readonly revisionsPerRequest: number;
  /** `MW_API_CONCURRENCY` */
  readonly concurrency: number;
  /** `MW_API_CONNECTIONS` */
  readonly connections: number;
  /** `MW_API_DEADLINE_MARGIN_MS` */
  readonly deadlineMarginMs: number;
}

export interface EventConfig {
  /** `OUTPUT_STREAM` */
  readonly outputStream: string;
  /** `ERROR_STREAM` */
  readonly errorStream: string;
  /** `OUTPUT_SCHEMA_URI`; unset keeps the input's `$schema`. Events are conformed to it (lib/pipeline/output-schema.ts). */
  readonly outputSchemaUri?: string;
  /**
   * `OUTPUT_KAFKA_TIMESTAMP`: `event` stamps each output record with its event's `dt`, `produce`
   * with the time it is produced. @default 'event'
   */
  readonly outputKafkaTimestamp?: 'event' | 'produce';
  /** `ERROR_SCHEMA_URI` */
  readonly errorSchemaUri: string;
  /** `EMITTER_ID` */
  readonly emitterId: string;
}

/** Where and how output schema versions the bundle lacks are fetched (lib/schema-repository). */
export interface SchemaRepositoryConfig {
  /** `EVENT_SCHEMA_BASE_URIS` */
  readonly baseUris: readonly string[];
  /** `EVENT_SCHEMA_TIMEOUT_MS` */
  readonly timeoutMs: number;
  /** `EVENT_SCHEMA_RETRY_INTERVAL_MS` */
  readonly retryIntervalMs: number;
  /** `MW_API_USER_AGENT`: Wikimedia's User-Agent policy covers the schema repository too. */
  readonly userAgent: string;
  /** `MW_API_RETRY_BASE_MS`: retries follow the MediaWiki client's rules. */
  readonly retryBaseMs: number;
  /** `MW_API_RETRY_MAX_MS` */
  readonly retryMaxMs: number;
}

export interface EnrichConfig {
  readonly mediawiki: MediaWikiApiConfig;
  readonly events: EventConfig;
  /** `CONTENT_BUDGET_BYTES`, or its share of `AWS_LAMBDA_FUNCTION_MEMORY_SIZE` */
  readonly contentBudgetBytes: number;
  readonly schemaRepository: SchemaRepositoryConfig;
}

type Env = Record<string, string | undefined>;

export function enrichConfigFromEnv(env: Env): EnrichConfig {
  return enrichConfigFrom(readSettings(env));
}

export function enrichConfigFrom(s: SettingValues): EnrichConfig {
  return {
    mediawiki: {
      urlTemplate: s.MW_API_URL_TEMPLATE,
      allowedDomains: s.MW_API_ALLOWED_DOMAINS,
      userAgent: s.MW_API_USER_AGENT,
      timeoutMs: s.MW_API_TIMEOUT_MS,
      connectTimeoutMs: s.MW_API_CONNECT_TIMEOUT_MS,
      hostHeader: s.MW_API_HOST_HEADER,
      retryBudgetMs: s.MW_API_RETRY_BUDGET_MS,
      maxRetries: s.MW_API_MAX_RETRIES,
      retryBaseMs: s.MW_API_RETRY_BASE_MS,
      retryMaxMs: s.MW_API_RETRY_MAX_MS,
      maxlag: s.MW_API_MAXLAG,
      revisionsPerRequest: s.MW_API_BATCH_SIZE,
      concurrency: s.MW_API_CONCURRENCY,
      connections: s.MW_API_CONNECTIONS,
      deadlineMarginMs: s.MW_API_DEADLINE_MARGIN_MS,
    },
    events: {
      outputStream: s.OUTPUT_STREAM,
      errorStream: s.ERROR_STREAM,
      outputSchemaUri: s.OUTPUT_SCHEMA_URI,
      outputKafkaTimestamp: s.OUTPUT_KAFKA_TIMESTAMP,
      errorSchemaUri: s.ERROR_SCHEMA_URI,
      emitterId: s.EMITTER_ID,
    },
    contentBudgetBytes: contentBudgetBytes(s),
    schemaRepository: {
      baseUris: s.EVENT_SCHEMA_BASE_URIS,
      timeoutMs: s.EVENT_SCHEMA_TIMEOUT_MS,
      retryIntervalMs: s.EVENT_SCHEMA_RETRY_INTERVAL_MS,
      userAgent: s.MW_API_USER_AGENT,
      retryBaseMs: s.MW_API_RETRY_BASE_MS,
      retryMaxMs: s.MW_API_RETRY_MAX_MS,
    },
  };
}

// Readers for the options of local tools (scripts/), which are not function settings.

export function intFrom(env: Env, key: string, fallback: number, min = 0): number {
  const raw = env[key];
  if (raw === undefined || raw.trim() === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min) {
    throw new ConfigurationError(`${key} must be an integer >= ${min}, got ${JSON.stringify(raw)}`);
  }
  return value;
}

export function stringFrom(env: Env, key: string, fallback: string): string {
  const raw = env[key];
  return raw === undefined || raw.trim() === '' ? fallback : raw.trim();
}
