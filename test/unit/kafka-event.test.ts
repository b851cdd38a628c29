import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decodeKafkaEvent, MalformedKafkaEventError } from '../../lib/event-source/kafka-event.js';
import { kafkaEsmEventFor } from '../../scripts/lib/esm-event.js';
import { partialBatchResponse } from '../../lib/pipeline/process-batch.js';

test('decodes MSK records per partition in offset order, with base64 values and byte-array headers', () => {
  const event = kafkaEsmEventFor([
    { topic: 't', partition: 1, offset: 7, key: 'k', value: 'v7', headers: [['h', 'x']] },
    { topic: 't', partition: 1, offset: 5, key: null, value: 'v5' },
    { topic: 't', partition: 0, offset: 3, key: 'k0', value: 'v3' },
  ]);
  const records = decodeKafkaEvent(event);
  assert.deepEqual(
    records.map((r) => [r.partitionKey, r.source.offset, r.value?.toString()]),
    [
      ['t-1', 5, 'v5'],
      ['t-1', 7, 'v7'],
      ['t-0', 3, 'v3'],
    ],
  );
  assert.equal(records[1]!.headers[0]![1].toString(), 'x');
  assert.equal(records[0]!.key, null);
});

test('self-managed Kafka events decode the same way', () => {
  const event = kafkaEsmEventFor(
    [{ topic: 'eqiad.mediawiki.page_change.v1', partition: 0, offset: 1, key: null, value: '{}' }],
    { eventSource: 'SelfManagedKafka' },
  );
  assert.equal((event as { eventSource: string }).eventSource, 'SelfManagedKafka');
  assert.equal(decodeKafkaEvent(event)[0]!.source.topic, 'eqiad.mediawiki.page_change.v1');
});

test('negative header bytes (Java-signed) decode to the same bytes', () => {
  const event = {
    eventSource: 'aws:kafka',
    records: {
      't-0': [
        {
          topic: 't',
          partition: 0,
          offset: 0,
          timestamp: 0,
          timestampType: 'CREATE_TIME',
          value: '',
          headers: [{ h: [-61, -68] }],
        },
      ],
    },
  };
  assert.equal(decodeKafkaEvent(event)[0]!.headers[0]![1].toString('utf8'), 'ü');
});

test('an event without records is refused', () => {
  assert.throws(() => decodeKafkaEvent({}), MalformedKafkaEventError);
  assert.throws(() => decodeKafkaEvent(null), MalformedKafkaEventError);
});

test('the partial batch response lists every record not written, in offset order per partition, and nothing written', () => {
  const records = decodeKafkaEvent(
    kafkaEsmEventFor(
      [0, 1, 2, 3].flatMap((o) => [0, 1].map((p) => ({ topic: 't', partition: p, offset: o, key: null, value: 'x' }))),
    ),
  );
  const unwritten = (r: (typeof records)[number]) =>
    (r.partitionKey === 't-0' && r.source.offset >= 2) || (r.partitionKey === 't-1' && r.source.offset === 1);
  const written = new Set(records.flatMap((r) => (unwritten(r) ? [] : [r.index])));
  assert.deepEqual(partialBatchResponse(records, written).batchItemFailures, [
    { itemIdentifier: { partition: 't-0', offset: 2 } },
    { itemIdentifier: { partition: 't-0', offset: 3 } },
    { itemIdentifier: { partition: 't-1', offset: 1 } },
  ]);
  assert.deepEqual(partialBatchResponse(records, new Set(records.map((r) => r.index))).batchItemFailures, []);
  assert.equal(partialBatchResponse(records, new Set()).batchItemFailures.length, records.length);
});
