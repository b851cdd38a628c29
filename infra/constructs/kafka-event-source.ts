import { createHash } from 'node:crypto';
import { Annotations, type Duration } from 'aws-cdk-lib';
import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { PROVISIONED_MODE_CONTROLS } from '../config/event-source-config.ts';

const Access = lambda.SourceAccessConfigurationType;

/** An Amazon MSK cluster as the source. */
export interface MskClusterSource {
  readonly kind: 'msk';
  /** Cluster ARN. */
  readonly clusterArn: string;
  /**
   * `iam` (MSK IAM access control, the execution role is used) or `scram` (SASL/SCRAM-512 with `secret`).
   */
  readonly auth: 'iam' | 'scram';
  /**
   * SCRAM credentials; required with `auth: 'scram'`.
   * @default - none
   */
  readonly secret?: secretsmanager.ISecret;
}

/** A self-managed Apache Kafka cluster as the source. */
export interface SelfManagedClusterSource {
  readonly kind: 'self-managed';
  /** Bootstrap servers `host:port`. */
  readonly bootstrapServers: string[];
  /** `scram` (SASL/SCRAM), `tls` (TLS; mutual TLS when `secret` holds a client certificate) or `none`. */
  readonly auth: 'scram' | 'tls' | 'none';
  /**
   * SCRAM mechanism with `auth: 'scram'`.
   * @default 'SCRAM-SHA-512'
   */
  readonly scramMechanism?: 'SCRAM-SHA-512' | 'SCRAM-SHA-256';
  /**
   * SCRAM credentials (required with `scram`) or mTLS client certificate (optional with `tls`).
   * @default - none
   */
  readonly secret?: secretsmanager.ISecret;
  /**
   * Root CA certificate of brokers signed by a private CA.
   * @default - none
   */
  readonly rootCaSecret?: secretsmanager.ISecret;
  /**
   * VPC the event pollers run in, when the brokers are only reachable from it.
   * @default - brokers reached over the internet (then `secret` is required)
   */
  readonly vpc?: ec2.IVpc;
  /**
   * Subnets of the event pollers.
   * @default - the VPC's private subnets
   */
  readonly vpcSubnets?: ec2.SubnetSelection;
  /**
   * Security group of the event pollers; required with `vpc`.
   * @default - none
   */
  readonly securityGroup?: ec2.ISecurityGroup;
}

/** Properties of {@link KafkaEventSource}. */
export interface KafkaEventSourceProps {
  /** Function invoked with the record batches. */
  readonly target: lambda.IFunction;
  /** The cluster. */
  readonly cluster: MskClusterSource | SelfManagedClusterSource;
  /** Topic consumed (full, prefixed name). */
  readonly topic: string;
  /**
   * Base of the consumer group id; the mapping's group is `<base>.<generation>`, see {@link consumerGroupIdFor}.
   */
  readonly consumerGroupId: string;
  /**
   * Where a new consumer group starts.
   * @default lambda.StartingPosition.TRIM_HORIZON
   */
  readonly startingPosition?: lambda.StartingPosition;
  /**
   * Unix time in seconds, with `StartingPosition.AT_TIMESTAMP`.
   * @default - none
   */
  readonly startingPositionTimestamp?: number;
  /** Records per invocation (`batchSize` of the resolved configuration, which states its default). */
  readonly batchSize: number;
  /**
   * Maximum batching window.
   * @default Duration.millis(500) (Lambda's default for Kafka)
   */
  readonly maxBatchingWindow?: Duration;
  /**
   * Provisioned event pollers; `undefined` for on-demand mode, where AWS offers none of the failure
   * handling controls below (they must then be undefined).
   * @default - on-demand
   */
  readonly provisionedPollers?: { readonly minimumPollers: number; readonly maximumPollers: number };
  /**
   * Retries of a failed batch, -1 for infinite. Provisioned mode only.
   * @default - Lambda's default (-1)
   */
  readonly retryAttempts?: number;
  /**
   * Maximum record age. Provisioned mode only.
   * @default - infinite (-1)
   */
  readonly maxRecordAge?: Duration;
  /**
   * Bisect a failing batch. Provisioned mode only.
   * @default false
   */
  readonly bisectBatchOnError?: boolean;
  /**
   * Partial batch responses (`FunctionResponseTypes: [ReportBatchItemFailures]`). Provisioned mode only.
   * @default false
   */
  readonly reportBatchItemFailures?: boolean;
  /**
   * Destination of discarded records: `KafkaDlq`, `SqsDlq` or `S3OnFailureDestination`. Provisioned mode only.
   * @default - discarded records are dropped
   */
  readonly onFailure?: lambda.IEventSourceDlq;
  /**
   * Metrics of the event source mapping.
   * @default [EVENT_COUNT, ERROR_COUNT, KAFKA_METRICS]
   */
  readonly metrics?: lambda.MetricType[];
}

