import assert from 'node:assert/strict';
import { test } from 'node:test';
import { chunkBySize, kafkaSinkConfigFromEnv, sourceHeaders } from '../../lib/kafka-sink.js';
import { ConfigurationError } from '../../lib/config.js';

test('messages are chunked in order under the size limit; an oversized one travels alone', () => {
  const sizes = [100, 100, 100, 900, 50, 2000, 10];
  const chunks = chunkBySize(sizes, (n) => n, 1000);
  assert.deepEqual(chunks, [[100, 100, 100], [900], [50], [2000], [10]]);
  assert.deepEqual(chunks.flat(), sizes);
});

test('sink configuration: defaults, datacenter prefix, auth validation', () => {
  const c = kafkaSinkConfigFromEnv({ KAFKA_BROKERS: 'a:9092,b:9092', KAFKA_TOPIC_PREFIX: 'eqiad.' });
  assert.equal(c.outputTopic, 'eqiad.mediawiki.page_content_change.v1');
  assert.equal(c.errorTopic, 'eqiad.mw_page_content_change_enrich.error');
  assert.deepEqual(c.connection.brokers, ['a:9092', 'b:9092']);
  assert.equal(c.connection.auth, 'none');
  assert.equal(c.compression, 'gzip');
  assert.equal(c.maxMessageBytes, 10_485_760);
  assert.equal(kafkaSinkConfigFromEnv({ KAFKA_MSK_CLUSTER_ARN: 'arn:aws:kafka:us-east-1:1:cluster/x/y' }).connection.auth, 'iam');
  assert.throws(() => kafkaSinkConfigFromEnv({}), ConfigurationError);
  assert.throws(() => kafkaSinkConfigFromEnv({ KAFKA_BROKERS: 'a:1', KAFKA_AUTH: 'scram' }), /KAFKA_SASL_SECRET_ARN/);
  assert.throws(() => kafkaSinkConfigFromEnv({ KAFKA_BROKERS: 'a:1', KAFKA_AUTH: 'kerberos' }), /KAFKA_AUTH/);
});

test('source headers trace a message to its input record', () => {
  assert.deepEqual(sourceHeaders({ kind: 'output', key: null, value: '', bytes: 0, source: { topic: 't', partition: 2, offset: 41 } }), {
    source_topic: 't',
    source_partition: '2',
    source_offset: '41',
  });
});
