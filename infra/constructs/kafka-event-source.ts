import type { Duration } from 'aws-cdk-lib';
import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import {
  AuthenticationMethod,
  ManagedKafkaEventSource,
  SelfManagedKafkaEventSource,
  type KafkaEventSourceProps as L2KafkaEventSourceProps,
} from 'aws-cdk-lib/aws-lambda-event-sources';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';

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
  /** Consumer group id (immutable after creation). */
  readonly consumerGroupId: string;
  /**
   * Where to start without a committed offset.
   * @default lambda.StartingPosition.LATEST
   */
  readonly startingPosition?: lambda.StartingPosition;
  /**
   * Unix time in seconds, with `StartingPosition.AT_TIMESTAMP`.
   * @default - none
   */
  readonly startingPositionTimestamp?: number;
  /**
   * Records per invocation.
   * @default 100
   */
  readonly batchSize?: number;
  /**
   * Maximum batching window.
   * @default Duration.millis(500) (Lambda's default for Kafka)
   */
  readonly maxBatchingWindow?: Duration;
  /**
   * Provisioned event pollers; `undefined` for on-demand mode.
   * @default - on-demand
   */
  readonly provisionedPollers?: { readonly minimumPollers: number; readonly maximumPollers: number };
  /**
   * Retries of a failed batch, -1 for infinite.
   * @default -1
   */
  readonly retryAttempts?: number;
  /**
   * Maximum record age.
   * @default - infinite (-1)
   */
  readonly maxRecordAge?: Duration;
  /**
   * Bisect a failing batch.
   * @default false
   */
  readonly bisectBatchOnError?: boolean;
  /**
   * Allow partial batch responses (`FunctionResponseTypes: [ReportBatchItemFailures]`).
   * @default false
   */
  readonly reportBatchItemFailures?: boolean;
  /**
   * Destination of discarded records: `KafkaDlq`, `SqsDlq` or `S3OnFailureDestination`.
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
 * The Kafka event source mapping of the enrichment function, either a `ManagedKafkaEventSource` or a
 * `SelfManagedKafkaEventSource`. Every property used is exposed by the aws-cdk-lib 2.276 L2 (including
 * retries, bisect, maximum record age, partial batch responses, provisioned pollers and Kafka/SQS/S3
 * on-failure destinations), so no escape hatch on the `CfnEventSourceMapping` is needed.
 *
 * The event source never grants permissions here: the target's role is immutable and the stack grants
 * the mapping's permissions explicitly.
 */
export class KafkaEventSource extends Construct {
  /** The event source mapping (child of the target function). */
  public readonly eventSourceMapping: lambda.EventSourceMapping;

  constructor(scope: Construct, id: string, props: KafkaEventSourceProps) {
    super(scope, id);

    const common: Omit<L2KafkaEventSourceProps, 'secret'> = {
      topic: props.topic,
      consumerGroupId: props.consumerGroupId,
      startingPosition: props.startingPosition ?? lambda.StartingPosition.LATEST,
      startingPositionTimestamp: props.startingPositionTimestamp,
      batchSize: props.batchSize ?? 100,
      maxBatchingWindow: props.maxBatchingWindow,
      provisionedPollerConfig: props.provisionedPollers,
      retryAttempts: props.retryAttempts,
      maxRecordAge: props.maxRecordAge,
      bisectBatchOnError: props.bisectBatchOnError,
      reportBatchItemFailures: props.reportBatchItemFailures,
      onFailure: props.onFailure,
      metricsConfig: {
        metrics: props.metrics ?? [lambda.MetricType.EVENT_COUNT, lambda.MetricType.ERROR_COUNT, lambda.MetricType.KAFKA_METRICS],
      },
    };

    const cluster = props.cluster;
    let source: lambda.IEventSource;
    if (cluster.kind === 'msk') {
      if ((cluster.auth === 'scram') !== (cluster.secret !== undefined)) {
        throw new Error("MSK: a secret is required with, and only with, auth 'scram'");
      }
      // No SourceAccessConfigurations means IAM access control with the function's execution role;
      // a secret adds SASL_SCRAM_512_AUTH.
      source = new ManagedKafkaEventSource({ ...common, clusterArn: cluster.clusterArn, secret: cluster.secret });
    } else {
      if (cluster.auth === 'scram' && !cluster.secret) throw new Error("self-managed Kafka: auth 'scram' needs a secret");
      if (cluster.auth === 'none' && cluster.secret) throw new Error("self-managed Kafka: auth 'none' takes no secret");
      source = new SelfManagedKafkaEventSource({
        ...common,
        bootstrapServers: cluster.bootstrapServers,
        secret: cluster.secret,
        authenticationMethod:
          cluster.auth === 'tls'
            ? AuthenticationMethod.CLIENT_CERTIFICATE_TLS_AUTH
            : cluster.scramMechanism === 'SCRAM-SHA-256'
              ? AuthenticationMethod.SASL_SCRAM_256_AUTH
              : AuthenticationMethod.SASL_SCRAM_512_AUTH,
        rootCACertificate: cluster.rootCaSecret,
        vpc: cluster.vpc,
        vpcSubnets: cluster.vpc ? (cluster.vpcSubnets ?? {}) : undefined,
        securityGroup: cluster.securityGroup,
      });
    }

    const before = new Set(props.target.node.children);
    props.target.addEventSource(source);
    const added = props.target.node.children.filter((c) => !before.has(c) && c instanceof lambda.EventSourceMapping);
    if (added.length !== 1) throw new Error('expected the Kafka event source to add exactly one EventSourceMapping');
    this.eventSourceMapping = added[0] as lambda.EventSourceMapping;
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
