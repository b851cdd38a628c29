/**
 * The project's real single-node Kafka broker for the tests and the bench, from TypeScript
 * (scripts/kafka/{fetch,start,stop}.sh: Apache Kafka in KRaft mode on 127.0.0.1): fetch, start, stop,
 * topics, consuming and kcat. A development tool: scripts/ sits below test/ and bench/, which both use it.
 *
 *   const { brokers } = await ensureKafka();          // fetch + start if needed
 *   const topic = uniqueTopicName('enrich-it');
 *   await createTopics(brokers, [{ topic, numPartitions: 3 }]);
 *   ... produce ...
 *   const records = await consumeAll(brokers, topic, { expected: 10 });
 *   await stopKafka(); await startKafka();             // restart, data kept
 *
 * Environment:
 *   KAFKA_BROKERS  use this external broker list; nothing is started, and
 *                  stopKafka/startKafka throw (see kafkaIsManaged()).
 *   KAFKA_PORT, KAFKA_CONTROLLER_PORT, KAFKA_LOCAL_DIR, ...: passed on to the scripts.
 *   KAFKAJS_LOG_LEVEL  NOTHING (default) | ERROR | WARN | INFO | DEBUG for clients made here.
 */
import { execFile, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Kafka, logLevel, type IHeaders, type KafkaConfig } from 'kafkajs';
import { registerKafkaCodecs } from '../../lib/kafka/kafka-codecs.js';
import { waitForTopics } from './create-topics.js';

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const SCRIPTS_DIR = path.join(REPO_ROOT, 'scripts', 'kafka');

/** State directory of the locally managed broker (data/, broker.log, broker.pid, server.properties). */
export const KAFKA_LOCAL_DIR = process.env.KAFKA_LOCAL_DIR ?? path.join(REPO_ROOT, '.local', 'kafka');
export const KAFKA_DATA_DIR = path.join(KAFKA_LOCAL_DIR, 'data');
export const KAFKA_LOG_FILE = path.join(KAFKA_LOCAL_DIR, 'broker.log');
const KAFKA_PID_FILE = path.join(KAFKA_LOCAL_DIR, 'broker.pid');

export interface ConsumedRecord {
  partition: number;
  offset: string;
  key: string | null;
  value: string | null;
  headers: Record<string, string>;
  /** The record's Kafka timestamp, ms since the epoch. */
  timestamp: number;
}

export interface TopicToCreate {
  topic: string;
  numPartitions: number;
  configs?: Record<string, string>;
}

/** True when the broker is the local one these helpers start and stop (KAFKA_BROKERS unset). */
export function kafkaIsManaged(): boolean {
  return !process.env.KAFKA_BROKERS;
}

function parseBrokers(list: string): string[] {
  return list
    .split(',')
    .map((b) => b.trim())
    .filter(Boolean);
}

function clientLogLevel(): logLevel {
  const name = (process.env.KAFKAJS_LOG_LEVEL ?? 'NOTHING').toUpperCase();
  const level = (logLevel as unknown as Record<string, logLevel | undefined>)[name];
  return level ?? logLevel.NOTHING;
}

/**
 * A kafkajs client for the test broker (quiet by default; see KAFKAJS_LOG_LEVEL). Its consumers
 * read every Kafka codec (gzip, snappy, lz4, zstd), as Lambda's event source mapping does.
 */
export function kafkaClient(brokers: string[], overrides: Partial<KafkaConfig> = {}): Kafka {
  registerKafkaCodecs();
  return new Kafka({
    clientId: 'test-support',
    brokers,
    logLevel: clientLogLevel(),
    connectionTimeout: 3000,
    retry: { retries: 8, initialRetryTime: 100, maxRetryTime: 2000 },
    ...overrides,
  });
}

