/**
 * The producer recovers from a lost idempotence session. kafkajs treats
 * OUT_OF_ORDER_SEQUENCE_NUMBER, UNKNOWN_PRODUCER_ID and INVALID_PRODUCER_EPOCH as not retriable and
 * keeps its producer id and sequence numbers, so a warm container would fail (or worse, have the
 * broker drop as duplicates) every later send. The Kafka sink replaces the producer instead.
 *
 * Real broker; a proxy in front of it rewrites one Produce response to carry the error (the broker
 * did write those records: the sink reports them failed, so they are redelivered, duplicates at worst).
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { Kafka, logLevel } from 'kafkajs';
import { kafkaSink, type KafkaSink } from '../../lib/pipeline/kafka-sink.js';
import type { OutboundMessage } from '../../lib/pipeline/sink.js';
import { consumeAll, createTopics, ensureKafka, uniqueTopicName } from '../../scripts/kafka/broker.js';
import { startKafkaFaultProxy, type KafkaFaultProxy } from '../support/kafka-fault-proxy.js';

let brokers: string[];
let proxy: KafkaFaultProxy;

before(async () => {
  ({ brokers } = await ensureKafka());
  proxy = await startKafkaFaultProxy(brokers[0]!);
});

after(async () => {
  await proxy?.close();
});

const message = (offset: number): OutboundMessage => {
  const value = JSON.stringify({ n: offset });
  return {
    kind: 'output',
    key: `k${offset % 2}`,
    value,
    bytes: value.length + 2,
    source: { topic: 'in', partition: 0, offset },
  };
};

function proxiedSink(outputTopic: string, errorTopic: string): KafkaSink {
  const connection = {
    brokers,
    auth: 'none' as const,
    clientId: 'recovery-test',
    connectionTimeoutMs: 1000,
    requestTimeoutMs: 5000,
    logLevel: 'NOTHING' as const,
  };
  return kafkaSink(
    { connection, outputTopic, errorTopic, maxMessageBytes: 1_048_576, compression: 'none' },
    async () =>
      new Kafka({
        clientId: 'recovery-test',
        brokers,
        socketFactory: proxy.socketFactory,
        logLevel: logLevel.NOTHING,
        connectionTimeout: 1000,
        requestTimeout: 5000,
      }),
  );
}

for (const [type, code] of [
  ['OUT_OF_ORDER_SEQUENCE_NUMBER', 45],
  ['INVALID_PRODUCER_EPOCH', 47],
  ['UNKNOWN_PRODUCER_ID', 59],
] as const) {
  test(`${type}: the send is reported failed, the producer replaced, and later sends are written`, async () => {
    const output = uniqueTopicName('recovery.out');
    const error = uniqueTopicName('recovery.err');
    await createTopics(brokers, [
      { topic: output, numPartitions: 1 },
      { topic: error, numPartitions: 1 },
    ]);
    const sink = proxiedSink(output, error);
    const initsBefore = proxy.stats.initProducerIdRequests;
    try {
      assert.deepEqual([...(await sink.send([message(0), message(1)])).failed], [], 'a warm producer');
      proxy.failNextProduce(code);
      assert.deepEqual(
        [...(await sink.send([message(2), message(3)])).failed],
        [0, 1],
        'the refused request is reported, for redelivery',
      );
      assert.equal(proxy.stats.faultsInjected > 0, true);
      // Same record count as the refused request: with the old producer id the broker would take it for a duplicate.
      assert.deepEqual([...(await sink.send([message(4), message(5)])).failed], [], 'the next send succeeds');
      assert.deepEqual([...(await sink.send([message(6), message(7), message(8)])).failed], [], 'and the one after');
      assert.equal(sink.stats.producers, 2, 'the producer was replaced once');
      // At least one InitProducerId per producer; the broker may answer the first with a retriable
      // COORDINATOR_LOAD_IN_PROGRESS right after it starts, and kafkajs then asks again.
      const inits = proxy.stats.initProducerIdRequests - initsBefore;
      assert.ok(inits >= 2, `a new producer id was requested (${inits} InitProducerId requests)`);

      const onTopic = (await consumeAll(brokers, output, { timeoutMs: 20_000 })).map(
        (r) => JSON.parse(r.value!).n as number,
      );
      for (const n of [0, 1, 4, 5, 6, 7, 8])
        assert.ok(onTopic.includes(n), `record ${n} is on the topic (${onTopic.join(',')})`);
      assert.deepEqual(
        onTopic.filter((n) => n >= 4),
        [4, 5, 6, 7, 8],
        'written once each, in order',
      );
    } finally {
      await sink.disconnect();
    }
  });
}
