/**
 * The event source mapping's failure handling in an environment: provisioned-mode controls and the on-failure
 * destination. Part of `InfraConfig` (infra/config/config.ts), resolved and checked here.
 */
import type { ConfigProblems } from './config-error.ts';

export type StartingPositionName = 'LATEST' | 'TRIM_HORIZON' | 'AT_TIMESTAMP';
export type OnFailureDestinationType = 'kafka' | 'sqs' | 's3' | 'none';

/** The keys this module reads. */
export interface FailureHandlingInput {
  readonly provisionedPollers: boolean;
  readonly retryAttempts?: number;
  readonly maxRecordAgeSeconds?: number;
  readonly bisectBatchOnError?: boolean;
  readonly onFailureDestination?: OnFailureDestinationType;
  readonly onFailureTopic: string;
  readonly inputTopic: string;
  readonly onFailureQueueArn?: string;
  readonly onFailureBucketArn?: string;
  readonly onFailureVpcEndpoint: 'create' | 'existing';
  readonly vpcId?: string;
  readonly kafkaClusterType: string;
  readonly brokerSecurityGroupId?: string;
}

/** The failure handling of the mapping, defaulted. */
export interface FailureHandling {
  readonly retryAttempts?: number;
  readonly maxRecordAgeSeconds?: number;
  readonly bisectBatchOnError?: boolean;
  readonly onFailureDestination: OnFailureDestinationType;
}

/** Defaults and checks the failure handling; `given` holds the keys the environment set itself. */
export function resolveFailureHandling(
  c: FailureHandlingInput,
  given: Partial<FailureHandlingInput>,
  problems: ConfigProblems,
): FailureHandling {
  let failureHandling: Omit<FailureHandling, 'onFailureDestination'> = {};
  let onFailureDestination: OnFailureDestinationType = c.onFailureDestination ?? 'kafka';
  if (c.provisionedPollers) {
    failureHandling = {
      retryAttempts: c.retryAttempts ?? 3,
      maxRecordAgeSeconds: c.maxRecordAgeSeconds ?? -1,
      bisectBatchOnError: c.bisectBatchOnError ?? true,
    };
  } else {
    // AWS, "Apache Kafka event poller scaling modes in Lambda": these are provisioned-mode controls, which
    // CreateEventSourceMapping rejects in on-demand mode.
    const provisionedOnly = ['retryAttempts', 'maxRecordAgeSeconds', 'bisectBatchOnError'] as const;
    const set: string[] = provisionedOnly.filter((k) => given[k] !== undefined);
    const destination = given.onFailureDestination;
    if (destination !== undefined && destination !== 'none') set.push('onFailureDestination');
    if (set.length > 0) {
      problems.add(
        `${set.join(', ')} need provisionedPollers: AWS offers retries, maximum record age, bisect, partial batch ` +
          'responses and on-failure destinations for Kafka event sources only in provisioned mode',
      );
    }
    onFailureDestination = 'none';
  }
  const destinations: readonly OnFailureDestinationType[] = ['kafka', 'sqs', 's3', 'none'];
  if (!destinations.includes(onFailureDestination)) {
    problems.add(`onFailureDestination must be ${destinations.join('|')}, got '${onFailureDestination}'`);
  }
  // AWS, "Using a Kafka topic as an on-failure destination": Lambda refuses a destination topic that is the source.
  if (onFailureDestination === 'kafka' && c.onFailureTopic === c.inputTopic) {
    problems.add('onFailureTopic must differ from inputTopic: Lambda refuses an on-failure topic that is the source');
  }
  if (c.onFailureQueueArn && onFailureDestination !== 'sqs') {
    problems.add("onFailureQueueArn requires onFailureDestination 'sqs'");
  }
  if (c.onFailureBucketArn && onFailureDestination !== 's3') {
    problems.add("onFailureBucketArn requires onFailureDestination 's3'");
  }
  if (c.onFailureVpcEndpoint !== 'create' && c.onFailureVpcEndpoint !== 'existing') {
    problems.add(`onFailureVpcEndpoint must be create|existing, got '${c.onFailureVpcEndpoint}'`);
  }
  const endpointNeeded = (onFailureDestination === 'sqs' || onFailureDestination === 's3') && c.vpcId;
  const pollersGroupUnknown = c.kafkaClusterType === 'msk' && !c.brokerSecurityGroupId;
  if (endpointNeeded && c.onFailureVpcEndpoint === 'create' && pollersGroupUnknown) {
    problems.add(
      `onFailureDestination '${onFailureDestination}' with onFailureVpcEndpoint 'create' needs brokerSecurityGroupId ` +
        "(the pollers' security group the endpoint admits), or onFailureVpcEndpoint 'existing'",
    );
  }
  return { ...failureHandling, onFailureDestination };
}
