/** The environments of the stack's functions, built once from the resolved configuration. */
import { environmentReadBy } from '../../lib/settings/catalogue.js';
import type { ResolvedPipelineConfig } from '../config/config.ts';
import { kafkaClientEnvironment, type KafkaConnection } from '../constructs/kafka-connection.ts';
import { HANDLER_METRICS_NAMESPACE } from '../constructs/operations.ts';

/** How every Kafka client of the stack (function, topic provisioner, redrive) reaches the cluster. */
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
 * Environment of the enrichment function: the function settings the environment file gives (as resolveConfig
 * built and validated them, once; the others keep the runtime's defaults), and the settings the stack wires from
 * infrastructure facts (cluster, authentication, secrets, topics, Powertools names).
 */
export function functionEnvironment(config: ResolvedPipelineConfig): Record<string, string> {
  return {
    ...config.functionSettingsEnvironment,
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

/** Prefix of the redrive's consumer groups: `<consumerGroupId>.redrive.` (then `error` or `on-failure`). */
export function redriveGroupPrefix(config: Pick<ResolvedPipelineConfig, 'consumerGroupId'>): string {
  return `${config.consumerGroupId}.redrive.`;
}

/**
 * Environment of the redrive handler: what it reads of the enrichment function's environment (the settings whose
 * `readBy` names it in the catalogue: the Kafka connection, so both reach the cluster the same way, and logs) plus
 * its topics and group prefix.
 */
export function redriveEnvironment(
  config: ResolvedPipelineConfig,
  enrichEnvironment: Record<string, string>,
): Record<string, string> {
  const own: Record<string, string> = {
    KAFKA_CLIENT_ID: `${config.serviceName}-redrive`,
    // Unprefixed, like the enrichment function's; KAFKA_TOPIC_PREFIX is applied by the handler.
    INPUT_TOPIC: config.inputTopic,
    ERROR_TOPIC: config.errorTopic,
    ON_FAILURE_TOPIC: config.onFailureTopic,
    REDRIVE_GROUP_PREFIX: redriveGroupPrefix(config),
    POWERTOOLS_SERVICE_NAME: `${config.serviceName}-redrive`,
  };
  const shared = environmentReadBy('redrive', enrichEnvironment);
  for (const name of Object.keys(own)) delete shared[name];
  return { ...shared, ...own };
}
