/**
 * A page at MediaWiki's size limit goes through with the default settings: a 2 MB revision
 * full of characters JSON must escape is fetched from the real wiki, produced by the real
 * handler (its defaults: KAFKA_MAX_MESSAGE_BYTES, gzip) to topics created the way
 * `npm run kafka:start` creates them, and read back from the real broker byte for byte.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import kafkajs from 'kafkajs';
import {
  createHandler,
  dependenciesFromEnv,
  type HandlerDependencies,
} from '../../functions/page-content-change-enrich/handler.js';
import { readSettings } from '../../lib/settings/catalogue.js';
import { ensureTopics, topicConfigsFor } from '../../scripts/kafka/create-topics.js';
import { esmEventOf, pageChangeEvent } from '../../scripts/lib/page-change-events.js';
import { TEST_DOMAIN } from '../support/enrich-harness.js';
import { consumeAll, ensureKafka, kafkaClient, uniqueTopicName } from '../../scripts/kafka/broker.js';
import { createRevision, ensureMediaWiki, revisionContent, uniqueTitle } from '../support/mediawiki.js';
import { lambdaContext } from '../support/pipeline-harness.js';

const TWO_MB = 2_000_000;
let brokers: string[];
let apiUrl: string;
let deps: HandlerDependencies | undefined;
const topics = { output: uniqueTopicName('large.page_content_change'), error: uniqueTopicName('large.error') };

/**
 * Wikitext of ~`bytes` UTF-8 bytes, dense in what JSON escapes (quotes, backslashes, control
 * characters), non-ASCII and U+2028/9.
 */
function escapeHeavyWikitext(bytes: number): string {
  const unit = 'He said "a\\b" \\"quoted\\"\t<tab>\u0001\u001f\u007f ünïcödé 日本語 🌍 \u2028\u2029 {{"tpl"|x=\\n}}\n';
  const parts: string[] = [];
  let size = 0;
  for (let i = 0; size < bytes; i++) {
    const line = `${i} ${unit}`;
    parts.push(line);
    size += Buffer.byteLength(line, 'utf8');
  }
  return parts.join('');
}

before(async () => {
  [{ brokers }, { apiUrl }] = await Promise.all([ensureKafka(), ensureMediaWiki()]);
  const admin = kafkaClient(brokers).admin();
  await admin.connect();
  try {
    const specs = [
      { topic: topics.output, numPartitions: 3 },
      { topic: topics.error, numPartitions: 1 },
    ];
    await ensureTopics(admin, specs, topicConfigsFor({}), () => undefined);
  } finally {
    await admin.disconnect();
  }
});
after(async () => {
  await deps?.sink.send([]).catch(() => undefined);
  await (deps?.sink as { disconnect?: () => Promise<void> } | undefined)?.disconnect?.();
  await deps?.client.close();
});

test('kafka:start topics take what the function produces by default (max.message.bytes = 10 MiB)', async () => {
  assert.equal(readSettings({}).KAFKA_MAX_MESSAGE_BYTES, 10 * 1024 * 1024);
  const admin = kafkaClient(brokers).admin();
  await admin.connect();
  try {
    const { resources } = await admin.describeConfigs({
      includeSynonyms: false,
      resources: [{ type: kafkajs.ConfigResourceTypes.TOPIC, name: topics.output, configNames: ['max.message.bytes'] }],
    });
    assert.equal(resources[0]!.configEntries[0]!.configValue, '10485760');
  } finally {
    await admin.disconnect();
  }
});

test('a 2 MB revision full of characters JSON escapes: enriched on the output topic, byte for byte', async () => {
  const text = escapeHeavyWikitext(TWO_MB);
  const stored = await createRevision(uniqueTitle('Large'), text);
  const content = await revisionContent(stored.revId);
  assert.ok(Buffer.byteLength(content, 'utf8') >= 1_900_000, `stored ${Buffer.byteLength(content, 'utf8')} bytes`);
  const escaped = Buffer.byteLength(JSON.stringify(content), 'utf8');
  const contentBytes = Buffer.byteLength(content, 'utf8');
  assert.ok(escaped > 1.1 * contentBytes, `escaping grows ${contentBytes} bytes to ${escaped}`);
  // MediaWiki replaces C0 controls other than tab and newline with U+FFFD on save; quotes, backslashes, tabs stay.
  assert.match(content, /\\"quoted\\"\t<tab>/, 'the wiki stored what JSON escapes');

  // The function's defaults, except where the test must point it: the wiki, the broker, the topics.
  deps = dependenciesFromEnv({
    MW_API_URL_TEMPLATE: apiUrl,
    MW_API_ALLOWED_DOMAINS: TEST_DOMAIN,
    KAFKA_BROKERS: brokers.join(','),
    OUTPUT_TOPIC: topics.output,
    ERROR_TOPIC: topics.error,
    KAFKA_LOG_LEVEL: 'NOTHING',
  });
  const handler = createHandler(() => deps!);
  const event = pageChangeEvent({ domain: TEST_DOMAIN, pageId: stored.pageId, revId: stored.revId, content });
  const response = await handler(esmEventOf([event]), lambdaContext(120_000));
  assert.deepEqual(response.batchItemFailures, []);

  const [output, errors] = await Promise.all([
    consumeAll(brokers, topics.output, { expected: 1 }),
    consumeAll(brokers, topics.error),
  ]);
  assert.deepEqual(
    errors.map((r) => JSON.parse(r.value!).error_type),
    [],
    'no MessageTooLarge or other error event',
  );
  assert.equal(output.length, 1);
  const value = output[0]!.value!;
  const eventBytes = Buffer.byteLength(value, 'utf8');
  assert.ok(eventBytes > 2 * 1024 * 1024, `event of ${eventBytes} bytes, more than the old 1 MiB default`);
  const body: string = JSON.parse(value).revision.content_slots.main.content_body;
  assert.ok(Buffer.from(body, 'utf8').equals(Buffer.from(content, 'utf8')), 'content byte for byte');
});
