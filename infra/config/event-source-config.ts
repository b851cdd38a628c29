/**
 * The event source mapping's failure handling in an environment: provisioned-mode controls and the on-failure
 * destination. Part of `InfraConfig` (infra/config/config.ts), resolved and checked here.
 */
import type { ConfigProblems } from './config-error.ts';

export type StartingPositionName = 'LATEST' | 'TRIM_HORIZON' | 'AT_TIMESTAMP';
export type OnFailureDestinationType = 'kafka' | 'sqs' | 's3' | 'none';

/**
 * The event source mapping's controls that exist only in provisioned mode, each as a `KafkaEventSource` prop with
 * the configuration key that sets it (none: the stack sets it from `provisionedPollers`). AWS, "Apache Kafka event
 * poller scaling modes in Lambda", "Configuring error handling controls for Kafka event sources", "Capturing
 * discarded batches for Amazon MSK and self-managed Apache Kafka event sources": CreateEventSourceMapping rejects
 * them in on-demand mode. Both the configuration and the construct check against this one list.
 */
export const PROVISIONED_MODE_CONTROLS = {
  retryAttempts: 'retryAttempts',
  maxRecordAge: 'maxRecordAgeSeconds',
  bisectBatchOnError: 'bisectBatchOnError',
  reportBatchItemFailures: undefined,
  onFailure: 'onFailureDestination',
} as const;

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
    // PROVISIONED_MODE_CONTROLS: an on-failure destination 'none' is the on-demand mode's own.
    const set: string[] = Object.values(PROVISIONED_MODE_CONTROLS).filter(
      (k): k is Exclude<typeof k, undefined> =>
        k !== undefined && given[k] !== undefined && !(k === 'onFailureDestination' && given[k] === 'none'),
    );
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
