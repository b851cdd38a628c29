/**
 * The redrive as a Lambda function the operator invokes (console or `aws lambda invoke`) with the
 * options of `npm run redrive` as JSON, e.g. `{"from": "error", "dryRun": true}` or
 * `{"from": "on-failure", "errorTypes": ["RetriesExhausted"], "max": 5000}`. Returns the summary.
 *
 * Thin: validation and the Kafka loop are lib/redrive/ (request.ts, kafka-loop.ts), shared with the CLI. Each invocation
 * stops before its timeout with what it produced committed (`stoppedBy: "deadline"`); invoking it
 * again resumes from the consumer group's position.
 *
 * Settings (read once per container through lib/settings/catalogue.ts; the redrive table of docs/configuration.md): the Kafka
 * connection settings, KAFKA_TOPIC_PREFIX, INPUT_TOPIC, ERROR_TOPIC, ON_FAILURE_TOPIC, REDRIVE_GROUP_PREFIX.
 */
import type { Logger } from '@aws-lambda-powertools/logger';
import type { Context } from 'aws-lambda';
import type { Kafka } from 'kafkajs';
import { createKafka, kafkaConnectionConfigFromEnv } from '../../lib/kafka/kafka-client.js';
import { loggerFrom } from '../../lib/observability/powertools.js';
import { runRedrive } from '../../lib/redrive/kafka-loop.js';
import { parseRedriveRequest, redriveGroupIdFor, redriveTopicsFrom } from '../../lib/redrive/request.js';
import type { RedriveSummary } from '../../lib/redrive/tally.js';
import { readSettings, type SettingValues } from '../../lib/settings/catalogue.js';

/**
 * Time kept before the invocation's deadline (`context.getRemainingTimeInMillis()`, "Using the Lambda
 * context object to retrieve Node.js function information") to commit, disconnect and return the summary.
 */
const DEADLINE_MARGIN_MS = 15_000;

interface Container {
  readonly settings: SettingValues;
  readonly logger: Logger;
  kafka?: Promise<Kafka>;
}
let container: Container | undefined;

export async function handler(event: unknown, context: Context): Promise<RedriveSummary> {
  // A bad request is an error for the invoker to read, before anything connects.
  const request = parseRedriveRequest(event);
  if (!container) {
    const settings = readSettings(process.env);
    container = { settings, logger: loggerFrom(settings) };
  }
  const { settings, logger } = container;
  const c = container;
  const topics = redriveTopicsFrom(settings);
  c.kafka ??= createKafka(kafkaConnectionConfigFromEnv(process.env, settings));
  c.kafka.catch(() => (c.kafka = undefined));
  const summary = await runRedrive({
    ...request,
    kafka: await c.kafka,
    groupId: redriveGroupIdFor(request, topics.groupPrefix, true),
    sourceTopic: request.from === 'error' ? topics.error : topics.onFailure,
    inputTopic: topics.input,
    stopAt: Date.now() + context.getRemainingTimeInMillis() - DEADLINE_MARGIN_MS,
    log: (line) => logger.info(line),
  });
  logger.info('redrive finished', { summary });
  return summary;
}
