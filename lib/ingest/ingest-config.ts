/**
 * The ingest's settings, read through the catalogue (`lib/settings/catalogue.ts`) once at start by
 * the function or the command, as the options of `runIngest` less what the caller decides (the Kafka
 * client, stop conditions, logging).
 */
import { prefixedTopic } from '../settings/topic-name.js';
import { ConfigurationError, type SettingValues } from '../settings/catalogue.js';
import type { IngestOptions } from './ingest-run.js';

export type IngestSettings = Pick<
  IngestOptions,
  | 'topic'
  | 'url'
  | 'userAgent'
  | 'since'
  | 'transactionalId'
  | 'compression'
  | 'transactionTimeoutMs'
  | 'batchMaxEvents'
  | 'batchMaxMs'
  | 'tailRecords'
  | 'idleTimeoutMs'
  | 'connectTimeoutMs'
  | 'reconnectMaxMs'
>;

export function ingestSettingsFrom(s: SettingValues): IngestSettings {
  if (!s.EVENTSTREAMS_URL) throw new ConfigurationError('set EVENTSTREAMS_URL (the EventStreams stream to ingest)');
  try {
    new URL(s.EVENTSTREAMS_URL);
  } catch {
    throw new ConfigurationError(`EVENTSTREAMS_URL is not a URL: ${JSON.stringify(s.EVENTSTREAMS_URL)}`);
  }
  if (
    s.EVENTSTREAMS_SINCE !== undefined &&
    !/^\d+$/.test(s.EVENTSTREAMS_SINCE) &&
    !Number.isFinite(Date.parse(s.EVENTSTREAMS_SINCE))
  ) {
    throw new ConfigurationError(
      `EVENTSTREAMS_SINCE must be ISO 8601 or ms since the epoch, got ${JSON.stringify(s.EVENTSTREAMS_SINCE)}`,
    );
  }
  return {
    topic: prefixedTopic(s.KAFKA_TOPIC_PREFIX, s.INPUT_TOPIC),
    url: s.EVENTSTREAMS_URL,
    userAgent: s.EVENTSTREAMS_USER_AGENT,
    since: s.EVENTSTREAMS_SINCE,
    transactionalId: s.INGEST_TRANSACTIONAL_ID,
    compression: s.KAFKA_COMPRESSION,
    transactionTimeoutMs: s.INGEST_TRANSACTION_TIMEOUT_MS,
    batchMaxEvents: s.INGEST_BATCH_MAX_EVENTS,
    batchMaxMs: s.INGEST_BATCH_MAX_MS,
    tailRecords: s.INGEST_TAIL_RECORDS,
    idleTimeoutMs: s.INGEST_IDLE_TIMEOUT_MS,
    connectTimeoutMs: s.INGEST_CONNECT_TIMEOUT_MS,
    reconnectMaxMs: s.INGEST_RECONNECT_MAX_MS,
  };
}
