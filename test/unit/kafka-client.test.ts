/** The Kafka client configuration from settings (lib/kafka/kafka-client.ts). */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { kafkaConnectionConfigFromEnv } from '../../lib/kafka/kafka-client.js';
import { ConfigurationError } from '../../lib/settings/catalogue.js';

test('client configuration: brokers, authentication by default and validated', () => {
  const c = kafkaConnectionConfigFromEnv({ KAFKA_BROKERS: 'a:9092,b:9092' });
  assert.deepEqual(c.brokers, ['a:9092', 'b:9092']);
  assert.equal(c.auth, 'none');
  assert.equal(
    kafkaConnectionConfigFromEnv({ KAFKA_MSK_CLUSTER_ARN: 'arn:aws:kafka:us-east-1:1:cluster/x/y' }).auth,
    'iam',
  );
  assert.throws(() => kafkaConnectionConfigFromEnv({}), ConfigurationError);
  assert.throws(
    () => kafkaConnectionConfigFromEnv({ KAFKA_BROKERS: 'a:1', KAFKA_AUTH: 'scram' }),
    /KAFKA_SASL_SECRET_ARN/,
  );
  assert.throws(() => kafkaConnectionConfigFromEnv({ KAFKA_BROKERS: 'a:1', KAFKA_AUTH: 'kerberos' }), /KAFKA_AUTH/);
});
