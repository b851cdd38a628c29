/**
 * Integration test of the project's real local Kafka broker (scripts/kafka/*)
 * together with kafkajs: idempotent producer, acks=-1, gzip, consume back in
 * order, and durability across a graceful restart and a SIGKILL crash.
 *
 *   node --import tsx --test test/integration/kafka-broker.test.ts
 *
 * Starts the broker when needed (first run also fetches ~43 MB of jars with
 * Maven) and stops it at the end if this file started it. With KAFKA_BROKERS
 * set, uses that broker and skips the restart tests.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { CompressionTypes, Partitioners } from 'kafkajs';
import {
  KAFKA_CODEC_IDS,
  KAFKA_DATA_DIR,
  consumeAll,
  createTopics,
  deleteTopics,
  ensureKafka,
  kafkaClient,
  kafkaIsManaged,
  startKafka,
  stopKafka,
  storedBatches,
  uniqueTopicName,
  type ConsumedRecord,
} from '../../scripts/kafka/broker.ts';

const COUNT = 100;
const KEYS = 7;

/** Produces messages seq from..to-1 with an idempotent, acks=-1, gzip producer, 10 per request. */
async function produce(brokers: string[], topic: string, from: number, to: number): Promise<void> {
  const producer = kafkaClient(brokers, { clientId: 'kafka-broker-test' }).producer({
    idempotent: true,
    maxInFlightRequests: 1,
    createPartitioner: Partitioners.DefaultPartitioner,
  });
  await producer.connect();
  try {
    for (let start = from; start < to; start += 10) {
      const messages = [];
      for (let seq = start; seq < Math.min(start + 10, to); seq++) {
        messages.push({
          key: `page-${seq % KEYS}`,
          value: JSON.stringify({ seq, text: `message ${seq} `.repeat(20) }),
          headers: { 'content-type': 'application/json', seq: String(seq) },
        });
      }
      await producer.send({ topic, acks: -1, compression: CompressionTypes.GZIP, messages });
    }
  } finally {
    await producer.disconnect();
  }
}

function seqOf(r: ConsumedRecord): number {
  return (JSON.parse(r.value ?? 'null') as { seq: number }).seq;
}

/** Checks that exactly seq 0..count-1 arrived once each, in order per key, with dense offsets per partition. */
function assertAllInOrder(records: ConsumedRecord[], count: number): void {
  assert.equal(records.length, count, `expected ${count} records, got ${records.length}`);
  assert.deepEqual(
    records.map(seqOf).sort((a, b) => a - b),
    Array.from({ length: count }, (_, i) => i),
  );
  const byPartition = new Map<number, ConsumedRecord[]>();
  for (const r of records) byPartition.set(r.partition, [...(byPartition.get(r.partition) ?? []), r]);
  const partitionOfKey = new Map<string, number>();
  for (const [partition, rs] of byPartition) {
    // Idempotent producer: no duplicates, no gaps.
    assert.deepEqual(
      rs.map((r) => r.offset),
      rs.map((_, i) => String(i)),
      `offsets of partition ${partition}`,
    );
    const lastSeqOfKey = new Map<string, number>();
    for (const r of rs) {
      assert.ok(r.key);
      const seq = seqOf(r);
      assert.ok(seq > (lastSeqOfKey.get(r.key) ?? -1), `key ${r.key} out of order at seq ${seq}`);
      lastSeqOfKey.set(r.key, seq);
      assert.equal(partitionOfKey.get(r.key) ?? partition, partition, `key ${r.key} in two partitions`);
      partitionOfKey.set(r.key, partition);
      assert.deepEqual(r.headers, { 'content-type': 'application/json', seq: String(seq) });
    }
  }
}

