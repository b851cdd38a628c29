/**
 * Create the project's Kafka topics on a (local) broker, idempotently.
 *
 *   npx tsx scripts/kafka/create-topics.ts                      # the default topics
 *   npx tsx scripts/kafka/create-topics.ts my.topic:6 other:1    # these topics instead
 *   KAFKA_TOPIC_PREFIX=eqiad. npx tsx scripts/kafka/create-topics.ts
 *
 * Environment: the Kafka client settings of the function (lib/kafka/kafka-client.ts: KAFKA_AUTH,
 * KAFKA_CLIENT_CERT_SECRET_ARN, KAFKA_SASL_SECRET_ARN, ...), and
 *   KAFKA_BROKERS       comma-separated bootstrap servers (default 127.0.0.1:${KAFKA_PORT:-9092})
 *   KAFKA_TOPIC_PREFIX  prepended to every topic name (e.g. "eqiad.")
 *   KAFKA_REPLICATION_FACTOR  replication factor for new topics (default -1: the broker's default)
 *   KAFKA_MAX_MESSAGE_BYTES   `max.message.bytes` of new topics (default: the function's default, 10 MiB)
 *
 * Existing topics are left alone (a differing partition count or a smaller `max.message.bytes`
 * is reported, not changed).
 */
import { pathToFileURL } from 'node:url';
import kafkajs, { type Admin } from 'kafkajs';
import { createKafka, kafkaConnectionConfigFromEnv } from '../../lib/kafka/kafka-client.js';
import { DEFAULT_TOPICS as TOPIC_NAMES, readSettings } from '../../lib/settings/catalogue.js';
import { prefixedTopic } from '../../lib/settings/topic-name.js';
import { settingsOrExit } from '../lib/cli.js';

export interface TopicSpec {
  topic: string;
  numPartitions: number;
  /** @default -1 (the broker's default) */
  replicationFactor?: number;
}

export const DEFAULT_TOPICS: readonly TopicSpec[] = [
  { topic: TOPIC_NAMES.input, numPartitions: 3 },
  { topic: TOPIC_NAMES.output, numPartitions: 3 },
  { topic: TOPIC_NAMES.error, numPartitions: 1 },
  { topic: TOPIC_NAMES.onFailure, numPartitions: 1 },
];

/**
 * Topic configs of new topics: `max.message.bytes` matches the largest event the function
 * produces (`KAFKA_MAX_MESSAGE_BYTES`), so a page at MediaWiki's size limit is not refused.
 */
export function topicConfigsFor(env: NodeJS.ProcessEnv = process.env): Record<string, string> {
  const { KAFKA_MAX_MESSAGE_BYTES } = readSettings({ KAFKA_MAX_MESSAGE_BYTES: env.KAFKA_MAX_MESSAGE_BYTES });
  return { 'max.message.bytes': String(KAFKA_MAX_MESSAGE_BYTES) };
}

/** Parses `name:partitions` arguments (partitions defaults to 1 when omitted). */
export function parseTopicArgs(args: readonly string[]): TopicSpec[] {
  return args.map((arg) => {
    const i = arg.lastIndexOf(':');
    const topic = i < 0 ? arg : arg.slice(0, i);
    const partitions = i < 0 ? '1' : arg.slice(i + 1);
    const numPartitions = Number(partitions);
    if (!topic || !/^[a-zA-Z0-9._-]+$/.test(topic)) throw new Error(`invalid topic name in "${arg}"`);
    if (!Number.isInteger(numPartitions) || numPartitions < 1) throw new Error(`invalid partition count in "${arg}"`);
    return { topic, numPartitions };
  });
}

/**
 * Polls metadata until every topic is known to the broker with `numPartitions`
 * partitions that all have a leader. Needed because kafkajs' own
 * `createTopics({ waitForLeaders: true })` gives up (bails) when the broker's
 * metadata cache still answers UNKNOWN_TOPIC_OR_PARTITION ("This server does not
 * host this topic-partition"), which happens under KRaft right after creation.
 */
