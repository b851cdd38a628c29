import { Annotations, Duration, Stack, Tags, type StackProps } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as logs from 'aws-cdk-lib/aws-logs';
import { KafkaDlq, S3OnFailureDestination, SqsDlq } from 'aws-cdk-lib/aws-lambda-event-sources';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import { functionEnvironmentFor } from '../lib/settings/catalogue.js';
import { prefixed, type ResolvedPipelineConfig } from './config.ts';
import { EnrichFunction } from './constructs/enrich-function.ts';
import { kafkaClientEnvironment, type KafkaConnection } from './constructs/kafka-connection.ts';
import { KafkaEventSource } from './constructs/kafka-event-source.ts';
import {
  KafkaClusterAccess,
  MSK_CLUSTER_ACTIONS,
  vpcNetworkInterfacesStatement,
  WILDCARD_STATEMENTS,
} from './constructs/kafka-permissions.ts';
import { KafkaTopics } from './constructs/kafka-topics.ts';
import {
  RedriveFunction,
  redriveEnvironment,
  redriveStatements,
  redriveTopics,
} from './constructs/redrive-function.ts';
import { HANDLER_METRICS_NAMESPACE, Operations } from './constructs/operations.ts';
import { acknowledge } from './nag.ts';

/** Properties of {@link PipelineStack}. */
export interface PipelineStackProps extends StackProps {
  /** Resolved environment configuration (`configFromContext` / `resolveConfig`). */
  readonly config: ResolvedPipelineConfig;
  /**
   * Entry of the enrichment handler bundled with esbuild.
   * @default 'functions/page-content-change-enrich/handler.ts'
   */
  readonly enrichFunctionEntry?: string;
  /**
   * Pre-built code of the enrichment function instead of bundling (unit tests: `Code.fromInline`).
   * @default - `enrichFunctionEntry` is bundled
   */
  readonly enrichFunctionCode?: lambda.Code;
  /**
   * Pre-built code of the topic provisioner instead of bundling `infra/topic-provisioner/handler.ts`.
   * @default - bundled
   */
  readonly topicProvisionerCode?: lambda.Code;
  /**
   * Pre-built code of the redrive function (with `redriveFunction: true`) instead of bundling
   * `functions/redrive/handler.ts`.
   * @default - bundled
   */
  readonly redriveFunctionCode?: lambda.Code;
}

/** How every Kafka client of the stack (function, topic provisioner) reaches the cluster. */
export function kafkaConnection(config: ResolvedPipelineConfig): KafkaConnection {
  return {
    mskClusterArn: config.mskClusterArn,
    bootstrapServers: config.kafkaBootstrapServers,
    auth: config.kafkaAuth,
    scramMechanism: config.kafkaScramMechanism,
    secretArn: config.kafkaSecretArn,
    rootCaSecretArn: config.kafkaRootCaSecretArn,
    secretKmsKeyArn: config.kafkaSecretKmsKeyArn,
  };
}

/**
 * Environment of the enrichment function: every function setting the environment file gives (validated and
 * named by lib/settings/catalogue.ts; the others keep the runtime's defaults), and the settings the stack wires from
 * infrastructure facts (cluster, authentication, secrets, topics, Powertools names).
 */
export function functionEnvironment(config: ResolvedPipelineConfig): Record<string, string> {
  return {
    ...functionEnvironmentFor(config),
    ...kafkaClientEnvironment(kafkaConnection(config)),
    // Topic names are unprefixed; the producer writes to KAFKA_TOPIC_PREFIX + OUTPUT_TOPIC / ERROR_TOPIC.
    KAFKA_TOPIC_PREFIX: config.kafkaTopicPrefix,
    OUTPUT_TOPIC: config.outputTopic,
    ERROR_TOPIC: config.errorTopic,
    POWERTOOLS_SERVICE_NAME: config.serviceName,
    POWERTOOLS_METRICS_NAMESPACE: HANDLER_METRICS_NAMESPACE,
    // Partial batch responses exist in provisioned mode only; without them the handler fails the invocation.
    ESM_PARTIAL_BATCH_RESPONSE: config.provisionedPollers ? 'true' : 'false',
  };
}

/**
 * mediawiki.page_change -> (Kafka event source mapping) -> enrichment Lambda -> MediaWiki Action API
 *                                                              |-> output topic (enriched events)
 *                                                              |-> error topic (failed events)
 * Batches the mapping gives up on go to the on-failure destination (a Kafka topic by default).
 */