describe('local Kafka broker (scripts/kafka) with kafkajs', { timeout: 300_000 }, () => {
  let brokers: string[] = [];
  let startedHere = false;
  const topic = uniqueTopicName('it.kafka-broker');
  const managed = kafkaIsManaged();
  let ensureNote = '';

  before(async () => {
    const t0 = performance.now();
    ({ brokers, started: startedHere } = await ensureKafka());
    const how = !managed ? 'external (KAFKA_BROKERS)' : startedHere ? 'started' : 'already running';
    ensureNote = `ensureKafka: ${brokers.join(',')} ${how} in ${Math.round(performance.now() - t0)} ms`;
    await createTopics(brokers, [{ topic, numPartitions: 3 }]);
  });

  after(async () => {
    if (brokers.length > 0) await deleteTopics(brokers, [topic]).catch(() => {});
    if (startedHere && managed) await stopKafka();
  });

  it('produces 100 messages (idempotent, acks=-1, gzip) and consumes them back in order', async (t) => {
    const t0 = performance.now();
    await produce(brokers, topic, 0, COUNT);
    const t1 = performance.now();
    const records = await consumeAll(brokers, topic, { expected: COUNT });
    t.diagnostic(ensureNote);
    t.diagnostic(`produce ${Math.round(t1 - t0)} ms, consume ${Math.round(performance.now() - t1)} ms`);
    assertAllInOrder(records, COUNT);
    assert.ok(new Set(records.map((r) => r.partition)).size > 1, 'keys spread over several partitions');

    // Without `expected`: stops at the end offsets.
    assert.equal((await consumeAll(brokers, topic)).length, COUNT);

    if (managed && existsSync(KAFKA_DATA_DIR)) {
      const batches = storedBatches(topic);
      assert.ok(batches.length >= 10, `expected >= 10 record batches on disk, got ${batches.length}`);
      for (const b of batches) {
        assert.equal(b.magic, 2, `partition ${b.partition}: record batch magic`);
        assert.equal(b.codec, KAFKA_CODEC_IDS.gzip, `partition ${b.partition}: batch stored gzip-compressed`);
        assert.ok(b.producerId >= 0n, `partition ${b.partition}: batch has a producer id (idempotent)`);
      }
    }
  });

  it('accepts a 3 MB message (message.max.bytes is 10 MB)', async () => {
    const bigTopic = uniqueTopicName('it.kafka-broker-big');
    await createTopics(brokers, [{ topic: bigTopic, numPartitions: 1 }]);
    try {
      const producer = kafkaClient(brokers).producer({ idempotent: true, maxInFlightRequests: 1 });
      await producer.connect();
      const value = 'x'.repeat(3 * 1024 * 1024);
      await producer.send({ topic: bigTopic, acks: -1, messages: [{ key: 'big', value }] });
      await producer.disconnect();
      const records = await consumeAll(brokers, bigTopic, { expected: 1 });
      assert.equal(records.length, 1);
      assert.equal(records[0]?.value?.length, value.length);
    } finally {
      await deleteTopics(brokers, [bigTopic]);
    }
  });

  it('keeps the messages across a graceful stop and restart', {
    skip: !managed && 'KAFKA_BROKERS is set',
  }, async (t) => {
    let t0 = performance.now();
    await stopKafka();
    const stopMs = performance.now() - t0;
    t0 = performance.now();
    await startKafka();
    t.diagnostic(`graceful stop ${Math.round(stopMs)} ms, start ${Math.round(performance.now() - t0)} ms`);
    assertAllInOrder(await consumeAll(brokers, topic, { expected: COUNT }), COUNT);
    // And the restarted broker takes new writes from a new idempotent producer.
    await produce(brokers, topic, COUNT, COUNT + 10);
    assertAllInOrder(await consumeAll(brokers, topic, { expected: COUNT + 10 }), COUNT + 10);
  });

  it('keeps the messages across a crash (SIGKILL) and restart', {
    skip: !managed && 'KAFKA_BROKERS is set',
  }, async (t) => {
    let t0 = performance.now();
    await stopKafka({ kill: true });
    const stopMs = performance.now() - t0;
    t0 = performance.now();
    await startKafka();
    t.diagnostic(`kill ${Math.round(stopMs)} ms, start after crash ${Math.round(performance.now() - t0)} ms`);
    assertAllInOrder(await consumeAll(brokers, topic, { expected: COUNT + 10 }), COUNT + 10);
  });
});
