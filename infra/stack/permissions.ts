/**
 * The IAM of the stack's operated functions: least-privilege statements for the enrichment function (and the
 * event source mapping, which uses its role) and for the redrive function, from AWS's permission lists.
 */
import * as iam from 'aws-cdk-lib/aws-iam';
import type { ResolvedPipelineConfig } from '../config/config.ts';
import { mskGroupArn, mskTopicArn, mskTransactionalIdArn } from '../config/msk-arns.ts';
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

/** What a function that writes the input topic (the redrive, the ingest) reads, and as whom, with MSK IAM. */
export interface InputTopicWriter {
  /** Topics it reads (`DescribeTopic`, `ReadData`), as the statement `sid`. */
  readonly reads: { readonly sid: string; readonly topics: readonly string[] };
  /** Its transactional id, when its producer is transactional (`DescribeTransactionalId`, `AlterTransactionalId`). */
  readonly transactionalId?: { readonly sid: string; readonly id: string };
  /** The prefix of the consumer groups it reads in (`DescribeGroup`, `AlterGroup` on `<prefix>*`). */
  readonly groups: { readonly sid: string; readonly prefix: string };
}

/**
 * Least-privilege statements of a function that writes the input topic (the redrive, the ingest): broker discovery
 * and the secrets as the enrichment function has them (MSK IAM, SASL/SCRAM, TLS); with MSK IAM access control an
 * idempotent producer's write on the input topic, read on the topics it reads, its transactional id, and its
 * consumer groups; the ENIs of a VPC function without event pollers (AWS's ENI list for VPC functions).
 * Amazon MSK, "Semantics of IAM authorization policy actions and resources"
 * (https://docs.aws.amazon.com/msk/latest/developerguide/kafka-actions.html): `ReadData` needs `DescribeTopic`,
 * `AlterGroup` needs `DescribeGroup`, group ARNs may end in a wildcard; a transactional producer needs
 * `DescribeTransactionalId` and `AlterTransactionalId` on `transactional-id/…` and `WriteDataIdempotently` on the
 * cluster.
 */
export function inputTopicWriterStatements(
  config: ResolvedPipelineConfig,
  topics: PipelineTopics,
  inVpc: boolean,
  writer: InputTopicWriter,
): iam.PolicyStatement[] {
  const kafka = kafkaClusterAccess(config);
  const statements = [
    ...kafka.clusterDiscovery(),
    ...kafka.produce([topics.input], { sid: 'MskWriteInputTopic', idempotent: true }),
  ];
  if (config.kafkaClusterType === 'msk' && config.kafkaAuth === 'iam') {
    const cluster = config.mskClusterArn!;
    statements.push(
      new iam.PolicyStatement({
        sid: writer.reads.sid,
        actions: ['kafka-cluster:DescribeTopic', 'kafka-cluster:ReadData'],
        resources: writer.reads.topics.map((t) => mskTopicArn(cluster, t)),
      }),
    );
    if (writer.transactionalId) {
      statements.push(
        new iam.PolicyStatement({
          sid: writer.transactionalId.sid,
          actions: ['kafka-cluster:DescribeTransactionalId', 'kafka-cluster:AlterTransactionalId'],
          resources: [mskTransactionalIdArn(cluster, writer.transactionalId.id)],
        }),
      );
    }
    statements.push(
      new iam.PolicyStatement({
        sid: writer.groups.sid,
        actions: ['kafka-cluster:DescribeGroup', 'kafka-cluster:AlterGroup'],
        resources: [mskGroupArn(cluster, `${writer.groups.prefix}*`)],
      }),
    );
  }
  if (inVpc) statements.push(vpcNetworkInterfacesStatement({ vpcFunction: true, kafkaPollers: false }));
  return statements;
}

/**
 * Least-privilege statements of the redrive function: it reads the error and (Kafka) on-failure topics in its own
 * consumer groups and writes the input topic with an idempotent producer ({@link inputTopicWriterStatements}).
 */
export function redriveStatements(
  config: ResolvedPipelineConfig,
  topics: PipelineTopics,
  inVpc: boolean,
): iam.PolicyStatement[] {
  return inputTopicWriterStatements(config, topics, inVpc, {
    reads: { sid: 'MskReadRedriveSources', topics: [topics.error, ...(topics.onFailure ? [topics.onFailure] : [])] },
    groups: { sid: 'MskRedriveConsumerGroups', prefix: redriveGroupPrefix(config) },
  });
}
