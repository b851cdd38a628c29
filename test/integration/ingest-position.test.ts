/**
 * The ingest's position read back from the input topic on the real broker (issue 26), with the log
 * shapes that broke a fixed read-back window: aborted transactions (a fenced or killed holder's) that
 * fill the last `INGEST_TAIL_RECORDS` offsets, and partitions that end in a lone transaction marker.
 * Each case builds the log with real transactional producers, then asserts the newest committed record
 * is found; none depends on timing. And the order the argument rests on: opening the writer claims the
 * transactional id (fencing an earlier holder) before the position is read back.
 */
import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import type { Kafka, Message } from 'kafkajs';
import { IngestFencedError } from '../../lib/ingest/errors.js';
import { POSITION_HEADER, SEQUENCE_HEADER } from '../../lib/ingest/input-record.js';
import { positionGroupPrefix, readStoredPosition } from '../../lib/ingest/stored-position.js';
import { TransactionalWriter } from '../../lib/ingest/transactional-writer.js';
import { createTopics, ensureKafka, kafkaClient, uniqueTopicName } from '../../scripts/kafka/broker.js';

let brokers: string[];
let kafka: Kafka;
before(async () => {
  ({ brokers } = await ensureKafka());
  kafka = kafkaClient(brokers, { clientId: 'ingest-position-test' });
});

async function topicWith(partitions: number): Promise<string> {
  const topic = uniqueTopicName('ingest-position');
  await createTopics(brokers, [{ topic, numPartitions: partitions }]);
  return topic;
}

/** A record as the ingest writes it: position and sequence in headers, a page change as value. */
function ingestRecord(sequence: number, partition: number): Message {
  const position = JSON.stringify([{ topic: 'eqiad.mediawiki.page_change.v1', partition: 0, offset: sequence }]);
  return {
    partition,
    key: JSON.stringify({ wiki_id: 'testwiki', page_id: sequence }),
    value: JSON.stringify({ meta: { id: `id-${sequence}`, dt: new Date(1_790_000_000_000 + sequence).toISOString() } }),
    headers: { [POSITION_HEADER]: position, [SEQUENCE_HEADER]: String(sequence) },
  };
}

/** Writes `messages` in one transaction of a holder of `transactionalId`, committed or aborted. */
async function transaction(
  topic: string,
  transactionalId: string,
  messages: Message[],
  outcome: 'commit' | 'abort',
): Promise<void> {
  const producer = kafka.producer({ transactionalId, idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  try {
    const t = await producer.transaction();
    await t.send({ topic, messages });
    await (outcome === 'commit' ? t.commit() : t.abort());
  } finally {
    await producer.disconnect();
  }
}

const range = (from: number, count: number) => Array.from({ length: count }, (_, i) => from + i);

async function position(topic: string, tailRecords: number) {
  return readStoredPosition({
    kafka,
    topic,
    tailRecords,
    groupPrefix: positionGroupPrefix(`${topic}.ingest`),
    stallMs: 120_000,
  });
}

test('aborted transactions filling the tail window: the read-back widens its window to the newest committed record', {
  timeout: 180_000,
}, async () => {
  const topic = await topicWith(1);
  const id = `${topic}.ingest`;
  await transaction(
    topic,
    id,
    range(0, 20).map((s) => ingestRecord(s, 0)),
    'commit',
  );
  // Three aborted holders' transactions: 3 × 40 records and markers after the last committed one.
  for (const from of [20, 60, 100])
    await transaction(
      topic,
      id,
      range(from, 40).map((s) => ingestRecord(s, 0)),
      'abort',
    );

  const stored = await position(topic, 10);
  assert.ok(stored, 'a position was found behind the aborted transactions');
  assert.equal(stored.sequence, 19, 'the newest committed record, not an aborted one');
  assert.equal(stored.lastEventId, ingestRecord(19, 0).headers![POSITION_HEADER]);
});

test('partitions ending in a lone marker, one partition never written: each read to its end, the newest record overall found', {
  timeout: 180_000,
}, async () => {
  const topic = await topicWith(3);
  const id = `${topic}.ingest`;
  await transaction(topic, id, [...range(0, 5).map((s) => ingestRecord(s, 0)), ingestRecord(5, 1)], 'commit');
  await transaction(
    topic,
    id,
    range(6, 3).map((s) => ingestRecord(s, 1)),
    'commit',
  );
  // Partition 1 now ends in an aborted record and its marker, partition 0 in a commit marker, partition 2 is empty.
  await transaction(topic, id, [ingestRecord(9, 1)], 'abort');

  for (const tail of [1, 2, 1000]) {
    const stored = await position(topic, tail);
    assert.ok(stored, `tail ${tail}: a position was found`);
    assert.equal(stored.sequence, 8, `tail ${tail}: the newest committed record overall`);
  }
});

test('a topic the ingest never wrote to (only another producer, and aborted records): no position, the whole log read once', {
  timeout: 180_000,
}, async () => {
  const topic = await topicWith(2);
  const plain = kafka.producer();
  await plain.connect();
  await plain.send({ topic, messages: range(0, 30).map((i) => ({ partition: i % 2, value: `other ${i}` })) });
  await plain.disconnect();
  await transaction(
    topic,
    `${topic}.ingest`,
    range(0, 10).map((s) => ingestRecord(s, s % 2)),
    'abort',
  );

  assert.equal(await position(topic, 4), undefined);
});

test('opening the writer claims the transactional id before anything is read or written: an earlier writer is fenced at its next write', {
  timeout: 180_000,
}, async () => {
  const topic = await topicWith(1);
  const options = {
    kafka,
    topic,
    transactionalId: `${topic}.ingest`,
    compression: 'none',
    transactionTimeoutMs: 60_000,
  } as const;
  const earlier = await TransactionalWriter.open(options);
  const later = await TransactionalWriter.open(options);
  try {
    // kafkajs registers the transactional id at the first transaction only; were open() not to claim it, the
    // earlier writer would claim it here and commit, and a read-back by the later one would have missed this.
    await assert.rejects(earlier.write([ingestRecord(0, 0)]), IngestFencedError);
    await later.write([ingestRecord(1, 0)]);
    const stored = await position(topic, 10);
    assert.equal(stored?.sequence, 1, 'only the later holder committed');
  } finally {
    await earlier.close();
    await later.close();
  }
});
