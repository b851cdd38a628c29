/**
 * The EventStreams ingest as a scheduled Lambda function (functions/eventstreams-ingest, docs/ingest.md).
 *
 * Why a schedule and not an ECS Fargate service (docs/ingest.md, "AWS shape"): at 19 events/s both are a few
 * dollars a month; the function needs no container image, no cluster and no Docker at deploy, and shares the
 * stack's bundling, logging and IAM patterns. Each run reads until shortly before its 15-minute timeout (AWS,
 * "Configure Lambda function timeout", https://docs.aws.amazon.com/lambda/latest/dg/configuration-timeout.html)
 * and the next scheduled run resumes from the input topic: no event is lost between runs, only delayed. Runs
 * that overlap are safe (the newer one fences the older, see lib/ingest/transactional-writer.ts), so no reserved
 * concurrency is needed; a run uses one concurrent execution of the account's quota (AWS, "Lambda quotas": new
 * accounts have reduced concurrency).
 */
import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cwActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import type * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { join } from 'node:path';
import { PROJECT_ROOT } from './function-bundle.ts';
import { OwnedFunction, type OwnedFunctionOptions } from './owned-function.ts';

/** Default handler entry of the ingest function. */
export const DEFAULT_INGEST_ENTRY = join(PROJECT_ROOT, 'functions', 'eventstreams-ingest', 'handler.ts');

/** Properties of {@link EventStreamsIngest}. */
export interface EventStreamsIngestProps extends OwnedFunctionOptions {
  /** Powertools service name of the function: the `service` dimension of its metrics. */
  readonly serviceName: string;
  /** CloudWatch namespace of its EMF metrics (`POWERTOOLS_METRICS_NAMESPACE`). */
  readonly metricsNamespace: string;
  /**
   * How often a run starts; each reads until shortly before `timeout`.
   * @default Duration.minutes(15)
   */
  readonly every?: Duration;
  /**
   * Lag alarm: now minus the last written `meta.dt` (`IngestLagSeconds`, maximum per period) above this.
   * @default Duration.minutes(30)
   */
  readonly lagAlarmThreshold?: Duration;
  /**
   * Where the alarms notify.
   * @default - no action
   */
  readonly alarmTopic?: sns.ITopic;
}

export class EventStreamsIngest extends Construct {
  public readonly ingestFunction: OwnedFunction;
  public readonly schedule: events.Rule;
  /** Any failed run (a position older than the stream's history, a broker that cannot be reached). */
  public readonly errorsAlarm: cloudwatch.Alarm;
  /** The input topic falls behind the stream. */
  public readonly lagAlarm: cloudwatch.Alarm;

  constructor(scope: Construct, id: string, props: EventStreamsIngestProps) {
    super(scope, id);
    const { serviceName, metricsNamespace, every, lagAlarmThreshold, alarmTopic, ...functionOptions } = props;
    this.ingestFunction = new OwnedFunction(this, 'Function', {
      ...functionOptions,
      entry: props.entry ?? DEFAULT_INGEST_ENTRY,
      description: "EventStreams ingest: Wikimedia's public page_change stream into the input topic, each event once",
      roleDescription: 'Execution role of the EventStreams ingest (explicit, least-privilege policies)',
      memorySize: props.memorySize ?? 512,
      timeout: props.timeout ?? Duration.minutes(15),
    });
    // EventBridge invokes the function asynchronously on a schedule ("Creating a rule that runs on a schedule",
    // https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-create-rule-schedule.html). No retry: the next
    // run resumes anyway, and a retried run would only fence the one that follows it.
    this.schedule = new events.Rule(this, 'Schedule', {
      description: 'Starts an EventStreams ingest run',
      schedule: events.Schedule.rate(every ?? Duration.minutes(15)),
      targets: [new targets.LambdaFunction(this.ingestFunction.function, { retryAttempts: 0 })],
    });

    const period = Duration.minutes(5);
    this.errorsAlarm = this.ingestFunction.function
      .metricErrors({ period, statistic: cloudwatch.Stats.SUM })
      .createAlarm(this, 'Errors', {
        alarmDescription:
          'An EventStreams ingest run failed (see its log: a position older than the stream history stops it).',
        threshold: 1,
        evaluationPeriods: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      });
    const lag = new cloudwatch.Metric({
      namespace: metricsNamespace,
      metricName: 'IngestLagSeconds',
      dimensionsMap: { service: serviceName },
      statistic: cloudwatch.Stats.MAXIMUM,
      period,
    });
    this.lagAlarm = lag.createAlarm(this, 'Lag', {
      alarmDescription: 'The input topic is behind EventStreams: now minus the last written meta.dt.',
      threshold: (lagAlarmThreshold ?? Duration.minutes(30)).toSeconds(),
      evaluationPeriods: 3,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      // No data for three periods means no run wrote anything: as bad as lagging.
      treatMissingData: cloudwatch.TreatMissingData.BREACHING,
    });
    if (alarmTopic) {
      const action = new cwActions.SnsAction(alarmTopic);
      for (const alarm of [this.errorsAlarm, this.lagAlarm]) alarm.addAlarmAction(action);
    }
  }
}
