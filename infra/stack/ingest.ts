/**
 * The EventStreams ingest in the stack (opt-in `ingest` key): its environment and its least-privilege statements.
 */
import type * as iam from 'aws-cdk-lib/aws-iam';
import type { ResolvedPipelineConfig } from '../config/config.ts';
import type { IngestConfig } from '../config/ingest-config.ts';
import { environmentReadBy } from '../../lib/settings/catalogue.js';
import { inputTopicWriterStatements } from './permissions.ts';
import type { PipelineTopics } from './topics.ts';
import { positionGroupPrefix } from '../../lib/ingest/stored-position.js';

/** The ingest's transactional id: one per input topic (a second holder fences the first). */
export function ingestTransactionalId(config: Pick<ResolvedPipelineConfig, 'consumerGroupId'>): string {
  return `${config.consumerGroupId}.ingest`;
}

/**
 * Prefix of the consumer groups the ingest reads its position back in, by the ingest's own rule
 * (`positionGroupPrefix`, lib/ingest/stored-position.ts).
 */
export function ingestPositionGroupPrefix(config: Pick<ResolvedPipelineConfig, 'consumerGroupId'>): string {
  return positionGroupPrefix(ingestTransactionalId(config));
}

/**
 * Environment of the ingest: what it reads of the enrichment function's environment (the settings whose `readBy`
 * names it in the catalogue: the Kafka connection, so both reach the cluster the same way, and logs), plus the
 * input topic, the stream and its transactional id.
 */
export function ingestEnvironment(
  config: ResolvedPipelineConfig,
  ingest: IngestConfig,
  enrichEnvironment: Record<string, string>,
): Record<string, string> {
  return {
    ...environmentReadBy('ingest', enrichEnvironment),
    KAFKA_CLIENT_ID: `${config.serviceName}-ingest`,
    INPUT_TOPIC: config.inputTopic,
    EVENTSTREAMS_URL: ingest.url,
    EVENTSTREAMS_USER_AGENT: ingest.userAgent,
    ...(ingest.since ? { EVENTSTREAMS_SINCE: ingest.since } : {}),
    INGEST_TRANSACTIONAL_ID: ingestTransactionalId(config),
    POWERTOOLS_SERVICE_NAME: `${config.serviceName}-ingest`,
    POWERTOOLS_METRICS_NAMESPACE: enrichEnvironment.POWERTOOLS_METRICS_NAMESPACE ?? '',
  };
}

/**
 * Least-privilege statements of the ingest: it writes the input topic with a transactional producer, reads its
 * position back from that topic's tail in its own consumer groups ({@link inputTopicWriterStatements}).
 */
export function ingestStatements(
  config: ResolvedPipelineConfig,
  topics: PipelineTopics,
  inVpc: boolean,
): iam.PolicyStatement[] {
  return inputTopicWriterStatements(config, topics, inVpc, {
    reads: { sid: 'MskReadInputTopicTail', topics: [topics.input] },
    transactionalId: { sid: 'MskIngestTransactionalId', id: ingestTransactionalId(config) },
    groups: { sid: 'MskIngestPositionGroups', prefix: ingestPositionGroupPrefix(config) },
  });
}
