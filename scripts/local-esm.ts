/**
 * `npm run local:esm`: the local event source mapping. Consumes the input topic and
 * invokes the real handler (which produces to the output and error topics), with the
 * retry and on-failure contract of the AWS event source mapping. Ctrl-C stops it.
 *
 * Env: KAFKA_BROKERS (default 127.0.0.1:9092), INPUT_TOPIC (default mediawiki.page_change.v1),
 * KAFKA_TOPIC_PREFIX, ESM_GROUP_ID, ESM_BATCH_SIZE (100), ESM_BATCHING_WINDOW_MS (500),
 * ESM_MAX_RETRY_ATTEMPTS (3), ON_FAILURE_TOPIC (mw_page_content_change_enrich.on_failure;
 * "none" to retry forever), ESM_TIMEOUT_MS (60000), plus the handler's own configuration.
 */
process.env.KAFKA_BROKERS ??= '127.0.0.1:9092';
process.env.POWERTOOLS_DEV ??= 'true';
process.env.POWERTOOLS_METRICS_DISABLED ??= 'true';

const { createKafka, kafkaConnectionConfigFromEnv, prefixedTopic } = await import('../lib/kafka-client.js');
const { intFrom, stringFrom } = await import('../lib/config.js');
const { startLocalEsm } = await import('../lib/local-esm.js');
const { handler } = await import('../functions/page-content-change-enrich/handler.js');

const env = process.env;
const onFailure = stringFrom(env, 'ON_FAILURE_TOPIC', 'mw_page_content_change_enrich.on_failure');
const topic = prefixedTopic(stringFrom(env, 'INPUT_TOPIC', 'mediawiki.page_change.v1'));
const kafka = await createKafka(kafkaConnectionConfigFromEnv(env));
const esm = await startLocalEsm(handler as never, {
  kafka,
  topic,
  groupId: stringFrom(env, 'ESM_GROUP_ID', 'mw-page-content-change-enrich'),
  batchSize: intFrom(env, 'ESM_BATCH_SIZE', 100, 1),
  batchingWindowMs: intFrom(env, 'ESM_BATCHING_WINDOW_MS', 500),
  maxRetryAttempts: intFrom(env, 'ESM_MAX_RETRY_ATTEMPTS', 3),
  onFailureTopic: onFailure === 'none' ? undefined : prefixedTopic(onFailure),
  invocationTimeoutMs: intFrom(env, 'ESM_TIMEOUT_MS', 60_000, 1000),
  log: (m) => console.error(`[local-esm] ${m}`),
});
console.error(`[local-esm] consuming ${topic} from ${env.KAFKA_BROKERS}; Ctrl-C to stop`);
const progress = setInterval(() => {
  const s = esm.stats;
  console.error(`[local-esm] invocations=${s.invocations} records=${s.records} redeliveries=${s.redeliveries} on_failure=${s.sentToOnFailure}`);
}, 5000);
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, async () => {
    clearInterval(progress);
    await esm.stop();
    process.exit(0);
  });
}