export class PipelineStack extends Stack {
  public readonly enrichFunction: EnrichFunction;
  public readonly eventSource: KafkaEventSource;
  public readonly securityGroup?: ec2.SecurityGroup;
  public readonly topics?: KafkaTopics;
  public readonly operations: Operations;
  /** The redrive function, with `redriveFunction: true`. */
  public readonly redriveFunction?: RedriveFunction;

  constructor(scope: Construct, id: string, props: PipelineStackProps) {
    const config = props.config;
    super(scope, id, {
      ...props,
      env: { account: config.account, region: config.region },
      description: `Enriches mediawiki.page_change events with revision content (${config.envName})`,
    });
    // Dashboards are left untagged: CloudFormation tags on AWS::CloudWatch::Dashboard are recent and not
    // yet known to every region or to cfn-lint.
    const tagOptions = { excludeResourceTypes: ['AWS::CloudWatch::Dashboard'] };
    Tags.of(this).add('service', config.serviceName, tagOptions);
    Tags.of(this).add('environment', config.envName, tagOptions);
    for (const [key, value] of Object.entries(config.tags)) Tags.of(this).add(key, value, tagOptions);

    const topic = (name: string): string => prefixed(config, name);
    const inputTopic = topic(config.inputTopic);
    const outputTopic = topic(config.outputTopic);
    const errorTopic = topic(config.errorTopic);
    const onFailureTopic = config.onFailureDestination === 'kafka' ? topic(config.onFailureTopic) : undefined;

    // ------------------------------------------------------------------ network: the cluster's VPC
    const vpc = config.vpcId
      ? ec2.Vpc.fromVpcAttributes(this, 'ClusterVpc', {
          vpcId: config.vpcId,
          availabilityZones: config.availabilityZones!,
          privateSubnetIds: config.subnetIds!,
        })
      : undefined;
    if (vpc) {
      acknowledge(vpc, {
        id: 'Annotation::@aws-cdk/aws-ec2:noSubnetRouteTableId',
        reason: 'Imported subnets are only used to place ENIs; the stack never reads or changes their route tables.',
      });
    }
    const vpcSubnets: ec2.SubnetSelection | undefined = vpc ? { subnets: vpc.privateSubnets } : undefined;
    let brokers: ec2.ISecurityGroup | undefined;
    if (vpc) {
      this.securityGroup = new ec2.SecurityGroup(this, 'FunctionSecurityGroup', {
        vpc,
        description: 'Enrichment function and Kafka event pollers: brokers and HTTPS egress only',
        allowAllOutbound: false,
      });
      brokers = config.brokerSecurityGroupId
        ? ec2.SecurityGroup.fromSecurityGroupId(this, 'BrokerSecurityGroup', config.brokerSecurityGroupId, {
            allowAllOutbound: false,
          })
        : undefined;
      for (const port of config.kafkaBrokerPorts) {
        this.securityGroup.addEgressRule(
          brokers ?? ec2.Peer.anyIpv4(),
          ec2.Port.tcp(port),
          `Kafka brokers (${config.kafkaAuth})`,
        );
        brokers?.addIngressRule(
          this.securityGroup,
          ec2.Port.tcp(port),
          `mw-page-content-change-enrich Kafka clients (${config.kafkaAuth})`,
        );
        // AWS, "Creating a Lambda event source mapping for an Amazon MSK event source": the pollers' network
        // interfaces use the cluster's subnets and security groups, not the function's; the brokers' group
        // must therefore admit itself on the broker ports.
        if (brokers && config.kafkaClusterType === 'msk' && config.brokerSecurityGroupSelfIngress) {
          new ec2.CfnSecurityGroupIngress(this, `BrokerSelfIngress${port}`, {
            groupId: brokers.securityGroupId,
            sourceSecurityGroupId: brokers.securityGroupId,
            ipProtocol: 'tcp',
            fromPort: port,
            toPort: port,
            description: `Kafka event pollers of mw-page-content-change-enrich (${config.kafkaAuth}), cluster's group`,
          });
        }
      }
      // MediaWiki Action API on the internet (through the subnets' NAT), and AWS APIs (Secrets Manager,
      // MSK, STS for the event pollers).
      this.securityGroup.addEgressRule(
        ec2.Peer.anyIpv4(),
        ec2.Port.tcp(443),
        'HTTPS: MediaWiki Action API and AWS APIs',
      );
    }

    // ------------------------------------------------------------------ the enrichment function
    this.enrichFunction = new EnrichFunction(this, 'EnrichFunction', {
      entry: props.enrichFunctionEntry,
      code: props.enrichFunctionCode,
      environment: functionEnvironment(config),
      functionName: config.functionName,
      memorySize: config.memorySize,
      timeout: Duration.seconds(config.timeoutSeconds),
      reservedConcurrentExecutions: config.reservedConcurrency,
      applicationLogLevel: lambda.ApplicationLogLevel[config.settings.LOG_LEVEL],
      logRetention: config.logRetentionDays as logs.RetentionDays,
      vpc,
      vpcSubnets,
      securityGroups: this.securityGroup ? [this.securityGroup] : undefined,
    });
    const fn = this.enrichFunction.function;

    // ------------------------------------------------------------------ on-failure destination
    const onFailure = this.onFailureDestination(config, onFailureTopic);
    if ((config.onFailureDestination === 'sqs' || config.onFailureDestination === 's3') && vpc) {
      this.onFailureVpcEndpoint(
        config,
        vpc,
        vpcSubnets!,
        config.kafkaClusterType === 'msk' ? brokers : this.securityGroup,
      );
    }

    // ------------------------------------------------------------------ Kafka event source mapping
    const secret = config.kafkaSecretArn
      ? secretsmanager.Secret.fromSecretCompleteArn(this, 'KafkaSecret', config.kafkaSecretArn)
      : undefined;
    const provisioned = config.provisionedPollers;
    this.eventSource = new KafkaEventSource(this, 'PageChangeSource', {
      target: fn,
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
                ? secretsmanager.Secret.fromSecretCompleteArn(this, 'KafkaRootCaSecret', config.kafkaRootCaSecretArn)
                : undefined,
              vpc,
              vpcSubnets,
              securityGroup: this.securityGroup,
            },
      topic: inputTopic,
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
      onFailure,
    });
    if (config.retryAttempts === -1 && onFailure) {
      Annotations.of(this.eventSource).addWarningV2(
        'mw-enrich:infiniteRetriesWithDestination',
        'retryAttempts -1 with an on-failure destination: Lambda applies at most 10 retries then (AWS, "Using a ' +
          'Kafka topic as an on-failure destination"); set the number you mean.',
      );
    }
    if (!provisioned) {
      Annotations.of(this.eventSource).addWarningV2(
        'mw-enrich:onDemandIgnoresPartialBatchResponse',
        'provisionedPollers false: on-demand mode has no partial batch response, retries or on-failure destination ' +
          '(AWS, "Apache Kafka event poller scaling modes in Lambda"); the batchItemFailures the handler returns ' +
          'are ignored.',
      );
    }