/**
 * What a mapping is created with and cannot change: what CloudFormation replaces an `AWS::Lambda::EventSourceMapping`
 * for (the cluster, the starting position) and what Lambda sets only on create ("Can set only on Create": the
 * topics and the consumer group, "All Amazon MSK event source configuration parameters" and the self-managed
 * equivalent). A change of any of them must be a new mapping.
 */
export interface MappingIdentity {
  readonly cluster: string;
  readonly topic: string;
  readonly consumerGroupId: string;
  readonly startingPosition: string;
  readonly startingPositionTimestamp?: number;
}

/**
 * Version of the generation scheme. Version 2 put the generation into the logical id: a stack deployed with version
 * 1 (fixed logical id) replaces its mapping once on upgrade, and CloudFormation creates the new mapping before it
 * deletes the old one, so the new one needs a group of its own too (docs/deploy.md).
 */
const GENERATION_SCHEME = 2;

/** The generation of a mapping: a hash of its {@link MappingIdentity}, the same for the same identity. */
export function mappingGeneration(identity: MappingIdentity): string {
  const hashed = JSON.stringify({ scheme: GENERATION_SCHEME, ...identity });
  return createHash('sha256').update(hashed).digest('hex').slice(0, 8);
}

/**
 * The consumer group of a mapping: `<base>.<generation>`.
 *
 * AWS ("Customizable consumer group ID in Lambda"): the id must be unique among all Kafka event sources and
 * cannot be updated. CloudFormation creates the replacement before it deletes the old mapping, so a
 * replacement that kept the group would collide with the old mapping and fail. A new generation is a new
 * group: it starts at the starting position, not at the old group's offsets (docs/deploy.md).
 */
export function consumerGroupIdFor(identity: MappingIdentity): string {
  return `${identity.consumerGroupId}.${mappingGeneration(identity)}`;
}

/** The alias a generation's mapping invokes the function through (alias names: letters, digits, `-`, `_`). */
export function generationAliasName(generation: string): string {
  return `kafka-mapping-${generation}`;
}

/**
 * The Kafka event source mapping of the enrichment function, as one `lambda.EventSourceMapping` whose construct id
 * carries the generation ({@link mappingGeneration}): a change of anything the mapping is created with and cannot
 * change (its {@link MappingIdentity}) gives a new logical id, so CloudFormation creates a new mapping, in a new
 * consumer group, instead of updating properties Lambda accepts only on create; any other change (batch size,
 * pollers, retries, destinations) keeps the logical id, the group and its offsets.
 *
 * Each generation invokes the function through an alias of its own ({@link generationAliasName}, on `$LATEST`).
 * Lambda keeps one Kafka mapping per event source, function and topics, and answers a second one with 409 ("An
 * event source mapping with event source arn …, function … and topics … already exists", the function being the
 * qualified ARN the mapping names: aws/aws-sam-cli#2308). CloudFormation creates a replacement before it deletes the
 * mapping it replaces, so a new generation that changed only the consumer group or the starting position would,
 * without its alias, name the same three as the old one for that moment and fail. `FunctionName` accepts an alias
 * ARN (CreateEventSourceMapping, https://docs.aws.amazon.com/lambda/latest/api/API_CreateEventSourceMapping.html),
 * and the function's metrics by `FunctionName` aggregate all its aliases ("Viewing metrics for Lambda functions",
 * https://docs.aws.amazon.com/lambda/latest/dg/monitoring-metrics-view.html), so alarms stay on the function.
 *
 * The event source never grants permissions here: the target's role is immutable and the stack grants
 * the mapping's permissions explicitly.
 *
 * AWS pages followed: https://docs.aws.amazon.com/lambda/latest/dg/kafka-scaling-modes.html,
 * .../kafka-retry-configurations.html, .../kafka-on-failure.html, .../kafka-starting-positions.html,
 * .../kafka-consumer-group-id.html (all under https://docs.aws.amazon.com/lambda/latest/dg/).
 */
