import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Kafka } from 'kafkajs';
import { sendWorstCaseMs } from '../../lib/kafka/producer.js';
import { kafkaSink, kafkaSinkConfigFromEnv, sourceHeaders } from '../../lib/pipeline/kafka-sink.js';
import { deadlineAt } from '../../lib/core/deadline.js';
import { ConfigurationError } from '../../lib/settings/config.js';

test('sink configuration: the prefixed output and error topics, the producer settings, the connection', () => {
  const c = kafkaSinkConfigFromEnv({ KAFKA_BROKERS: 'a:9092,b:9092', KAFKA_TOPIC_PREFIX: 'eqiad.' });
  assert.equal(c.outputTopic, 'eqiad.mediawiki.page_content_change.v1');
  assert.equal(c.errorTopic, 'eqiad.mw_page_content_change_enrich.error');
  assert.equal(c.compression, 'gzip');
  assert.equal(c.maxMessageBytes, 10_485_760);
  assert.deepEqual(c.connection.brokers, ['a:9092', 'b:9092']);
  assert.throws(() => kafkaSinkConfigFromEnv({}), ConfigurationError);
});

test('source headers trace a message to its input record', () => {
  assert.deepEqual(
    sourceHeaders({ kind: 'output', key: null, value: '', bytes: 0, source: { topic: 't', partition: 2, offset: 41 } }),
    {
      source_topic: 't',
      source_partition: '2',
      source_offset: '41',
    },
  );
});

test("the sink's worst case is its producer's, for the configured request timeout", () => {
  const sink = kafkaSink(
    kafkaSinkConfigFromEnv({ KAFKA_BROKERS: 'a:1', KAFKA_REQUEST_TIMEOUT_MS: '4000' }),
    async () => hangingKafka().kafka,
  );
  assert.equal(sink.sendWorstCaseMs, sendWorstCaseMs(4000));
});

/** A kafkajs stand-in whose sends never complete (a broker that stopped answering). */
function hangingKafka() {
  const state = { producers: 0, disconnects: 0 };
  const kafka = {
    producer: () => {
      state.producers++;
      return {
        events: { DISCONNECT: 'producer.disconnect' },
        on: () => undefined,
        connect: async () => undefined,
        send: () => new Promise(() => undefined),
        disconnect: async () => {
          state.disconnects++;
        },
      };
    },
  } as unknown as Kafka;
  return { kafka, state };
}

// The sends never complete: only the deadline can end `send`, and the test's timeout stands guard should it not.
test('a send still running at the deadline is abandoned: reported failed, its producer replaced', {
  timeout: 30_000,
}, async () => {
  const { kafka, state } = hangingKafka();
  const sink = kafkaSink(
    kafkaSinkConfigFromEnv({ KAFKA_BROKERS: 'a:1', KAFKA_COMPRESSION: 'none' }),
    async () => kafka,
  );
  const m = (offset: number, kind: 'output' | 'error' = 'output') => ({
    kind,
    key: null,
    value: 'v',
    bytes: 1,
    source: { topic: 't', partition: 0, offset },
  });
  const report = await sink.send([m(0), m(1, 'error'), m(2)], deadlineAt(Date.now() + 150));
  assert.deepEqual([...report.failed].sort(), [0, 1, 2]);
  assert.equal(state.disconnects, 1, 'the producer with a request in flight is closed');
  // Past the deadline nothing is attempted; with time again a new producer is used.
  assert.deepEqual([...(await sink.send([m(3)], deadlineAt(Date.now() - 1))).failed], [0]);
  await sink.send([m(4)], deadlineAt(Date.now() + 50));
  assert.equal(state.producers, 2);
  await sink.disconnect();
});
