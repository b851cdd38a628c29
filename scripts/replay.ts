/**
 * `npm run replay -- FILE [--topic T] [--partitions-from-key]`: produces page_change JSON
 * lines to the input topic, keyed by {"wiki_id", "page_id"} as Wikimedia keys them (like
 * `kcat -P` in the seed's local-debugging story). Lines that are not JSON are sent as is.
 *
 * Env: KAFKA_BROKERS (default 127.0.0.1:9092), KAFKA_TOPIC_PREFIX, INPUT_TOPIC.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { CompressionTypes } from 'kafkajs';

process.env.KAFKA_BROKERS ??= '127.0.0.1:9092';
const { createKafka, kafkaConnectionConfigFromEnv, prefixedTopic } = await import('../lib/kafka-client.js');
const { messageKeyForText } = await import('../lib/enrich.js');

const { values, positionals } = parseArgs({ allowPositionals: true, options: { topic: { type: 'string' } } });
const file = positionals[0];
if (!file) {
  console.error('usage: npm run replay -- FILE.jsonl [--topic TOPIC]');
  process.exit(2);
}
const topic = prefixedTopic(values.topic ?? process.env.INPUT_TOPIC ?? 'mediawiki.page_change.v1');
const lines = readFileSync(file, 'utf8').split('\n').filter((l) => l.trim().length > 0);


const producer = (await createKafka(kafkaConnectionConfigFromEnv())).producer({ idempotent: true, maxInFlightRequests: 1 });
await producer.connect();
const CHUNK = 500;
for (let i = 0; i < lines.length; i += CHUNK) {
  const chunk = lines.slice(i, i + CHUNK);
  await producer.send({ topic, acks: -1, compression: CompressionTypes.GZIP, messages: chunk.map((value) => ({ key: messageKeyForText(value), value })) });
  console.error(`[replay] ${Math.min(i + CHUNK, lines.length)}/${lines.length} → ${topic}`);
}
await producer.disconnect();
console.log(JSON.stringify({ topic, produced: lines.length }));