function runScript(script: string, args: string[] = []): Promise<{ stdout: string; stderr: string }> {
  // A broker (re)started on a busy machine can take most of start.sh's default minute (47 s seen with one core kept
  // busy): the tests wait up to five, and fail on what the broker says rather than on a slow start.
  const env = { KAFKA_START_TIMEOUT: '300', ...process.env };
  return new Promise((resolve, reject) => {
    execFile(
      'bash',
      [path.join(SCRIPTS_DIR, script), ...args],
      { cwd: REPO_ROOT, env, maxBuffer: 16 * 1024 * 1024, timeout: 10 * 60 * 1000 },
      (error, stdout, stderr) => {
        if (process.env.KAFKA_SCRIPTS_VERBOSE) process.stderr.write(stderr);
        if (error) {
          reject(new Error(`scripts/kafka/${script} ${args.join(' ')} failed: ${error.message}\n${stderr}`));
        } else {
          resolve({ stdout, stderr });
        }
      },
    );
  });
}

/** Pid of the locally managed broker if it is running, else undefined. */
export function localBrokerPid(): number | undefined {
  if (!existsSync(KAFKA_PID_FILE)) return undefined;
  const pid = Number(readFileSync(KAFKA_PID_FILE, 'utf8').trim());
  if (!Number.isInteger(pid) || pid <= 0) return undefined;
  try {
    process.kill(pid, 0);
    return pid;
  } catch {
    return undefined;
  }
}

let ensured: Promise<{ brokers: string[]; started: boolean }> | undefined;

/**
 * Makes sure a broker is available and returns its bootstrap list.
 * With KAFKA_BROKERS set, returns that list and starts nothing. Otherwise runs
 * scripts/kafka/start.sh (fetches jars on first use, formats storage, starts the
 * broker, waits for a metadata response). `started` is true when this call
 * started the broker (so the caller may stop it in an `after` hook).
 */
export function ensureKafka(): Promise<{ brokers: string[]; started: boolean }> {
  if (process.env.KAFKA_BROKERS) {
    return Promise.resolve({ brokers: parseBrokers(process.env.KAFKA_BROKERS), started: false });
  }
  ensured ??= (async () => {
    const wasRunning = localBrokerPid() !== undefined;
    const { stdout } = await runScript('start.sh');
    const line = stdout
      .split('\n')
      .reverse()
      .find((l) => l.startsWith('KAFKA_BROKERS='));
    if (!line) throw new Error(`scripts/kafka/start.sh printed no KAFKA_BROKERS line:\n${stdout}`);
    return { brokers: parseBrokers(line.slice('KAFKA_BROKERS='.length)), started: !wasRunning };
  })();
  ensured.catch(() => {
    ensured = undefined;
  });
  return ensured;
}

function assertManaged(what: string): void {
  if (!kafkaIsManaged()) {
    throw new Error(`${what}: KAFKA_BROKERS is set (external broker), so the local broker is not managed here`);
  }
}

/**
 * Stops the local broker (SIGTERM and wait for a clean shutdown; `kill: true`
 * sends SIGKILL, i.e. a crash). Data is kept. No-op when it is not running.
 */
export async function stopKafka(opts: { kill?: boolean } = {}): Promise<void> {
  assertManaged('stopKafka');
  await runScript('stop.sh', opts.kill ? ['--kill'] : []);
}

/** Starts the local broker again (keeping its data) and waits until it answers. No-op when running. */
export async function startKafka(): Promise<void> {
  assertManaged('startKafka');
  await runScript('start.sh');
}

/** Creates the topics that do not exist yet and waits until they all have partition leaders. */
export async function createTopics(brokers: string[], topics: TopicToCreate[]): Promise<void> {
  const admin = kafkaClient(brokers, { clientId: 'test-support-admin' }).admin();
  await admin.connect();
  try {
    const existing = new Set(await admin.listTopics());
    const missing = topics.filter((t) => !existing.has(t.topic));
    if (missing.length > 0) {
      await admin.createTopics({
        waitForLeaders: false,
        topics: missing.map((t) => ({
          topic: t.topic,
          numPartitions: t.numPartitions,
          configEntries: Object.entries(t.configs ?? {}).map(([name, value]) => ({ name, value })),
        })),
      });
    }
    // Topics that already existed only need leaders (their partition count is not changed).
    await waitForTopics(admin, [
      ...missing,
      ...topics.filter((t) => existing.has(t.topic)).map((t) => ({ topic: t.topic, numPartitions: 1 })),
    ]);
  } finally {
    await admin.disconnect();
  }
}

