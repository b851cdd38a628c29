/**
 * What a function wrote to Kafka during one invocation: the topics' end offsets before it, and the records between
 * those and the ends after it. The deployed function's sink is Kafka, so `invoke --runtime lambda` reads its output
 * back from the topics instead of giving it a file sink.
 */
import { randomUUID } from 'node:crypto';
import type { Kafka } from 'kafkajs';

/** End offset of each partition, per topic; a topic that does not exist has none. */
export type TopicEnds = Map<string, Map<number, bigint>>;

export async function topicEnds(kafka: Kafka, topics: readonly string[]): Promise<TopicEnds> {
  // A topic created a moment ago may have no leader yet (NOT_LEADER_FOR_PARTITION, retriable): asked again.
  for (let attempt = 1; ; attempt++) {
    try {
      return await endsNow(kafka, topics);
    } catch (err) {
      if (!(err as { retriable?: boolean }).retriable || attempt >= 100) throw err;
      await new Promise((r) => setTimeout(r, 200));
    }
  }
}

async function endsNow(kafka: Kafka, topics: readonly string[]): Promise<TopicEnds> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const existing = new Set(await admin.listTopics());
    const ends: TopicEnds = new Map();
    for (const topic of topics) {
      const partitions = new Map<number, bigint>();
      if (existing.has(topic)) {
        for (const p of await admin.fetchTopicOffsets(topic)) partitions.set(p.partition, BigInt(p.high));
      }
      ends.set(topic, partitions);
    }
    return ends;
  } finally {
    await admin.disconnect();
  }
}

/** Record values between `from` and `to`, per topic, in partition then offset order. */
export async function recordsBetween(kafka: Kafka, from: TopicEnds, to: TopicEnds): Promise<Map<string, string[]>> {
  const wanted: Array<{ topic: string; partition: number; from: bigint; to: bigint }> = [];
  for (const [topic, partitions] of to) {
    for (const [partition, end] of partitions) {
      const start = from.get(topic)?.get(partition) ?? 0n;
      if (end > start) wanted.push({ topic, partition, from: start, to: end });
    }
  }
  const out = new Map<string, Array<{ partition: number; offset: bigint; value: string }>>(
    [...to.keys()].map((t) => [t, []]),
  );
  if (wanted.length === 0) return new Map([...out.keys()].map((t) => [t, []]));
  const consumer = kafka.consumer({ groupId: `invoke-read-back-${randomUUID()}`, maxWaitTimeInMs: 100 });
  const next = new Map(wanted.map((w) => [`${w.topic}/${w.partition}`, w.from]));
  let done!: () => void;
  const allRead = new Promise<void>((resolve) => (done = resolve));
  const finished = () => wanted.every((w) => next.get(`${w.topic}/${w.partition}`)! >= w.to);
  await consumer.connect();
  try {
    await consumer.subscribe({ topics: [...new Set(wanted.map((w) => w.topic))], fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachMessage: async ({ topic, partition, message }) => {
        const w = wanted.find((x) => x.topic === topic && x.partition === partition);
        const offset = BigInt(message.offset);
        if (w && offset >= w.from && offset < w.to) {
          out.get(topic)!.push({ partition, offset, value: message.value?.toString('utf8') ?? '' });
        }
        next.set(`${topic}/${partition}`, offset + 1n);
        if (finished()) done();
      },
    });
    for (const w of wanted) consumer.seek({ topic: w.topic, partition: w.partition, offset: String(w.from) });
    const timeout = new Promise<void>((_, reject) =>
      setTimeout(() => reject(new Error('reading the output topics back took over 60 s')), 60_000).unref(),
    );
    await Promise.race([allRead, timeout]);
  } finally {
    await consumer.disconnect();
  }
  return new Map(
    [...out].map(([topic, records]) => [
      topic,
      records
        .sort((a, b) => a.partition - b.partition || (a.offset < b.offset ? -1 : a.offset > b.offset ? 1 : 0))
        .map((r) => r.value),
    ]),
  );
}
