import { join } from 'node:path';
import { CustomResource, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as cr from 'aws-cdk-lib/custom-resources';
import { Construct } from 'constructs';
import type { TopicRemovalPolicy } from '../config/config.ts';
import { PROJECT_ROOT } from './function-bundle.ts';
import { acknowledge, addRoleStatements } from './nag.ts';
import { createNodeFunction, type NodeFunctionCodeProps } from './owned-function.ts';
import { kafkaClientEnvironment, type KafkaConnection } from './kafka-connection.ts';
import { KafkaClusterAccess, vpcNetworkInterfacesStatement } from './kafka-permissions.ts';

/** Default entry of the provisioner's onEvent handler. */
export const TOPIC_PROVISIONER_ENTRY = join(PROJECT_ROOT, 'functions', 'topic-provisioner', 'handler.ts');

/** One topic to provision. */
export interface KafkaTopicDefinition {
  /** Full (prefixed) topic name. */
  readonly topicName: string;
  /**
   * Partitions (only ever increased on update).
   * @default - `KafkaTopicsProps.partitions`
   */
  readonly partitions?: number;
  /**
   * Extra topic configs, merged over the defaults.
   * @default - none
   */
  readonly configs?: Record<string, string>;
}

/** How the provisioner connects to the cluster: the same connection as the enrichment function's. */
export type KafkaTopicsConnection = KafkaConnection;

/** Properties of {@link KafkaTopics}. */
export interface KafkaTopicsProps extends NodeFunctionCodeProps {
  /** Topics to create if missing. */
  readonly topics: KafkaTopicDefinition[];
  /** Cluster connection. */
  readonly connection: KafkaTopicsConnection;
  /** Region of the stack. */
  readonly region: string;
  /**
   * Default partitions.
   * @default 3
   */
  readonly partitions?: number;
  /**
   * Replication factor (applied at creation only).
   * @default 3
   */
  readonly replicationFactor?: number;
  /**
   * `retention.ms`.
   * @default 604800000 (7 days)
   */
  readonly retentionMs?: number;
  /**
   * `max.message.bytes`.
   * @default - broker default
   */
  readonly maxMessageBytes?: number;
  /**
   * What happens to a topic removed from the stack. `retain` also sets the CloudFormation
   * DeletionPolicy/UpdateReplacePolicy to Retain, so the handler is never even asked to delete.
   * @default 'retain'
   */
  readonly removalPolicy?: TopicRemovalPolicy;
  /**
   * VPC of the brokers.
   */
  readonly vpc: ec2.IVpc;
  /**
   * Subnets of the provisioner.
   * @default - the VPC's private subnets
   */
  readonly vpcSubnets?: ec2.SubnetSelection;
  /** Security groups of the provisioner (egress to the brokers and to AWS APIs on 443). */
  readonly securityGroups: ec2.ISecurityGroup[];
  /**
   * Log retention of the provisioner functions.
   * @default logs.RetentionDays.ONE_MONTH
   */
  readonly logRetention?: logs.RetentionDays;
}

/**
 * Kafka topics provisioned by a custom resource (CDK `Provider` framework + kafkajs admin onEvent
 * handler in `functions/topic-provisioner/handler.ts`): created if missing, partitions grown and configs
 * reconciled on update, deleted only as the removal policy allows.
 */
export class KafkaTopics extends Construct {
  /** The onEvent function. */
  public readonly onEventFunction: lambda.Function;
  /** Execution role of the onEvent function. */
  public readonly onEventRole: iam.Role;
  /** Custom resource per topic name. */
  public readonly topics: Record<string, CustomResource> = {};

  constructor(scope: Construct, id: string, props: KafkaTopicsProps) {
    super(scope, id);
    const removalPolicy = props.removalPolicy ?? 'retain';
    const topicNames = props.topics.map((t) => t.topicName);
    const conn = props.connection;

    const role = (this.onEventRole = new iam.Role(this, 'OnEventRole', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: 'Kafka topic provisioner (create/alter the pipeline topics only)',
    }));
    const logGroup = new logs.LogGroup(this, 'OnEventLogGroup', {
      retention: props.logRetention ?? logs.RetentionDays.ONE_MONTH,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    const access = new KafkaClusterAccess({
      region: props.region,
      mskClusterArn: conn.mskClusterArn,
      auth: conn.auth,
      secretArns: [conn.secretArn, conn.rootCaSecretArn].filter((a): a is string => a !== undefined),
      secretKmsKeyArn: conn.secretKmsKeyArn,
    });
    addRoleStatements(role, [
      new iam.PolicyStatement({
        sid: 'WriteOwnLogs',
        actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        resources: [logGroup.logGroupArn],
      }),
      vpcNetworkInterfacesStatement({ vpcFunction: true, kafkaPollers: false }),
      ...access.clusterDiscovery(),
      ...access.manageTopics(topicNames, removalPolicy !== 'retain'),
    ]);

    // The provisioner builds its client with lib/kafka/kafka-client.ts, like the enrichment function; admin
    // requests (CreateTopics waiting for leaders) get longer timeouts than the producer's.
    const environment: Record<string, string> = {
      ...kafkaClientEnvironment(conn),
      KAFKA_CLIENT_ID: 'mw-page-content-change-enrich-topic-provisioner',
      KAFKA_CONNECTION_TIMEOUT_MS: '10000',
      KAFKA_REQUEST_TIMEOUT_MS: '30000',
      KAFKA_LOG_LEVEL: 'WARN',
    };

    this.onEventFunction = createNodeFunction(this, 'OnEvent', {
      entry: props.entry ?? TOPIC_PROVISIONER_ENTRY,
      code: props.code,
      description: 'Creates the pipeline Kafka topics if missing (custom resource onEvent)',
      memorySize: 256,
      timeout: Duration.minutes(5),
      environment,
      role: role.withoutPolicyUpdates(),
      logGroup,
      vpc: props.vpc,
      vpcSubnets: props.vpcSubnets,
      securityGroups: props.securityGroups,
      allowPublicSubnet: false,
    });

    const provider = new cr.Provider(this, 'Provider', {
      onEventHandler: this.onEventFunction,
      logGroup: new logs.LogGroup(this, 'ProviderLogGroup', {
        retention: props.logRetention ?? logs.RetentionDays.ONE_MONTH,
        removalPolicy: RemovalPolicy.DESTROY,
      }),
    });
    const onEventLogicalId = Stack.of(this).getLogicalId(this.onEventFunction.node.defaultChild as lambda.CfnFunction);
    acknowledge(
      provider,
      {
        id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
        reason:
          'CDK Provider framework role: AWSLambdaBasicExecutionRole only lets the framework function write its own logs.',
      },
      {
        id: `AwsSolutions-IAM5[Resource::<${onEventLogicalId}.Arn>:*]`,
        reason:
          'CDK Provider framework grants lambda:InvokeFunction on the onEvent function and its versions (<arn>:*), nothing else.',
      },
    );

    const baseConfigs: Record<string, string> = {};
    if (props.retentionMs !== undefined) baseConfigs['retention.ms'] = String(props.retentionMs);
    if (props.maxMessageBytes !== undefined) baseConfigs['max.message.bytes'] = String(props.maxMessageBytes);

    for (const topic of props.topics) {
      if (this.topics[topic.topicName]) continue;
      const resource = new CustomResource(this, `Topic-${topic.topicName}`, {
        serviceToken: provider.serviceToken,
        resourceType: 'Custom::KafkaTopic',
        properties: {
          TopicName: topic.topicName,
          NumPartitions: topic.partitions ?? props.partitions ?? 3,
          ReplicationFactor: props.replicationFactor ?? 3,
          Configs: { ...baseConfigs, ...topic.configs },
          RemovalPolicy: removalPolicy,
        },
        removalPolicy: removalPolicy === 'retain' ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
      });
      this.topics[topic.topicName] = resource;
    }
  }
}
