import { Duration, Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cwActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import { Construct } from 'constructs';
import { SETTINGS } from '../../lib/settings/catalogue.js';

/** CloudWatch namespace of the handler's embedded-metric-format (EMF) metrics: the catalogue's default. */
export const HANDLER_METRICS_NAMESPACE = SETTINGS.POWERTOOLS_METRICS_NAMESPACE.default;

/** Properties of {@link Operations}. */
export interface OperationsProps {
  /** The enrichment function. */
  readonly function: lambda.IFunction;
  /** UUID of the Kafka event source mapping (the `EventSourceMappingUUID` dimension). */
  readonly eventSourceMappingId: string;
  /** Value of the `service` dimension of the handler's EMF metrics (`POWERTOOLS_SERVICE_NAME`). */
  readonly serviceName: string;
  /**
   * Namespace of the handler's EMF metrics (`POWERTOOLS_METRICS_NAMESPACE`).
   * @default 'MwPageContentChangeEnrich'
   */
  readonly metricsNamespace?: string;
  /**
   * Existing SNS topic for alarm (and OK) actions.
   * @default - `createAlarmTopic` decides
   */
  readonly alarmTopic?: sns.ITopic;
  /**
   * Create a KMS-encrypted, TLS-only SNS topic for alarm actions when `alarmTopic` is not given.
   * @default false
   */
  readonly createAlarmTopic?: boolean;
  /**
   * E-mail subscribed to the created topic.
   * @default - none
   */
  readonly alarmEmail?: string;
  /**
   * Alarm period.
   * @default Duration.minutes(5)
   */
  readonly period?: Duration;
  /**
   * Evaluation periods of every alarm.
   * @default 3
   */
  readonly evaluationPeriods?: number;
  /**
   * Function errors per period (>=).
   * @default 1
   */
  readonly functionErrorsThreshold?: number;
  /**
   * Throttles per period (>=).
   * @default 1
   */
  readonly throttlesThreshold?: number;
  /**
   * Offset lag in records (>).
   * @default 10000
   */
  readonly offsetLagThreshold?: number;
  /**
   * Percentage of events written to the error topic (>).
   * @default 5
   */
  readonly errorEventRatePercentThreshold?: number;
  /**
   * Create a dashboard.
   * @default true
   */
  readonly dashboard?: boolean;
  /**
   * Dashboard name.
   * @default - generated
   */
  readonly dashboardName?: string;
}

/**
 * Alarms and dashboard of the pipeline: function errors and throttles, consumer offset lag of the
 * event source mapping, and the share of events the handler sends to the error topic (from its own
 * EMF metrics `EnrichedEvents` / `ErrorEvents`, dimension `service`).
 */
export class Operations extends Construct {
  /** Alarm action topic, if any. */
  public readonly alarmTopic?: sns.ITopic;
  public readonly errorsAlarm: cloudwatch.Alarm;
  public readonly throttlesAlarm: cloudwatch.Alarm;
  public readonly offsetLagAlarm: cloudwatch.Alarm;
  public readonly errorEventRateAlarm: cloudwatch.Alarm;
  public readonly dashboard?: cloudwatch.Dashboard;

  constructor(scope: Construct, id: string, props: OperationsProps) {
    super(scope, id);
    const period = props.period ?? Duration.minutes(5);
    const evaluationPeriods = props.evaluationPeriods ?? 3;
    const fn = props.function;
    const namespace = props.metricsNamespace ?? HANDLER_METRICS_NAMESPACE;

    this.alarmTopic = props.alarmTopic ?? (props.createAlarmTopic ? this.createTopic(props.alarmEmail) : undefined);

    const errors = fn.metricErrors({ period, statistic: cloudwatch.Stats.SUM });
    const invocations = fn.metricInvocations({ period, statistic: cloudwatch.Stats.SUM });
    const throttles = fn.metricThrottles({ period, statistic: cloudwatch.Stats.SUM });
    const duration = fn.metricDuration({ period, statistic: cloudwatch.Stats.p(99) });
    const concurrency = fn.metric('ConcurrentExecutions', { period, statistic: cloudwatch.Stats.MAXIMUM });

    // OffsetLag (AWS/Lambda) is published for Kafka event source mappings. Both dimension sets in use
    // ({FunctionName} and {FunctionName, EventSourceMappingUUID}) are combined with MAX so the alarm
    // works whichever one the account receives.
    const lagByMapping = new cloudwatch.Metric({
      namespace: 'AWS/Lambda',
      metricName: 'OffsetLag',
      dimensionsMap: { FunctionName: fn.functionName, EventSourceMappingUUID: props.eventSourceMappingId },
      statistic: cloudwatch.Stats.MAXIMUM,
      period,
    });
    const lagByFunction = new cloudwatch.Metric({
      namespace: 'AWS/Lambda',
      metricName: 'OffsetLag',
      dimensionsMap: { FunctionName: fn.functionName },
      statistic: cloudwatch.Stats.MAXIMUM,
      period,
    });
    const offsetLag = new cloudwatch.MathExpression({
      expression: 'MAX([lagMapping, lagFunction])',
      usingMetrics: { lagMapping: lagByMapping, lagFunction: lagByFunction },
      label: 'OffsetLag',
      period,
    });

    const emf = (metricName: string): cloudwatch.Metric =>
      new cloudwatch.Metric({
        namespace,
        metricName,
        dimensionsMap: { service: props.serviceName },
        statistic: cloudwatch.Stats.SUM,
        period,
      });
    const enrichedEvents = emf('EnrichedEvents');
    const errorEvents = emf('ErrorEvents');
    const errorRate = new cloudwatch.MathExpression({
      expression: 'IF((errorEvents + enrichedEvents) > 0, 100 * errorEvents / (errorEvents + enrichedEvents), 0)',
      usingMetrics: { errorEvents, enrichedEvents },
      label: 'Error events (%)',
      period,
    });

    // Every alarm shares the evaluation window and treats missing data (no traffic) as healthy.
    const alarm = (
      metric: cloudwatch.Metric | cloudwatch.MathExpression,
      id: string,
      alarmDescription: string,
      threshold: number,
      atThreshold: boolean,
    ) =>
      metric.createAlarm(this, id, {
        alarmDescription,
        threshold,
        evaluationPeriods,
        comparisonOperator: atThreshold
          ? cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD
          : cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      });
    this.errorsAlarm = alarm(
      errors,
      'FunctionErrors',
      'The enrichment function failed invocations (batches are retried/bisected, then sent to the on-failure destination).',
      props.functionErrorsThreshold ?? 1,
      true,
    );
    this.throttlesAlarm = alarm(
      throttles,
      'Throttles',
      'The enrichment function is throttled (reserved or account concurrency exhausted).',
      props.throttlesThreshold ?? 1,
      true,
    );
    this.offsetLagAlarm = alarm(
      offsetLag,
      'OffsetLag',
      'The consumer group of the Kafka event source mapping is falling behind the input topic.',
      props.offsetLagThreshold ?? 10_000,
      false,
    );
    this.errorEventRateAlarm = alarm(
      errorRate,
      'ErrorEventRate',
      'Too many page_change events end up on the error topic instead of the output topic.',
      props.errorEventRatePercentThreshold ?? 5,
      false,
    );

    const alarms = [this.errorsAlarm, this.throttlesAlarm, this.offsetLagAlarm, this.errorEventRateAlarm];
    if (this.alarmTopic) {
      const action = new cwActions.SnsAction(this.alarmTopic);
      for (const alarm of alarms) {
        alarm.addAlarmAction(action);
        alarm.addOkAction(action);
      }
    }

    if (props.dashboard ?? true) {
      this.dashboard = new cloudwatch.Dashboard(this, 'Dashboard', {
        dashboardName: props.dashboardName,
        defaultInterval: Duration.hours(6),
        widgets: [
          [new cloudwatch.AlarmStatusWidget({ title: 'Alarms', alarms, width: 24, height: 3 })],
          [
            new cloudwatch.GraphWidget({
              title: 'Invocations / errors / throttles',
              left: [invocations, errors, throttles],
              width: 8,
            }),
            new cloudwatch.GraphWidget({ title: 'Duration p99 (ms)', left: [duration], width: 8 }),
            new cloudwatch.GraphWidget({ title: 'Concurrent executions', left: [concurrency], width: 8 }),
          ],
          [
            new cloudwatch.GraphWidget({
              title: 'Consumer offset lag',
              left: [offsetLag],
              leftAnnotations: [{ value: props.offsetLagThreshold ?? 10_000, label: 'alarm' }],
              width: 8,
            }),
            new cloudwatch.GraphWidget({
              title: 'Enriched vs error events',
              left: [enrichedEvents, errorEvents],
              width: 8,
            }),
            new cloudwatch.GraphWidget({
              title: 'Error events (%)',
              left: [errorRate],
              leftAnnotations: [{ value: props.errorEventRatePercentThreshold ?? 5, label: 'alarm' }],
              width: 8,
            }),
          ],
        ],
      });
    }
  }

  private createTopic(email?: string): sns.Topic {
    const key = new kms.Key(this, 'AlarmTopicKey', {
      description: 'Encrypts the alarm SNS topic of the page-content-change enrichment pipeline',
      enableKeyRotation: true,
    });
    // CloudWatch alarms publish to the encrypted topic.
    key.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'AllowCloudWatchAlarms',
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        resources: ['*'], // in a key policy '*' means this key
        conditions: { StringEquals: { 'aws:SourceAccount': Stack.of(this).account } },
      }),
    );
    const topic = new sns.Topic(this, 'AlarmTopic', {
      masterKey: key,
      enforceSSL: true,
      displayName: 'mw-page-content-change-enrich alarms',
    });
    if (email) topic.addSubscription(new subscriptions.EmailSubscription(email));
    return topic;
  }
}