export class KafkaEventSource extends Construct {
  /** The event source mapping. */
  public readonly eventSourceMapping: lambda.EventSourceMapping;
  /** The consumer group the mapping joins. */
  public readonly consumerGroupId: string;
  /** The mapping's generation, part of its construct id and of its consumer group. */
  public readonly generation: string;
  /** The alias of the target the mapping invokes, one per generation. */
  public readonly alias: lambda.Alias;

  constructor(scope: Construct, id: string, props: KafkaEventSourceProps) {
    super(scope, id);
    const cluster = props.cluster;
    const startingPosition = props.startingPosition ?? lambda.StartingPosition.TRIM_HORIZON;

    if (!props.provisionedPollers) {
      // These controls need provisioned mode (PROVISIONED_MODE_CONTROLS, with the AWS pages it follows).
      const set = (Object.keys(PROVISIONED_MODE_CONTROLS) as (keyof typeof PROVISIONED_MODE_CONTROLS)[]).filter(
        (k) => props[k] !== undefined,
      );
      if (set.length > 0) {
        throw new Error(`${set.join(', ')}: available only with provisioned pollers (provisioned mode)`);
      }
    }
    if (startingPosition === lambda.StartingPosition.LATEST) {
      Annotations.of(this).addWarningV2(
        'mw-enrich:startingPositionLatest',
        'startingPosition LATEST: records written while the event source mapping is created or updated can be ' +
          'skipped (AWS, "Apache Kafka polling and stream starting positions in Lambda"); TRIM_HORIZON reads them.',
      );
    }

    if (props.retryAttempts === -1 && props.onFailure) {
      Annotations.of(this).addWarningV2(
        'mw-enrich:infiniteRetriesWithDestination',
        'retryAttempts -1 with an on-failure destination: Lambda applies at most 10 retries then (AWS, "Using a ' +
          'Kafka topic as an on-failure destination"); set the number you mean.',
      );
    }
    if (!props.provisionedPollers) {
      Annotations.of(this).addWarningV2(
        'mw-enrich:onDemandIgnoresPartialBatchResponse',
        'provisionedPollers false: on-demand mode has no partial batch response, retries or on-failure destination ' +
          '(AWS, "Apache Kafka event poller scaling modes in Lambda"); the batchItemFailures the handler returns ' +
          'are ignored.',
      );
    }

    if (startingPosition === lambda.StartingPosition.TRIM_HORIZON && props.maxRecordAge !== undefined) {
      Annotations.of(this).addWarningV2(
        'mw-enrich:trimHorizonWithMaximumAge',
        `startingPosition TRIM_HORIZON with maxRecordAge ${props.maxRecordAge.toHumanString()}: a new consumer group ` +
          'starts at the oldest retained record, and Lambda sends records older than the maximum age to the ' +
          'on-failure destination without invoking the function (AWS, "Configuring error handling controls for ' +
          'Kafka event sources", https://docs.aws.amazon.com/lambda/latest/dg/kafka-retry-configurations.html); ' +
          'use -1 (no maximum) or a maximum longer than the topic retains.',
      );
    }

    const identity: MappingIdentity = {
      cluster: cluster.kind === 'msk' ? cluster.clusterArn : [...cluster.bootstrapServers].sort().join(','),
      topic: props.topic,
      consumerGroupId: props.consumerGroupId,
      startingPosition,
      startingPositionTimestamp: props.startingPositionTimestamp,
    };
    this.generation = mappingGeneration(identity);
    this.consumerGroupId = consumerGroupIdFor(identity);

    const sourceAccess: lambda.SourceAccessConfiguration[] = [];
    let eventSourceArn: string | undefined;
    let kafkaBootstrapServers: string[] | undefined;
    if (cluster.kind === 'msk') {
      if ((cluster.auth === 'scram') !== (cluster.secret !== undefined)) {
        throw new Error("MSK: a secret is required with, and only with, auth 'scram'");
      }
      // No SourceAccessConfigurations means IAM access control with the function's execution role.
      eventSourceArn = cluster.clusterArn;
      if (cluster.secret) sourceAccess.push({ type: Access.SASL_SCRAM_512_AUTH, uri: cluster.secret.secretArn });
    } else {
      if (cluster.auth === 'scram' && !cluster.secret) {
        throw new Error("self-managed Kafka: auth 'scram' needs a secret");
      }
      if (cluster.auth === 'none' && cluster.secret) throw new Error("self-managed Kafka: auth 'none' takes no secret");
      if (!cluster.vpc && !cluster.secret) {
        throw new Error('self-managed Kafka reached over the internet needs authentication (a secret)');
      }
      if (cluster.vpc && !cluster.securityGroup) {
        throw new Error("self-managed Kafka in a VPC needs the pollers' security group");
      }
      kafkaBootstrapServers = cluster.bootstrapServers;
      if (cluster.secret) {
        const type =
          cluster.auth === 'tls'
            ? Access.CLIENT_CERTIFICATE_TLS_AUTH
            : cluster.scramMechanism === 'SCRAM-SHA-256'
              ? Access.SASL_SCRAM_256_AUTH
              : Access.SASL_SCRAM_512_AUTH;
        sourceAccess.push({ type, uri: cluster.secret.secretArn });
      }
      if (cluster.rootCaSecret) {
        sourceAccess.push({ type: Access.SERVER_ROOT_CA_CERTIFICATE, uri: cluster.rootCaSecret.secretArn });
      }
      if (cluster.vpc && cluster.securityGroup) {
        sourceAccess.push({ type: Access.VPC_SECURITY_GROUP, uri: cluster.securityGroup.securityGroupId });
        for (const subnetId of cluster.vpc.selectSubnets(cluster.vpcSubnets ?? {}).subnetIds) {
          sourceAccess.push({ type: Access.VPC_SUBNET, uri: subnetId });
        }
      }
    }

    // Replaced with the mapping (its logical id carries the generation too), and deleted after the old mapping.
    this.alias = new lambda.Alias(this, `Alias${this.generation}`, {
      aliasName: generationAliasName(this.generation),
      version: props.target.latestVersion,
      description: `Kafka event source mapping generation ${this.generation} (group ${this.consumerGroupId})`,
    });
    this.eventSourceMapping = new lambda.EventSourceMapping(this, `Mapping${this.generation}`, {
      target: this.alias,
      eventSourceArn,
      kafkaBootstrapServers,
      kafkaTopic: props.topic,
      kafkaConsumerGroupId: this.consumerGroupId,
      startingPosition,
      startingPositionTimestamp: props.startingPositionTimestamp,
      sourceAccessConfigurations: sourceAccess.length > 0 ? sourceAccess : undefined,
      batchSize: props.batchSize,
      maxBatchingWindow: props.maxBatchingWindow,
      provisionedPollerConfig: props.provisionedPollers,
      retryAttempts: props.retryAttempts,
      maxRecordAge: props.maxRecordAge,
      bisectBatchOnError: props.bisectBatchOnError,
      reportBatchItemFailures: props.reportBatchItemFailures,
      onFailure: props.onFailure,
      supportS3OnFailureDestination: true,
      metricsConfig: {
        metrics: props.metrics ?? [
          lambda.MetricType.EVENT_COUNT,
          lambda.MetricType.ERROR_COUNT,
          lambda.MetricType.KAFKA_METRICS,
        ],
      },
    });
  }

  /** The mapping's UUID (the `EventSourceMappingUUID` metric dimension). */
  public get eventSourceMappingId(): string {
    return this.eventSourceMapping.eventSourceMappingId;
  }

  /** The underlying CloudFormation resource, for escape hatches. */
  public get cfnEventSourceMapping(): lambda.CfnEventSourceMapping {
    return this.eventSourceMapping.node.defaultChild as lambda.CfnEventSourceMapping;
  }
}