/** Deletes the topics that exist (missing ones are ignored). */
export async function deleteTopics(brokers: string[], topics: string[]): Promise<void> {
  const admin = kafkaClient(brokers, { clientId: 'test-support-admin' }).admin();
  await admin.connect();
  try {
    const existing = new Set(await admin.listTopics());
    const present = topics.filter((t) => existing.has(t));
    if (present.length > 0) await admin.deleteTopics({ topics: present });
  } finally {
    await admin.disconnect();
  }
}

function headerValue(v: IHeaders[string]): string | undefined {
  if (v === undefined) return undefined;
  if (Array.isArray(v)) return v.map((x) => x.toString()).join(',');
  return v.toString();
}

/**
 * Reads `topic` from the beginning with a fresh consumer group until `expected`
 * records have been seen, or (without `expected`) until every partition has
 * been read up to its end offset and nothing new arrived for `quietMs` (500 ms).
 * Gives up after `timeoutMs` (30 s) and returns what it has: assert on the length.
 * Records come back sorted by partition, then offset.
 */
export async function consumeAll(
  brokers: string[],
  topic: string,
  opts: { timeoutMs?: number; expected?: number; quietMs?: number } = {},
): Promise<ConsumedRecord[]> {
  const timeoutMs = opts.timeoutMs ?? 30_000;
  const quietMs = opts.quietMs ?? 500;
  const kafka = kafkaClient(brokers, { clientId: 'test-support-consume-all' });
  const admin = kafka.admin();
  const consumer = kafka.consumer({
    groupId: `consume-all-${topic}-${Date.now()}-${randomBytes(4).toString('hex')}`,
    sessionTimeout: 10_000,
    heartbeatInterval: 1_000,
    maxWaitTimeInMs: 100,
  });
  const records: ConsumedRecord[] = [];
  const nextOffset = new Map<number, bigint>();
  let lastActivity = Date.now();
  let joined = false;

  await admin.connect();
  try {
    await consumer.connect();
    consumer.on(consumer.events.GROUP_JOIN, () => {
      joined = true;
      lastActivity = Date.now();
    });
    // Where the fetch position of each partition stands after a batch, control records (transaction markers)
    // included, which eachMessage never sees: "caught up" is then exact, without waiting for a quiet spell.
    consumer.on(consumer.events.END_BATCH_PROCESS, ({ payload }) => {
      if (payload.topic !== topic) return;
      const next = BigInt(payload.lastOffset) + 1n;
      if (next > (nextOffset.get(payload.partition) ?? -1n)) nextOffset.set(payload.partition, next);
    });
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachMessage: async ({ partition, message }) => {
        records.push({
          partition,
          offset: message.offset,
          key: message.key === null ? null : message.key.toString(),
          value: message.value === null ? null : message.value.toString(),
          headers: Object.fromEntries(
            Object.entries(message.headers ?? {}).flatMap(([k, v]) => {
              const s = headerValue(v);
              return s === undefined ? [] : [[k, s]];
            }),
          ),
          timestamp: Number(message.timestamp),
        });
        nextOffset.set(partition, BigInt(message.offset) + 1n);
        lastActivity = Date.now();
      },
    });

    const deadline = Date.now() + timeoutMs;
    const caughtUp = async (): Promise<boolean> => {
      let ends: Awaited<ReturnType<typeof admin.fetchTopicOffsets>>;
      try {
        ends = await admin.fetchTopicOffsets(topic);
      } catch {
        return false; // e.g. broker briefly unavailable: try again on the next tick
      }
      return ends.every((p) => {
        const high = BigInt(p.high);
        // Empty (or fully deleted) partitions count as read; otherwise the consumer has read up to the high watermark.
        return high <= BigInt(p.low) || (nextOffset.get(p.partition) ?? BigInt(p.low)) >= high;
      });
    };
    for (;;) {
      await new Promise((r) => setTimeout(r, 100));
      if (opts.expected !== undefined) {
        if (records.length >= opts.expected) break;
      } else if (joined) {
        if (Date.now() - lastActivity >= quietMs && (await caughtUp())) break;
      }
      if (Date.now() >= deadline) break;
    }
  } finally {
    await consumer.disconnect().catch(() => {});
    await admin.disconnect().catch(() => {});
  }
  return records.sort((a, b) =>
    a.partition !== b.partition ? a.partition - b.partition : Number(BigInt(a.offset) - BigInt(b.offset)),
  );
}

