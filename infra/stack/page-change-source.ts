/** What triggers the enrichment function: the Kafka event source mapping and its on-failure destination. */
import { Duration } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { KafkaDlq, S3OnFailureDestination, SqsDlq } from 'aws-cdk-lib/aws-lambda-event-sources';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { ResolvedPipelineConfig } from '../config/config.ts';
import type { KafkaEventSourceProps } from '../constructs/kafka-event-source.ts';
import { acknowledge } from '../constructs/nag.ts';
import type { ClusterNetwork } from './network.ts';
import type { PipelineTopics } from './topics.ts';

/** Properties of {@link OnFailureDestination}. */
export interface OnFailureDestinationProps {
  readonly config: ResolvedPipelineConfig;
  readonly network: ClusterNetwork;
  readonly topics: PipelineTopics;
}

/**
 * The destination of the batches the event source mapping gives up on: a Kafka topic, or an SQS queue or S3 bucket
 * (created unless the environment names one) reached through a VPC endpoint. The statements the execution role
 * needs for it are in {@link OnFailureDestination.statements}; the stack grants them with the rest (the role is
 * immutable for L2 grants).
 *
 * Create it with the id `Default`: CDK leaves that id out of logical ids, so its resources keep the logical ids
 * they had when the stack created them itself.
 */
export class OnFailureDestination extends Construct {
  /** What the event source mapping is given, if any. */
  public readonly dlq?: lambda.IEventSourceDlq;
  /** Statements the execution role needs to write to an SQS or S3 destination (a Kafka topic's are with the IAM). */
  public readonly statements: iam.PolicyStatement[] = [];
  /** The S3 bucket created as the destination, if one was. */
  public createdBucket?: s3.Bucket;

  constructor(scope: Construct, id: string, props: OnFailureDestinationProps) {
    super(scope, id);
    const { config, network } = props;
    this.dlq = this.destination(config, props.topics.onFailure);
    if ((config.onFailureDestination === 'sqs' || config.onFailureDestination === 's3') && network.vpc) {
      this.vpcEndpoint(
        config,
        network.vpc,
        network.vpcSubnets!,
        config.kafkaClusterType === 'msk' ? network.brokers : network.securityGroup,
      );
    }
  }

  /** Builds the destination and records the statements the execution role needs for it. */
  private destination(
    config: ResolvedPipelineConfig,
    onFailureTopic: string | undefined,
  ): lambda.IEventSourceDlq | undefined {
    switch (config.onFailureDestination) {
      case 'none':
        return undefined;
      case 'kafka':
        // kafka://<topic>; written by the event source mapping with the mapping's own authentication.
        return new KafkaDlq(onFailureTopic!);
      case 'sqs': {
        let queue: sqs.IQueue;
        if (config.onFailureQueueArn) {
          queue = sqs.Queue.fromQueueArn(this, 'OnFailureQueue', config.onFailureQueueArn);
        } else {
          const created = new sqs.Queue(this, 'OnFailureQueue', {
            encryption: sqs.QueueEncryption.SQS_MANAGED,
            enforceSSL: true,
            retentionPeriod: Duration.days(14),
          });
          acknowledge(created, {
            id: 'AwsSolutions-SQS3',
            reason: 'This queue is itself the on-failure (dead-letter) destination of the Kafka event source mapping.',
          });
          queue = created;
        }
        // AWS, "Capturing discarded batches for Amazon MSK and self-managed Apache Kafka event sources": an SQS
        // destination needs sqs:SendMessage. SqsDlq would grant more, but the role is immutable for L2 grants.
        this.statements.push(
          new iam.PolicyStatement({
            sid: 'SendToOnFailureQueue',
            actions: ['sqs:SendMessage'],
            resources: [queue.queueArn],
          }),
        );
        return new SqsDlq(queue);
      }
      case 's3': {
        let bucket: s3.IBucket;
        if (config.onFailureBucketArn) {
          bucket = s3.Bucket.fromBucketArn(this, 'OnFailureBucket', config.onFailureBucketArn);
        } else {
          const created = new s3.Bucket(this, 'OnFailureBucket', {
            encryption: s3.BucketEncryption.S3_MANAGED,
            blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
            enforceSSL: true,
            versioned: true,
            lifecycleRules: [{ expiration: Duration.days(90), noncurrentVersionExpiration: Duration.days(7) }],
          });
          acknowledge(created, {
            id: 'AwsSolutions-S1',
            reason:
              'Write-only sink of discarded Kafka batch metadata, written by the event source mapping with the ' +
              'function role only; object-level auditing is left to CloudTrail data events.',
          });
          this.createdBucket = created;
          bucket = created;
        }
        // Same page: an S3 destination needs s3:PutObject and s3:ListBucket.
        this.statements.push(
          new iam.PolicyStatement({
            sid: 'WriteOnFailureBucket',
            actions: ['s3:PutObject'],
            resources: [bucket.arnForObjects('*')],
          }),
          new iam.PolicyStatement({
            sid: 'ListOnFailureBucket',
            actions: ['s3:ListBucket'],
            resources: [bucket.bucketArn],
          }),
        );
        return new S3OnFailureDestination(bucket);
      }
    }
  }

