/**
 * Two redrives at once on a real Apache Kafka broker: the redrive function runs without reserved
 * concurrency, so an operator (or a retrying client) can start a second invocation while the first is
 * still reading. Both join the same consumer group: Kafka gives each partition to one member, and a
 * member commits each chunk's offsets right after the broker acknowledged the chunk, before it rejoins
 * (a group that is preparing a rebalance still accepts the current generation's commits), so a
 * partition moves only with its produced records committed. Each error event is redriven exactly once.
 */
import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import type { Kafka } from 'kafkajs';
import { runRedrive } from '../../lib/redrive/kafka-loop.js';
import type { RedriveSummary } from '../../lib/redrive/tally.js';
import { pageChangeEvent } from '../support/events.js';
import { consumeAll, createTopics, ensureKafka, kafkaClient, uniqueTopicName } from '../support/kafka-broker.js';

let brokers: string[];

before(async () => {
  ({ brokers } = await ensureKafka());
});

/**
 * Fault injection: each produce request waits `delayMs` first, so a run lasts long enough for the second
 * redrive to join the group while the first is still producing (on an idle laptop broker 300 chunks take ~1 s).
 */
function withSlowSends(kafka: Kafka, delayMs: number): Kafka {
  return new Proxy(kafka, {
    get(target, prop, receiver) {
      if (prop !== 'producer') return Reflect.get(target, prop, receiver);
      return (config: Parameters<Kafka['producer']>[0]) => {
        const producer = target.producer(config);
        const send = producer.send.bind(producer);
        producer.send = async (record) => {
          await new Promise((r) => setTimeout(r, delayMs));
          return send(record);
        };
        return producer;
      };
    },
  });
}

const PARTITIONS = 3;
const RECORDS = 1500;

test('two concurrent redrives on one group redrive each record exactly once', { timeout: 240_000 }, async () => {
  const errorTopic = uniqueTopicName('concurrent.error');
  const inputTopic = uniqueTopicName('concurrent.in');
  await createTopics(brokers, [
    { topic: errorTopic, numPartitions: PARTITIONS },
    { topic: inputTopic, numPartitions: PARTITIONS },
  ]);
  const producer = kafkaClient(brokers).producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  try {
    for (let start = 0; start < RECORDS; start += 500) {
      await producer.send({
        topic: errorTopic,
        acks: -1,
        messages: Array.from({ length: 500 }, (_, j) => {
          const i = start + j;
          const raw = JSON.stringify(pageChangeEvent({ wikiId: 'testwiki', pageId: 1 + (i % 50), revId: 1000 + i }));
          return {
            partition: i % PARTITIONS,
            key: String(i),
            value: JSON.stringify({ raw_event: raw, error_type: 'RevisionMissing', meta: { domain: 'test.wiki' } }),
          };
        }),
      });
    }
  } finally {
    await producer.disconnect();
  }

  const groupId = `${errorTopic}.redrive`;
  const run = () =>
    runRedrive({
      kafka: withSlowSends(kafkaClient(brokers), 15),
      from: 'error',
      sourceTopic: errorTopic,
      inputTopic,
      groupId,
      // Small chunks: many produce-then-commit steps, so the second member joins between them.
      chunkSize: 5,
      idleTimeoutMs: 5_000,
    });
  let firstDone = false;
  const first = run().finally(() => (firstDone = true));
  // The second starts once the first has committed part of the work, as a second invocation would.
  const admin = kafkaClient(brokers).admin();
  await admin.connect();
  try {
    for (;;) {
      const [group] = await admin.fetchOffsets({ groupId, topics: [errorTopic] });
      if (group?.partitions.some((p) => Number(p.offset) > 0)) break;
      await new Promise((r) => setTimeout(r, 20));
    }
  } finally {
    await admin.disconnect();
  }
  assert.equal(firstDone, false, 'the second redrive starts while the first is running');
  const [a, b] = (await Promise.all([first, run()])) as [RedriveSummary, RedriveSummary];

  const copies = await consumeAll(brokers, inputTopic, { expected: RECORDS, quietMs: 1_000, timeoutMs: 60_000 });
  const sources = copies.map((c) => `${c.headers.redrive_from_partition}@${c.headers.redrive_from_offset}`);
  const twice = sources.filter((s, i) => sources.indexOf(s) !== i);
  assert.deepEqual(twice, [], 'no record redriven twice');
  assert.equal(new Set(sources).size, RECORDS, 'every record redriven');
  assert.equal(a.produced + b.produced, RECORDS);
  assert.ok(a.produced > 0 && b.produced > 0, `both redrove a share (${a.produced} + ${b.produced})`);
});
