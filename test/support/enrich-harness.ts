/** Wiring of the real revision content client and pipeline for integration tests. */
import { DEFAULT_TOPICS, SETTINGS } from '../../lib/settings/catalogue.js';
import type { MediaWikiApiConfig, SchemaRepositoryConfig } from '../../lib/settings/config.js';
import { DEFAULT_CONTENT_BUDGET_BYTES } from './batch-deps.js';
import { apiEndpointResolver } from '../../lib/mediawiki/domain-allowlist.js';
import { processBatch } from '../../lib/pipeline/process-batch.js';
import { NO_DEADLINE, type Deadline } from '../../lib/core/deadline.js';
import { type RetryClock, revisionContentClient } from '../../lib/mediawiki/revision-content-client.js';
import { memorySink } from '../../scripts/lib/dev-sinks.js';
import { esmEventOf } from '../../scripts/lib/page-change-events.js';

export const TEST_DOMAIN = 'dev.wiki.local';

export function testApiConfig(apiUrl: string, overrides: Partial<MediaWikiApiConfig> = {}): MediaWikiApiConfig {
  return {
    urlTemplate: apiUrl,
    allowedDomains: [TEST_DOMAIN],
    userAgent: 'mw-page-content-change-enrich-tests/0.1 (test@example.org)',
    // Far beyond any answer of a loaded wiki: tests that inject a read timeout set their own.
    timeoutMs: 60_000,
    connectTimeoutMs: 1000,
    retryBudgetMs: SETTINGS.MW_API_RETRY_BUDGET_MS.default,
    maxRetries: 3,
    retryBaseMs: 20,
    retryMaxMs: 200,
    maxlag: 5,
    revisionsPerRequest: 50,
    concurrency: 4,
    connections: 4,
    deadlineMarginMs: 0,
    ...overrides,
  };
}

export const testEventConfig = {
  outputStream: DEFAULT_TOPICS.output,
  errorStream: DEFAULT_TOPICS.error,
  errorSchemaUri: '/error/2.1.0',
  emitterId: 'integration-test',
};

/** Schema repository settings for tests: a local repository (scripts/lib/schema-repository.ts), a short budget. */
export function testSchemaRepositoryConfig(
  baseUris: readonly string[] = ['http://127.0.0.1:9/unreachable'],
  overrides: Partial<SchemaRepositoryConfig> = {},
): SchemaRepositoryConfig {
  return {
    baseUris,
    timeoutMs: 2000,
    retryIntervalMs: 60_000,
    userAgent: 'mw-page-content-change-enrich-tests/0.1 (test@example.org)',
    retryBaseMs: 20,
    retryMaxMs: 200,
    ...overrides,
  };
}

/** Runs one batch of page_change events through the real client against `apiUrl`. */
export async function enrichBatch(
  apiUrl: string,
  values: Array<Record<string, unknown> | string>,
  opts: { api?: Partial<MediaWikiApiConfig>; deadline?: Deadline; clock?: RetryClock } = {},
) {
  const config = testApiConfig(apiUrl, opts.api);
  const resolver = apiEndpointResolver(config.urlTemplate, config.allowedDomains);
  const client = revisionContentClient(config, { resolver, clock: opts.clock });
  const sink = memorySink();
  try {
    const result = await processBatch(esmEventOf(values), opts.deadline ?? NO_DEADLINE, {
      client,
      resolver,
      sink,
      events: testEventConfig,
      maxMessageBytes: 16 * 1024 * 1024,
      contentBudgetBytes: DEFAULT_CONTENT_BUDGET_BYTES,
    });
    const parsed = sink.messages.map((m) => ({ kind: m.kind, offset: m.source.offset, event: JSON.parse(m.value) }));
    return { result, messages: parsed, stats: { ...client.stats } };
  } finally {
    await client.close();
  }
}