  /**
   * AWS, "Capturing discarded batches for Amazon MSK and self-managed Apache Kafka event sources": the
   * pollers reach an SQS or S3 destination through a VPC endpoint in the cluster's VPC. `existing` leaves
   * it to the VPC's owner (docs/deploy.md).
   */
  private vpcEndpoint(
    config: ResolvedPipelineConfig,
    vpc: ec2.IVpc,
    subnets: ec2.SubnetSelection,
    pollers: ec2.ISecurityGroup | undefined,
  ): void {
    // resolveConfig makes sure the pollers' security group is known when an endpoint is to be created.
    if (config.onFailureVpcEndpoint === 'existing' || !pollers) return;
    const endpointSecurityGroup = new ec2.SecurityGroup(this, 'OnFailureEndpointSecurityGroup', {
      vpc,
      description: `${config.onFailureDestination} on-failure destination endpoint: HTTPS from the Kafka event pollers`,
      allowAllOutbound: false,
    });
    endpointSecurityGroup.addIngressRule(pollers, ec2.Port.tcp(443), 'Kafka event pollers');
    new ec2.InterfaceVpcEndpoint(this, 'OnFailureVpcEndpoint', {
      vpc,
      service:
        config.onFailureDestination === 'sqs'
          ? ec2.InterfaceVpcEndpointAwsService.SQS
          : ec2.InterfaceVpcEndpointAwsService.S3,
      subnets,
      securityGroups: [endpointSecurityGroup],
      privateDnsEnabled: true,
      open: false,
    });
  }
}

/** What the event source mapping needs besides the configuration. */
export interface PageChangeSourceInputs {
  /** The enrichment function. */
  readonly target: lambda.IFunction;
  readonly network: ClusterNetwork;
  readonly topics: PipelineTopics;
  readonly onFailure?: lambda.IEventSourceDlq;
}

/**
 * Properties of the `mediawiki.page_change` event source mapping (`KafkaEventSource`) from the configuration. The
 * secrets it presents are imported into `scope`.
 */
export function pageChangeSourceProps(
  scope: Construct,
  config: ResolvedPipelineConfig,
  inputs: PageChangeSourceInputs,
): KafkaEventSourceProps {
  const { network } = inputs;
  const secret = config.kafkaSecretArn
    ? secretsmanager.Secret.fromSecretCompleteArn(scope, 'KafkaSecret', config.kafkaSecretArn)
    : undefined;
  const provisioned = config.provisionedPollers;
  return {
    target: inputs.target,
    cluster:
      config.kafkaClusterType === 'msk'
        ? { kind: 'msk', clusterArn: config.mskClusterArn!, auth: config.kafkaAuth as 'iam' | 'scram', secret }
        : {
            kind: 'self-managed',
            bootstrapServers: config.kafkaBootstrapServers!,
            auth: config.kafkaAuth as 'scram' | 'tls' | 'none',
            scramMechanism: config.kafkaScramMechanism,
            secret,
            rootCaSecret: config.kafkaRootCaSecretArn
              ? secretsmanager.Secret.fromSecretCompleteArn(scope, 'KafkaRootCaSecret', config.kafkaRootCaSecretArn)
              : undefined,
            vpc: network.vpc,
            vpcSubnets: network.vpcSubnets,
            securityGroup: network.securityGroup,
          },
    topic: inputs.topics.input,
    consumerGroupId: config.consumerGroupId,
    startingPosition: lambda.StartingPosition[config.startingPosition],
    startingPositionTimestamp: config.startingPositionTimestamp,
    batchSize: config.batchSize,
    maxBatchingWindow: Duration.seconds(config.maxBatchingWindowSeconds),
    provisionedPollers: provisioned
      ? { minimumPollers: config.minPollers, maximumPollers: config.maxPollers }
      : undefined,
    retryAttempts: config.retryAttempts,
    maxRecordAge:
      config.maxRecordAgeSeconds === undefined || config.maxRecordAgeSeconds === -1
        ? undefined
        : Duration.seconds(config.maxRecordAgeSeconds),
    bisectBatchOnError: config.bisectBatchOnError,
    // The handler answers with a partial batch response (AWS, "Configuring error handling controls for Kafka event
    // sources"); without ReportBatchItemFailures Lambda would commit the records it lists.
    reportBatchItemFailures: provisioned ? true : undefined,
    onFailure: inputs.onFailure,
  };
}