/** A topic name unique to this process and call, e.g. `it.kafka-broker-lq3k2x-1234-9f3a1c`. */
export function uniqueTopicName(prefix: string): string {
  const clean = prefix.replace(/[^a-zA-Z0-9._-]/g, '-');
  return `${clean}-${Date.now().toString(36)}-${process.pid}-${randomBytes(3).toString('hex')}`;
}

/** Kafka's codec ids in a record batch's attributes. */
export const KAFKA_CODEC_IDS = { none: 0, gzip: 1, snappy: 2, lz4: 3, zstd: 4 } as const;
export type KcatCodec = keyof typeof KAFKA_CODEC_IDS;

/**
 * Produces `records` with kcat (librdkafka, Debian package `kcat`), compressed with `codec`, in
 * one run: a producer other than kafkajs, as users replay events. Keys and values must not
 * contain a tab or a newline. Throws when kcat is missing or reports a failed delivery.
 */
export function kcatProduce(
  brokers: string[],
  topic: string,
  codec: KcatCodec,
  records: Array<{ key: string | null; value: string }>,
): void {
  const input = `${records.map((r) => `${r.key ?? ''}\t${r.value}`).join('\n')}\n`;
  // -X linger.ms: one batch per run where possible, so each codec really lands as its own batches.
  const config = ['-X', 'linger.ms=50', '-X', 'enable.idempotence=true'];
  const args = ['-P', '-b', brokers.join(','), '-t', topic, '-z', codec, '-K', '\t', ...config];
  const res = spawnSync('kcat', args, { input, encoding: 'utf8', timeout: 60_000 });
  if (res.error) throw new Error(`kcat failed to run (apt-get install kcat): ${res.error.message}`);
  if (res.status !== 0 || /Delivery failed|%[0-3]\|/.test(res.stderr)) {
    throw new Error(`kcat -P -z ${codec} exited ${res.status}: ${res.stderr}`);
  }
}

/** One record batch stored for a topic on the local broker, as its header says. */
export interface StoredBatch {
  readonly partition: number;
  /** RecordBatch format version: 2 for every batch Kafka 4 writes. */
  readonly magic: number;
  /** Codec id of the batch ({@link KAFKA_CODEC_IDS}). */
  readonly codec: number;
  /** The idempotent or transactional producer that wrote it, -1 for neither. */
  readonly producerId: bigint;
}

/**
 * The record batches stored for `topic`, read from the local broker's log segments: proof of what a test really
 * put on the topic. RecordBatch v2: baseOffset int64, batchLength int32, partitionLeaderEpoch int32, magic int8
 * (@16), crc int32, attributes int16 (@21, codec in the low 3 bits), lastOffsetDelta int32, baseTimestamp int64,
 * maxTimestamp int64, producerId int64 (@43).
 */
export function storedBatches(topic: string): StoredBatch[] {
  const batches: StoredBatch[] = [];
  for (const dir of readdirSync(KAFKA_DATA_DIR)) {
    const m = dir.match(/^(.*)-(\d+)$/);
    if (!m || m[1] !== topic) continue;
    for (const file of readdirSync(path.join(KAFKA_DATA_DIR, dir)).filter((f) => f.endsWith('.log'))) {
      const buf = readFileSync(path.join(KAFKA_DATA_DIR, dir, file));
      for (let pos = 0; pos + 61 <= buf.length; pos += 12 + buf.readInt32BE(pos + 8)) {
        if (buf.readInt32BE(pos + 8) === 0) break; // preallocated tail
        batches.push({
          partition: Number(m[2]),
          magic: buf.readInt8(pos + 16),
          codec: buf.readInt16BE(pos + 21) & 0x7,
          producerId: buf.readBigInt64BE(pos + 43),
        });
      }
    }
  }
  return batches;
}

/** Codec ids of the record batches stored for `topic` ({@link storedBatches}). */
export function storedBatchCodecs(topic: string): number[] {
  return storedBatches(topic).map((b) => b.codec);
}
