/**
 * Typed configuration of the enrichment function, read once per container from
 * environment variables. Every field documents its environment variable and default.
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

export interface MediaWikiApiConfig {
  /**
   * URL of the Action API; `{domain}` is replaced by the event's `meta.domain`.
   * A template without `{domain}` is a fixed URL (a local wiki, a proxy).
   * Env `MW_API_URL_TEMPLATE`. @default 'https://{domain}/w/api.php'
   */
  readonly urlTemplate: string;
  /** Globs of domains that may be requested. Env `MW_API_ALLOWED_DOMAINS` (comma-separated). @default WIKIMEDIA_DOMAINS */
  readonly allowedDomains: readonly string[];
  /** User-Agent; Wikimedia's policy asks for contact information. Env `MW_API_USER_AGENT`. */
  readonly userAgent: string;
  /** Per-request timeout (headers and body), ms. Env `MW_API_TIMEOUT_MS`. @default 5000 */
  readonly timeoutMs: number;
  /** TCP/TLS connect timeout, ms. Env `MW_API_CONNECT_TIMEOUT_MS`. @default 2000 */
  readonly connectTimeoutMs: number;
  /**
   * `Host` of API requests: `undefined` sends the URL's host; `'domain'` sends `meta.domain`, for a
   * service mesh proxy behind one fixed `urlTemplate`. Env `MW_API_HOST_HEADER`. @default undefined
   */
  readonly hostHeader?: 'domain';
  /**
   * How long a request's retryable failures are retried, from its first failure, ms; always
   * bounded by the invocation deadline. Env `MW_API_RETRY_BUDGET_MS`. @default 10000
   */
  readonly retryBudgetMs?: number;
  /**
   * Optional cap on retries after the first attempt; unset, the retry budget alone decides.
   * Env `MW_API_MAX_RETRIES`. @default undefined
   */
  readonly maxRetries?: number;
  /** Base of the exponential backoff, ms (full jitter). Env `MW_API_RETRY_BASE_MS`. @default 200 */
  readonly retryBaseMs: number;
  /** Cap of a single backoff wait, ms. Env `MW_API_RETRY_MAX_MS`. @default 5000 */
  readonly retryMaxMs: number;
  /** `maxlag` parameter sent with every request, seconds. Env `MW_API_MAXLAG`. @default 5 */
  readonly maxlag: number;
  /** Revision ids per request (the API allows 50 for normal clients). Env `MW_API_BATCH_SIZE`. @default 50 */
  readonly batchSize: number;
  /** Concurrent requests per invocation. Env `MW_API_CONCURRENCY`. @default 8 */
  readonly concurrency: number;
  /** Keep-alive connections per origin. Env `MW_API_CONNECTIONS`. @default 8 */
  readonly connections: number;
  /** Time kept in reserve before the Lambda deadline: no retry starts inside it. Env `MW_API_DEADLINE_MARGIN_MS`. @default 3000 */
  readonly deadlineMarginMs: number;
}

export interface EventConfig {
  /** `meta.stream` of enriched events. Env `OUTPUT_STREAM`. @default 'mediawiki.page_content_change.v1' */
  readonly outputStream: string;
  /** `meta.stream` of error events. Env `ERROR_STREAM`. @default 'mw_page_content_change_enrich.error' */
  readonly errorStream: string;
  /** Pins `$schema` of enriched events; unset keeps the input's. Env `OUTPUT_SCHEMA_URI`. @default undefined */
  readonly outputSchemaUri?: string;
  /** `$schema` of error events. Env `ERROR_SCHEMA_URI`. @default '/error/2.1.0' */
  readonly errorSchemaUri: string;
  /** `emitter_id` of error events. Env `EMITTER_ID`. @default 'mw-page-content-change-enrich' */
  readonly emitterId: string;
}

export interface EnrichConfig {
  readonly mediawiki: MediaWikiApiConfig;
  readonly events: EventConfig;
}

export class ConfigurationError extends Error {
  override readonly name = 'ConfigurationError';
}

type Env = Record<string, string | undefined>;

export function intFrom(env: Env, key: string, fallback: number, min = 0): number {
  const raw = env[key];
  if (raw === undefined || raw.trim() === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min) {
    throw new ConfigurationError(`${key} must be an integer >= ${min}, got ${JSON.stringify(raw)}`);
  }
  return value;
}

export function listFrom(env: Env, key: string, fallback: readonly string[]): readonly string[] {
  const raw = env[key];
  if (raw === undefined || raw.trim() === '') return fallback;
  return raw.split(',').map((s) => s.trim()).filter((s) => s.length > 0);
}

export function stringFrom(env: Env, key: string, fallback: string): string {
  const raw = env[key];
  return raw === undefined || raw.trim() === '' ? fallback : raw.trim();
}

function hostHeaderFrom(env: Env): 'domain' | undefined {
  const raw = env.MW_API_HOST_HEADER?.trim();
  if (!raw) return undefined;
  if (raw === 'domain') return 'domain';
  throw new ConfigurationError(`MW_API_HOST_HEADER must be unset or "domain", got ${JSON.stringify(raw)}`);
}

export const DEFAULT_USER_AGENT =
  'mw-page-content-change-enrich/0.1 (https://github.com/example/mw-page-content-change-enrich; set MW_API_USER_AGENT to your contact)';

export function enrichConfigFromEnv(env: Env = process.env): EnrichConfig {
  return {
    mediawiki: {
      urlTemplate: stringFrom(env, 'MW_API_URL_TEMPLATE', 'https://{domain}/w/api.php'),
      allowedDomains: listFrom(env, 'MW_API_ALLOWED_DOMAINS', WIKIMEDIA_DOMAINS),
      userAgent: stringFrom(env, 'MW_API_USER_AGENT', DEFAULT_USER_AGENT),
      timeoutMs: intFrom(env, 'MW_API_TIMEOUT_MS', 5000, 1),
      connectTimeoutMs: intFrom(env, 'MW_API_CONNECT_TIMEOUT_MS', 2000, 1),
      hostHeader: hostHeaderFrom(env),
      retryBudgetMs: intFrom(env, 'MW_API_RETRY_BUDGET_MS', 10_000),
      maxRetries: env.MW_API_MAX_RETRIES?.trim() ? intFrom(env, 'MW_API_MAX_RETRIES', 0) : undefined,
      retryBaseMs: intFrom(env, 'MW_API_RETRY_BASE_MS', 200),
      retryMaxMs: intFrom(env, 'MW_API_RETRY_MAX_MS', 5000),
      maxlag: intFrom(env, 'MW_API_MAXLAG', 5, 1),
      batchSize: Math.min(intFrom(env, 'MW_API_BATCH_SIZE', 50, 1), 500),
      concurrency: intFrom(env, 'MW_API_CONCURRENCY', 8, 1),
      connections: intFrom(env, 'MW_API_CONNECTIONS', 8, 1),
      deadlineMarginMs: intFrom(env, 'MW_API_DEADLINE_MARGIN_MS', 3000),
    },
    events: {
      outputStream: stringFrom(env, 'OUTPUT_STREAM', 'mediawiki.page_content_change.v1'),
      errorStream: stringFrom(env, 'ERROR_STREAM', 'mw_page_content_change_enrich.error'),
      outputSchemaUri: env.OUTPUT_SCHEMA_URI?.trim() || undefined,
      errorSchemaUri: stringFrom(env, 'ERROR_SCHEMA_URI', '/error/2.1.0'),
      emitterId: stringFrom(env, 'EMITTER_ID', 'mw-page-content-change-enrich'),
    },
  };
}
