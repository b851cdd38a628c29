/**
 * `npm run replay -- FILE [--topic T] [--compression gzip|snappy|lz4|zstd|none]`: produces
 * page_change JSON lines to the input topic, keyed by {"wiki_id", "page_id"} as Wikimedia keys
 * them (what `kcat -P -K` does with keys you write yourself). Lines that are not JSON are sent as is.
 *
 * Env: KAFKA_BROKERS (default 127.0.0.1:${KAFKA_PORT:-9092}), KAFKA_TOPIC_PREFIX, INPUT_TOPIC. `--topic` names a topic as
 * INPUT_TOPIC does, without the prefix: KAFKA_TOPIC_PREFIX is prepended (lib/settings/topic-name.ts).
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

process.env.KAFKA_BROKERS ??= `127.0.0.1:${process.env.KAFKA_PORT ?? '9092'}`;
const { createKafka, kafkaConnectionConfigFromEnv } = await import('../lib/kafka/kafka-client.js');
const { prefixedTopic } = await import('../lib/settings/topic-name.js');
const { readSettings } = await import('../lib/settings/catalogue.js');
const { settingsOrExit } = await import('./lib/cli.js');
const { messageKeyForText } = await import('../lib/pipeline/enrich.js');
const { compressionTypeFor, isKafkaCompressionName, KAFKA_COMPRESSION_NAMES } = await import(
  '../lib/kafka/kafka-codecs.js'
);

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { topic: { type: 'string' }, compression: { type: 'string', default: 'gzip' } },
});
const file = positionals[0];
if (!file) {
  console.error(
    `usage: npm run replay -- FILE.jsonl [--topic TOPIC] [--compression ${KAFKA_COMPRESSION_NAMES.join('|')}]`,
  );
  process.exit(2);
}
const compressionName = values.compression ?? 'gzip';
if (!isKafkaCompressionName(compressionName)) {
  console.error(`--compression must be one of ${KAFKA_COMPRESSION_NAMES.join(', ')}; got ${compressionName}`);
  process.exit(2);
}
const compression = compressionTypeFor(compressionName);
const settings = settingsOrExit(() => readSettings(process.env));
const topic = prefixedTopic(settings.KAFKA_TOPIC_PREFIX, values.topic ?? settings.INPUT_TOPIC);
const lines = readFileSync(file, 'utf8')
  .split('\n')
  .filter((l) => l.trim().length > 0);

const producer = (await createKafka(kafkaConnectionConfigFromEnv(process.env, settings))).producer({
  idempotent: true,
  maxInFlightRequests: 1,
});
await producer.connect();
const CHUNK = 500;
for (let i = 0; i < lines.length; i += CHUNK) {
  const chunk = lines.slice(i, i + CHUNK);
  await producer.send({
    topic,
    acks: -1,
    compression,
    messages: chunk.map((value) => ({ key: messageKeyForText(value), value })),
  });
  console.error(`[replay] ${Math.min(i + CHUNK, lines.length)}/${lines.length} → ${topic}`);
}
await producer.disconnect();
console.log(JSON.stringify({ topic, produced: lines.length, compression: compressionName }));