    // ------------------------------------------------------------------ least-privilege permissions
    const secretArns = [config.kafkaSecretArn, config.kafkaRootCaSecretArn].filter((a): a is string => a !== undefined);
    const kafka = new KafkaClusterAccess({
      region: config.region,
      mskClusterArn: config.mskClusterArn,
      auth: config.kafkaAuth,
      secretArns,
      secretKmsKeyArn: config.kafkaSecretKmsKeyArn,
    });
    const statements: iam.PolicyStatement[] = [
      // AWS, "Configuring Lambda permissions for Amazon MSK event source mappings": the mapping describes the cluster.
      ...kafka.clusterDiscovery(config.kafkaClusterType === 'msk' ? MSK_CLUSTER_ACTIONS : []),
      // The event source mapping reads the input topic as its consumer group (MSK IAM: with this role).
      ...kafka.consume(inputTopic, this.eventSource.consumerGroupId),
      // The handler's (idempotent) producer writes enriched and error events.
      ...kafka.produce([outputTopic, errorTopic], { idempotent: true }),
      // The event source mapping writes discarded records to the on-failure topic.
      ...(onFailureTopic ? kafka.onFailureTopic(onFailureTopic) : []),
    ];
    // ENIs of the VPC function, and of the event pollers (MSK always runs them in the cluster's VPC; self-managed
    // Kafka in a VPC too).
    const kafkaPollers = config.kafkaClusterType === 'msk' || vpc !== undefined;
    if (vpc || kafkaPollers)
      statements.push(vpcNetworkInterfacesStatement({ vpcFunction: vpc !== undefined, kafkaPollers }));
    for (const statement of statements) this.enrichFunction.addToRolePolicy(statement);

