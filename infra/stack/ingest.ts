/**
 * The EventStreams ingest in the stack (opt-in `ingest` key): its environment and its least-privilege statements.
 */
import * as iam from 'aws-cdk-lib/aws-iam';
import type { ResolvedPipelineConfig } from '../config/config.ts';
import type { IngestConfig } from '../config/ingest-config.ts';
import { mskGroupArn, mskTopicArn, mskTransactionalIdArn } from '../config/msk-arns.ts';
import { vpcNetworkInterfacesStatement } from '../constructs/kafka-permissions.ts';
import { kafkaConnectionEnvironment } from './function-environment.ts';
import { inputTopicWriterStatements } from './permissions.ts';
import type { PipelineTopics } from './topics.ts';

/** The ingest's transactional id: one per input topic (a second holder fences the first). */
export function ingestTransactionalId(config: Pick<ResolvedPipelineConfig, 'consumerGroupId'>): string {
  return `${config.consumerGroupId}.ingest`;
}

/**
 * Prefix of the consumer groups the ingest reads its position back in: `<transactional id>.position.` (then a UUID
 * per read, lib/ingest/stored-position.ts).
 */
export function ingestPositionGroupPrefix(config: Pick<ResolvedPipelineConfig, 'consumerGroupId'>): string {
  return `${ingestTransactionalId(config)}.position.`;
}

/**
 * Environment of the ingest: the Kafka connection of the enrichment function's environment (both reach the
 * cluster the same way), the input topic, the stream and its transactional id.
 */
export function ingestEnvironment(
  config: ResolvedPipelineConfig,
  ingest: IngestConfig,
  enrichEnvironment: Record<string, string>,
): Record<string, string> {
  return {
    ...kafkaConnectionEnvironment(enrichEnvironment),
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
 * Least-privilege statements of the ingest: broker discovery and secrets as the enrichment function has them
 * (MSK IAM, SASL/SCRAM, TLS); with MSK IAM access control, the input topic only: describe, write and read (it
 * reads its position back from the topic's tail), its transactional id, and the consumer groups of that read.
 * Amazon MSK, "Semantics of IAM authorization policy actions and resources"
 * (https://docs.aws.amazon.com/msk/latest/developerguide/kafka-actions.html): a transactional producer needs
 * `DescribeTransactionalId` and `AlterTransactionalId` on `transactional-id/…` and `WriteDataIdempotently` on the
 * cluster; `ReadData` needs `DescribeTopic`, `AlterGroup` needs `DescribeGroup`; group ARNs may end in a wildcard.
 */
export function ingestStatements(
  config: ResolvedPipelineConfig,
  topics: PipelineTopics,
  inVpc: boolean,
): iam.PolicyStatement[] {
  const statements = inputTopicWriterStatements(config, topics);
  if (config.kafkaClusterType === 'msk' && config.kafkaAuth === 'iam') {
    const cluster = config.mskClusterArn!;
    const transactionalId = ingestTransactionalId(config);
    statements.push(
      new iam.PolicyStatement({
        sid: 'MskReadInputTopicTail',
        actions: ['kafka-cluster:DescribeTopic', 'kafka-cluster:ReadData'],
        resources: [mskTopicArn(cluster, topics.input)],
      }),
      new iam.PolicyStatement({
        sid: 'MskIngestTransactionalId',
        actions: ['kafka-cluster:DescribeTransactionalId', 'kafka-cluster:AlterTransactionalId'],
        resources: [mskTransactionalIdArn(cluster, transactionalId)],
      }),
      new iam.PolicyStatement({
        sid: 'MskIngestPositionGroups',
        actions: ['kafka-cluster:DescribeGroup', 'kafka-cluster:AlterGroup'],
        resources: [mskGroupArn(cluster, `${ingestPositionGroupPrefix(config)}*`)],
      }),
    );
  }
  // A VPC function without event pollers: AWS's ENI list for VPC functions.
  if (inVpc) statements.push(vpcNetworkInterfacesStatement({ vpcFunction: true, kafkaPollers: false }));
  return statements;
}