export async function waitForTopics(
  admin: Admin,
  topics: Array<{ topic: string; numPartitions: number }>,
  timeoutMs = 30_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = 'no attempt';
  for (;;) {
    try {
      const { topics: meta } = await admin.fetchTopicMetadata({ topics: topics.map((t) => t.topic) });
      const notReady = topics.filter((t) => {
        const m = meta.find((x) => x.name === t.topic);
        return !m || m.partitions.length < t.numPartitions || m.partitions.some((p) => p.leader < 0);
      });
      if (notReady.length === 0) return;
      last = `not ready: ${notReady.map((t) => t.topic).join(', ')}`;
    } catch (err) {
      last = err instanceof Error ? err.message : String(err);
    }
    if (Date.now() >= deadline) throw new Error(`topics not ready after ${timeoutMs} ms: ${last}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function main(): Promise<void> {
  const env = {
    KAFKA_CLIENT_ID: 'create-topics',
    ...process.env,
    KAFKA_BROKERS: process.env.KAFKA_BROKERS ?? `127.0.0.1:${process.env.KAFKA_PORT ?? '9092'}`,
  };
  const brokers = env.KAFKA_BROKERS.split(',')
    .map((b) => b.trim())
    .filter(Boolean);
  const prefix = process.env.KAFKA_TOPIC_PREFIX ?? '';
  const replicationFactor = Number(process.env.KAFKA_REPLICATION_FACTOR ?? '-1');
  const args = process.argv.slice(2);
  const specs = (args.length > 0 ? parseTopicArgs(args) : DEFAULT_TOPICS).map((s) => ({
    ...s,
    topic: prefixedTopic(prefix, s.topic),
    replicationFactor,
  }));

  // The same client configuration as the function's (one place for brokers, TLS, client certificates, SASL).
  const kafka = await createKafka(settingsOrExit(() => kafkaConnectionConfigFromEnv(env)));
  const admin = kafka.admin();
  await admin.connect();
  try {
    await ensureTopics(admin, specs, topicConfigsFor());
    console.log(`${specs.length} topic(s) ready on ${brokers.join(',')}`);
  } finally {
    await admin.disconnect();
  }
}

/**
 * Creates the missing topics of `specs` with `configs`. Existing topics are left alone; a
 * differing partition count or a smaller `max.message.bytes` is reported.
 */
export async function ensureTopics(
  admin: Admin,
  specs: readonly TopicSpec[],
  configs: Record<string, string>,
  log: (line: string) => void = console.log,
): Promise<void> {
  const existing = new Set(await admin.listTopics());
  const missing = specs.filter((s) => !existing.has(s.topic));
  const present = specs.filter((s) => existing.has(s.topic));

  if (present.length > 0) {
    const meta = await admin.fetchTopicMetadata({ topics: present.map((s) => s.topic) });
    const described = await admin.describeConfigs({
      includeSynonyms: false,
      resources: present.map((s) => ({
        type: kafkajs.ConfigResourceTypes.TOPIC,
        name: s.topic,
        configNames: ['max.message.bytes'],
      })),
    });
    const wantedBytes = Number(configs['max.message.bytes'] ?? 0);
    for (const s of present) {
      const have = meta.topics.find((t) => t.name === s.topic)?.partitions.length ?? 0;
      const entries = described.resources.find((r) => r.resourceName === s.topic)?.configEntries ?? [];
      const haveBytes = Number(entries.find((e) => e.configName === 'max.message.bytes')?.configValue ?? 0);
      const notes = [
        have === s.numPartitions ? '' : ` (WARNING: wanted ${s.numPartitions} partitions; not changed)`,
        haveBytes >= wantedBytes
          ? ''
          : ` (WARNING: max.message.bytes=${haveBytes} < ${wantedBytes}; see docs/configuration.md, "Message size")`,
      ];
      log(`exists   ${s.topic} partitions=${have}${notes.join('')}`);
    }
  }
  if (missing.length > 0) {
    // waitForLeaders: false, then our own wait: kafkajs' wait bails when the broker's
    // metadata cache still says UNKNOWN_TOPIC_OR_PARTITION right after creation (KRaft).
    await admin.createTopics({
      waitForLeaders: false,
      topics: missing.map((s) => ({
        topic: s.topic,
        numPartitions: s.numPartitions,
        replicationFactor: s.replicationFactor ?? -1,
        configEntries: Object.entries(configs).map(([name, value]) => ({ name, value })),
      })),
    });
    await waitForTopics(admin, missing);
    const shown = Object.entries(configs)
      .map(([k, v]) => ` ${k}=${v}`)
      .join('');
    for (const s of missing) log(`created  ${s.topic} partitions=${s.numPartitions}${shown}`);
  }
}

// Run only when executed directly, so tests can import DEFAULT_TOPICS / parseTopicArgs.
if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((err: unknown) => {
    console.error(`create-topics failed: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  });
}