    // ------------------------------------------------------------------ topics (optional)
    if (config.provisionTopics) {
      this.topics = new KafkaTopics(this, 'Topics', {
        region: config.region,
        code: props.topicProvisionerCode,
        topics: [outputTopic, errorTopic, ...(onFailureTopic ? [onFailureTopic] : [])].map((topicName) => ({
          topicName,
        })),
        connection: kafkaConnection(config),
        partitions: config.topicPartitions,
        replicationFactor: config.topicReplicationFactor,
        retentionMs: config.topicRetentionMs,
        maxMessageBytes: config.topicMaxMessageBytes,
        removalPolicy: config.topicRemovalPolicy,
        vpc: vpc!,
        vpcSubnets,
        securityGroups: [this.securityGroup!],
        logRetention: config.logRetentionDays as logs.RetentionDays,
      });
      // Topics exist before the mapping starts failing batches over to them.
      this.eventSource.eventSourceMapping.node.addDependency(this.topics);
    }

    // ------------------------------------------------------------------ operations
    this.operations = new Operations(this, 'Operations', {
      function: fn,
      eventSourceMappingId: this.eventSource.eventSourceMappingId,
      serviceName: config.serviceName,
      alarmTopic: config.alarmTopicArn ? sns.Topic.fromTopicArn(this, 'AlarmTopic', config.alarmTopicArn) : undefined,
      createAlarmTopic: config.createAlarmTopic,
      alarmEmail: config.alarmEmail,
      period: Duration.seconds(config.alarmPeriodSeconds),
      evaluationPeriods: config.alarmEvaluationPeriods,
      functionErrorsThreshold: config.functionErrorsThreshold,
      throttlesThreshold: config.throttlesThreshold,
      offsetLagThreshold: config.offsetLagThreshold,
      errorEventRatePercentThreshold: config.errorEventRatePercentThreshold,
      dashboard: config.dashboard,
      dashboardName: `${config.serviceName}-${config.envName}`,
    });

    // ------------------------------------------------------------------ redrive function (optional)
    if (config.redriveFunction) {
      this.redriveFunction = new RedriveFunction(this, 'RedriveFunction', {
        code: props.redriveFunctionCode,
        environment: redriveEnvironment(config, functionEnvironment(config)),
        logRetention: config.logRetentionDays as logs.RetentionDays,
        vpc,
        vpcSubnets,
        securityGroups: this.securityGroup ? [this.securityGroup] : undefined,
      });
      for (const statement of redriveStatements(config, kafka, redriveTopics(config), vpc !== undefined)) {
        this.redriveFunction.addToRolePolicy(statement);
      }
    }

    this.addNagSuppressions();
  }

  /** Builds the on-failure destination and grants the execution role access to it. */
  private onFailureDestination(
    config: ResolvedPipelineConfig,
    onFailureTopic: string | undefined,
  ): lambda.IEventSourceDlq | undefined {
    const role = this.enrichFunction;
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
        role.addToRolePolicy(
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
          bucket = created;
        }
        // Same page: an S3 destination needs s3:PutObject and s3:ListBucket.
        role.addToRolePolicy(
          new iam.PolicyStatement({
            sid: 'WriteOnFailureBucket',
            actions: ['s3:PutObject'],
            resources: [bucket.arnForObjects('*')],
          }),
        );
        role.addToRolePolicy(
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
   * it to the VPC's owner (README, Deploy).
   */
  private onFailureVpcEndpoint(
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

  private addNagSuppressions(): void {
    const roles = [this.enrichFunction.role, ...(this.topics ? [this.topics.onEventRole] : [])];
    for (const role of roles) {
      acknowledge(role, {
        id: 'AwsSolutions-IAM5[Resource::*]',
        reason: `Statement VpcNetworkInterfaces only: ${WILDCARD_STATEMENTS.VpcNetworkInterfaces}`,
      });
    }
    const bucket = this.node.tryFindChild('OnFailureBucket');
    if (bucket instanceof s3.Bucket) {
      acknowledge(this.enrichFunction.role, {
        id: `AwsSolutions-IAM5[Resource::<${this.getLogicalId(bucket.node.defaultChild as s3.CfnBucket)}.Arn>/*]`,
        reason: 'Objects of the on-failure bucket only: the object keys are chosen by Lambda.',
      });
    }
  }
}
