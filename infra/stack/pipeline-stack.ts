import { Duration, Stack, Tags, type StackProps } from 'aws-cdk-lib';
import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as logs from 'aws-cdk-lib/aws-logs';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import * as sns from 'aws-cdk-lib/aws-sns';
import type { Construct } from 'constructs';
import type { ResolvedPipelineConfig } from '../config/config.ts';
import { EnrichFunction } from '../constructs/enrich-function.ts';
import { KafkaEventSource } from '../constructs/kafka-event-source.ts';
import { KafkaTopics } from '../constructs/kafka-topics.ts';
import { acknowledge } from '../constructs/nag.ts';
import { Operations } from '../constructs/operations.ts';
import { EventStreamsIngest } from '../constructs/eventstreams-ingest.ts';
import { RedriveFunction } from '../constructs/redrive-function.ts';
import { functionEnvironment, kafkaConnection, redriveEnvironment } from './function-environment.ts';
import { clusterNetwork } from './network.ts';
import { OnFailureDestination, pageChangeSourceProps } from './page-change-source.ts';
import { ingestEnvironment, ingestStatements } from './ingest.ts';
import { pipelineOutputs } from './outputs.ts';
import { enrichStatements, redriveStatements } from './permissions.ts';
import { pipelineTopics } from './topics.ts';

export { functionEnvironment, kafkaConnection } from './function-environment.ts';

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
   * Pre-built code of the topic provisioner instead of bundling `functions/topic-provisioner/handler.ts`.
   * @default - bundled
   */
  readonly topicProvisionerCode?: lambda.Code;
  /**
   * Pre-built code of the redrive function (with `redriveFunction: true`) instead of bundling
   * `functions/redrive/handler.ts`.
   * @default - bundled
   */
  readonly redriveFunctionCode?: lambda.Code;
  /** Pre-built code of the ingest function (with `ingest`) instead of bundling `functions/eventstreams-ingest/handler.ts`. */
  readonly ingestFunctionCode?: lambda.Code;
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
  /** The EventStreams ingest, with `ingest`. */
  public readonly ingest?: EventStreamsIngest;

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

    const topics = pipelineTopics(config);
    const network = clusterNetwork(this, config);
    this.securityGroup = network.securityGroup;
    const functionNetwork = {
      vpc: network.vpc,
      vpcSubnets: network.vpcSubnets,
      securityGroups: network.securityGroup ? [network.securityGroup] : undefined,
    };
    const logRetention = config.logRetentionDays as logs.RetentionDays;

    // The enrichment function and what triggers it.
    const enrichEnvironment = functionEnvironment(config);
    this.enrichFunction = new EnrichFunction(this, 'EnrichFunction', {
      entry: props.enrichFunctionEntry,
      code: props.enrichFunctionCode,
      environment: enrichEnvironment,
      functionName: config.functionName,
      memorySize: config.memorySize,
      timeout: Duration.seconds(config.timeoutSeconds),
      reservedConcurrentExecutions: config.reservedConcurrency,
      applicationLogLevel: lambda.ApplicationLogLevel[config.settings.LOG_LEVEL],
      logRetention,
      ...functionNetwork,
    });
    // `Default`: CDK leaves it out of logical ids, so the destination's resources keep theirs.
    const onFailure = new OnFailureDestination(this, 'Default', { config, network, topics });
    this.eventSource = new KafkaEventSource(
      this,
      'PageChangeSource',
      pageChangeSourceProps(this, config, {
        target: this.enrichFunction.function,
        network,
        topics,
        onFailure: onFailure.dlq,
      }),
    );

    // What the function and its event source mapping may do.
    this.enrichFunction.addToRolePolicy(
      ...enrichStatements(config, {
        topics,
        consumerGroupId: this.eventSource.consumerGroupId,
        destinationStatements: onFailure.statements,
        inVpc: network.vpc !== undefined,
      }),
    );
    if (onFailure.createdBucket) this.acknowledgeBucketObjects(onFailure.createdBucket);

    // The topics it writes, when the stack provisions them.
    if (config.provisionTopics) {
      this.topics = new KafkaTopics(this, 'Topics', {
        region: config.region,
        code: props.topicProvisionerCode,
        topics: [topics.output, topics.error, ...(topics.onFailure ? [topics.onFailure] : [])].map((topicName) => ({
          topicName,
        })),
        connection: kafkaConnection(config),
        partitions: config.topicPartitions,
        replicationFactor: config.topicReplicationFactor,
        retentionMs: config.topicRetentionMs,
        maxMessageBytes: config.topicMaxMessageBytes,
        removalPolicy: config.topicRemovalPolicy,
        vpc: network.vpc!,
        vpcSubnets: network.vpcSubnets,
        securityGroups: [network.securityGroup!],
        logRetention,
      });
      // Topics exist before the mapping starts failing batches over to them.
      this.eventSource.eventSourceMapping.node.addDependency(this.topics);
    }

    // How it is watched.
    this.operations = new Operations(this, 'Operations', {
      function: this.enrichFunction.function,
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
    pipelineOutputs(this, config);

    // How an operator puts failed events back (optional).
    if (config.redriveFunction) {
      this.redriveFunction = new RedriveFunction(this, 'RedriveFunction', {
        code: props.redriveFunctionCode,
        environment: redriveEnvironment(config, enrichEnvironment),
        logRetention,
        ...functionNetwork,
      });
      this.redriveFunction.addToRolePolicy(...redriveStatements(config, topics, network.vpc !== undefined));
    }

    // Wikimedia's public EventStreams into the input topic (optional, docs/ingest.md).
    if (config.ingest) {
      const environment = ingestEnvironment(config, config.ingest, enrichEnvironment);
      this.ingest = new EventStreamsIngest(this, 'EventStreamsIngest', {
        code: props.ingestFunctionCode,
        environment,
        serviceName: environment.POWERTOOLS_SERVICE_NAME!,
        metricsNamespace: environment.POWERTOOLS_METRICS_NAMESPACE!,
        lagAlarmThreshold: config.ingest.lagAlarmSeconds ? Duration.seconds(config.ingest.lagAlarmSeconds) : undefined,
        alarmTopic: this.operations.alarmTopic,
        logRetention,
        ...functionNetwork,
      });
      this.ingest.ingestFunction.addToRolePolicy(...ingestStatements(config, topics, network.vpc !== undefined));
    }
  }

  /** The on-failure bucket's object ARN ends in `/*`: Lambda chooses the keys. */
  private acknowledgeBucketObjects(bucket: s3.Bucket): void {
    acknowledge(this.enrichFunction.role, {
      id: `AwsSolutions-IAM5[Resource::<${this.getLogicalId(bucket.node.defaultChild as s3.CfnBucket)}.Arn>/*]`,
      reason: 'Objects of the on-failure bucket only: the object keys are chosen by Lambda.',
    });
  }
}
