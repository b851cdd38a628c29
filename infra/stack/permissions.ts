/**
 * The IAM of the stack's operated functions: least-privilege statements for the enrichment function (and the
 * event source mapping, which uses its role) and for the redrive function, from AWS's permission lists.
 */
import * as iam from 'aws-cdk-lib/aws-iam';
import type { ResolvedPipelineConfig } from '../config/config.ts';
import { mskGroupArn, mskTopicArn } from '../config/msk-arns.ts';
import {
  KafkaClusterAccess,
  MSK_CLUSTER_ACTIONS,
  MSK_KAFKA_DESTINATION_CLUSTER_ACTIONS,
  MSK_SCRAM_CLUSTER_ACTIONS,
  vpcNetworkInterfacesStatement,
} from '../constructs/kafka-permissions.ts';
import { redriveGroupPrefix } from './function-environment.ts';
import type { PipelineTopics } from './topics.ts';

/** Access to the environment's cluster, with its secrets and their key. */
export function kafkaClusterAccess(config: ResolvedPipelineConfig): KafkaClusterAccess {
  return new KafkaClusterAccess({
    region: config.region,
    mskClusterArn: config.mskClusterArn,
    auth: config.kafkaAuth,
    secretArns: [config.kafkaSecretArn, config.kafkaRootCaSecretArn].filter((a): a is string => a !== undefined),
    secretKmsKeyArn: config.kafkaSecretKmsKeyArn,
  });
}

/** What the enrichment function's statements depend on besides the configuration. */
export interface EnrichAccess {
  readonly topics: PipelineTopics;
  /** The consumer group the event source mapping joins. */
  readonly consumerGroupId: string;
  /** Statements an SQS or S3 on-failure destination needs (see `OnFailureDestination`). */
  readonly destinationStatements: readonly iam.PolicyStatement[];
  /** Whether the function runs in the cluster's VPC. */
  readonly inVpc: boolean;
}

/**
 * The MSK cluster actions the event source mapping needs (none for self-managed Kafka): its poller's, with SCRAM the
 * secrets listing, and with a Kafka on-failure destination its producer's.
 */
export function mappingClusterActions(config: ResolvedPipelineConfig): readonly string[] {
  if (config.kafkaClusterType !== 'msk') return [];
  return [
    ...MSK_CLUSTER_ACTIONS,
    ...(config.kafkaAuth === 'scram' ? MSK_SCRAM_CLUSTER_ACTIONS : []),
    ...(config.onFailureDestination === 'kafka' ? MSK_KAFKA_DESTINATION_CLUSTER_ACTIONS : []),
  ];
}

/** Statements of the enrichment function's role: what the function and its event source mapping do. */
export function enrichStatements(config: ResolvedPipelineConfig, access: EnrichAccess): iam.PolicyStatement[] {
  const kafka = kafkaClusterAccess(config);
  const { topics } = access;
  const statements: iam.PolicyStatement[] = [
    ...access.destinationStatements,
    // AWS, "Configuring Lambda permissions for Amazon MSK event source mappings": the mapping describes the cluster,
    // and with SASL/SCRAM lists the cluster's SCRAM secrets.
    ...kafka.clusterDiscovery(mappingClusterActions(config)),
    // The event source mapping reads the input topic as its consumer group (MSK IAM: with this role).
    ...kafka.consume(topics.input, access.consumerGroupId),
    // The handler's (idempotent) producer writes enriched and error events.
    ...kafka.produce([topics.output, topics.error], { idempotent: true }),
    // The event source mapping writes discarded records to the on-failure topic.
    ...(topics.onFailure ? kafka.onFailureTopic(topics.onFailure) : []),
  ];
  // ENIs of the VPC function, and of the event pollers (MSK always runs them in the cluster's VPC; self-managed
  // Kafka in a VPC too).
  const kafkaPollers = config.kafkaClusterType === 'msk' || access.inVpc;
  if (access.inVpc || kafkaPollers) {
    statements.push(vpcNetworkInterfacesStatement({ vpcFunction: access.inVpc, kafkaPollers }));
  }
  return statements;
}

/**
 * What every writer of the input topic (the redrive, the ingest) needs: broker discovery and the secrets as the
 * enrichment function has them, and an idempotent producer's write on the input topic (MSK IAM).
 */
export function inputTopicWriterStatements(
  config: ResolvedPipelineConfig,
  topics: PipelineTopics,
): iam.PolicyStatement[] {
  const kafka = kafkaClusterAccess(config);
  return [
    ...kafka.clusterDiscovery(),
    ...kafka.produce([topics.input], { sid: 'MskWriteInputTopic', idempotent: true }),
  ];
}

/**
 * Least-privilege statements of the redrive function: broker discovery and secrets as the enrichment
 * function has them; read the error and (Kafka) on-failure topics as its own consumer groups; write
 * the input topic with an idempotent producer; the VPC ENIs when it runs in a VPC. With MSK IAM
 * access control the `kafka-cluster` actions are scoped to those topic and group ARNs.
 * "Semantics of IAM authorization policy actions and resources", Amazon MSK Developer Guide
 * (ReadData needs DescribeTopic, AlterGroup needs DescribeGroup; group ARNs may end in a wildcard),
 * https://docs.aws.amazon.com/msk/latest/developerguide/kafka-actions.html
 */
export function redriveStatements(
  config: ResolvedPipelineConfig,
  topics: PipelineTopics,
  inVpc: boolean,
): iam.PolicyStatement[] {
  const statements = inputTopicWriterStatements(config, topics);
  if (config.kafkaClusterType === 'msk' && config.kafkaAuth === 'iam') {
    const sources = [topics.error, ...(topics.onFailure ? [topics.onFailure] : [])];
    statements.push(
      new iam.PolicyStatement({
        sid: 'MskReadRedriveSources',
        actions: ['kafka-cluster:DescribeTopic', 'kafka-cluster:ReadData'],
        resources: sources.map((t) => mskTopicArn(config.mskClusterArn!, t)),
      }),
      new iam.PolicyStatement({
        sid: 'MskRedriveConsumerGroups',
        actions: ['kafka-cluster:DescribeGroup', 'kafka-cluster:AlterGroup'],
        resources: [mskGroupArn(config.mskClusterArn!, `${redriveGroupPrefix(config)}*`)],
      }),
    );
  }
  // A VPC function without event pollers: AWS's ENI list for VPC functions.
  if (inVpc) statements.push(vpcNetworkInterfacesStatement({ vpcFunction: true, kafkaPollers: false }));
  return statements;
}
