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
import type { Admin, Kafka } from 'kafkajs';
import { runRedrive } from '../../lib/redrive/kafka-loop.js';
import type { RedriveSummary } from '../../lib/redrive/tally.js';
import { pageChangeEvent } from '../../scripts/lib/page-change-events.js';
import { consumeAll, createTopics, ensureKafka, kafkaClient, uniqueTopicName } from '../../scripts/kafka/broker.js';

let brokers: string[];

before(async () => {
  ({ brokers } = await ensureKafka());
});

/** A promise with its resolver: a barrier the test opens. */
function barrier(): { wait: Promise<void>; open: () => void } {
  let open!: () => void;
  const wait = new Promise<void>((r) => (open = r));
  return { wait, open };
}

/**
 * The redrive's Kafka client with two test-only seams: each consumer heartbeats on every call (the loop's
 * heartbeat before producing a chunk then sees a rebalance at once, rather than within kafkajs' 3 s heartbeat
 * interval), and `beforeSend(n)` runs before the producer's n-th send (1-based), where a test can hold it.
 */
function instrumented(kafka: Kafka, beforeSend: (n: number) => Promise<void> = async () => {}): Kafka {
  let sends = 0;
  return new Proxy(kafka, {
    get(target, prop, receiver) {
      if (prop === 'consumer')
        return (config: Parameters<Kafka['consumer']>[0]) => target.consumer({ ...config, heartbeatInterval: 0 });
      if (prop !== 'producer') return Reflect.get(target, prop, receiver);
      return (config: Parameters<Kafka['producer']>[0]) => {
        const producer = target.producer(config);
        const send = producer.send.bind(producer);
        producer.send = async (record) => {
          await beforeSend(++sends);
          return send(record);
        };
        return producer;
      };
    },
  });
}

/** Polls the group's state on the broker until it is `state`: a barrier on what the coordinator says. */
async function groupReaches(admin: Admin, groupId: string, state: string): Promise<void> {
  for (;;) {
    const { groups } = await admin.describeGroups([groupId]);
    if (groups[0]?.state === state) return;
    await new Promise((r) => setTimeout(r, 20));
  }
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
  const options = {
    from: 'error' as const,
    sourceTopic: errorTopic,
    inputTopic,
    groupId,
    chunkSize: 5,
    // Each member ends when the test aborts it, once every record is on the input topic: not after a quiet spell,
    // which a slow rebalance could outlast.
    idleTimeoutMs: 60 * 60_000,
  };
  const stopFirst = new AbortController();
  const stopSecond = new AbortController();
  // The first member holds its second chunk until the second member has joined the group.
  const atSecondChunk = barrier();
  const secondJoined = barrier();
  const first = runRedrive({
    ...options,
    signal: stopFirst.signal,
    kafka: instrumented(kafkaClient(brokers), async (n) => {
      if (n !== 2) return;
      atSecondChunk.open();
      await secondJoined.wait;
    }),
  });
  const admin = kafkaClient(brokers).admin();
  await admin.connect();
  let second: Promise<RedriveSummary>;
  try {
    await atSecondChunk.wait;
    // The first member produced and committed one chunk and holds everything else: 1495 records unredriven.
    const [committed] = await admin.fetchOffsets({ groupId, topics: [errorTopic] });
    const done = committed!.partitions.reduce((n, p) => n + Math.max(0, Number(p.offset)), 0);
    assert.equal(done, 5, 'the first member committed its first chunk only');
    second = runRedrive({ ...options, signal: stopSecond.signal, kafka: instrumented(kafkaClient(brokers)) });
    // The second member's JoinGroup puts the group into a rebalance; then the first member sends its chunk, commits
    // it, and its next heartbeat makes it rejoin: each gets partitions that still hold ≥ 490 unredriven records.
    await groupReaches(admin, groupId, 'PreparingRebalance');
    secondJoined.open();
    await consumeAll(brokers, inputTopic, { expected: RECORDS, timeoutMs: 10 * 60_000 });
  } finally {
    secondJoined.open();
    stopFirst.abort();
    stopSecond.abort();
    await admin.disconnect();
  }
  const [a, b] = await Promise.all([first, second]);

  // Both members have stopped: the input topic holds all there will be.
  const copies = await consumeAll(brokers, inputTopic);
  const sources = copies.map((c) => `${c.headers.redrive_from_partition}@${c.headers.redrive_from_offset}`);
  const twice = sources.filter((s, i) => sources.indexOf(s) !== i);
  assert.deepEqual(twice, [], 'no record redriven twice');
  assert.equal(new Set(sources).size, RECORDS, 'every record redriven');
  assert.equal(a.produced + b.produced, RECORDS);
  assert.ok(a.produced >= 10 && b.produced > 0, `both redrove a share (${a.produced} + ${b.produced})`);
  assert.equal(a.stoppedBy, 'aborted');
  assert.equal(b.stoppedBy, 'aborted');
});
