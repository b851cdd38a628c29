/**
 * The local event source mapping on a real Apache Kafka broker, fed by a producer other than
 * kafkajs: kcat (librdkafka) with every compression codec mixed in one topic, as users replay
 * events. Also AWS's partial batch response contract end to end on the broker, and
 * `npm run local:esm` as a script: --until-caught-up exit codes, and a loud exit when the
 * consumer cannot go on.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { after, before, test } from 'node:test';
import type { KafkaBatchResponse, KafkaEsmEvent } from '../../lib/event-source/kafka-event.js';
import { messageKeyForText } from '../../lib/pipeline/enrich.js';
import { startLocalEsm } from '../../scripts/lib/local-esm.js';
import { TEST_DOMAIN } from '../support/enrich-harness.js';
import {
  consumeAll,
  createTopics,
  ensureKafka,
  KAFKA_CODEC_IDS,
  kafkaClient,
  kafkaIsManaged,
  kcatProduce,
  REPO_ROOT,
  startKafka,
  stopKafka,
  storedBatchCodecs,
  uniqueTopicName,
  type KcatCodec,
} from '../../scripts/kafka/broker.js';
import { ensureMediaWiki } from '../support/mediawiki.js';
import {
  accountFor,
  assertContentAndPageOrder,
  createPipelineTopics,
  pipelineHandler,
  runLocalEsm,
  type PipelineTopics,
  eventLineOf as eventLine,
  saveInterleavedRevisions,
  type SavedRevision,
} from '../support/pipeline-harness.js';

const CODECS: KcatCodec[] = ['gzip', 'snappy', 'lz4', 'zstd', 'none'];
/** Why a step that stops or starts the broker is skipped. */
const EXTERNAL_BROKER = 'KAFKA_BROKERS names an external broker, which these tests do not stop or start';
let brokers: string[];
let apiUrl: string;
let revisions: SavedRevision[] = [];

before(async () => {
  [{ brokers }, { apiUrl }] = await Promise.all([ensureKafka(), ensureMediaWiki()]);
  // 8 pages, 3 revisions each, interleaved as edits arrive on a wiki.
  revisions = await saveInterleavedRevisions(
    'Codecs',
    8,
    3,
    (round, i) => `Revision ${round} of page ${i}: ${'Zürich 東京 — '.repeat(30 + 7 * i)}${'x'.repeat(round * 500)}`,
  );
});

/** Produces the lines in order with kcat, `per` lines per run, the codec changing every run. */
function kcatReplay(topic: string, lines: string[], per: number): void {
  for (let i = 0, run = 0; i < lines.length; i += per, run++) {
    const chunk = lines.slice(i, i + per).map((value) => ({ key: messageKeyForText(value), value }));
    kcatProduce(brokers, topic, CODECS[run % CODECS.length]!, chunk);
  }
}

test('kcat records of every codec mixed in one topic, across a broker restart: all enriched, content exact, per-page order', {
  timeout: 300_000,
}, async (t) => {
  const topics = await createPipelineTopics(brokers, 'codecs');
  // Each round of revisions is produced before the next, so a page's revisions keep their order.
  const lines = Array.from({ length: 10 }, () => revisions.map(eventLine)).flat(); // 240 records
  kcatReplay(topics.input, lines, 12);
  if (kafkaIsManaged()) {
    const stored = new Set(storedBatchCodecs(topics.input));
    for (const codec of CODECS) assert.ok(stored.has(KAFKA_CODEC_IDS[codec]), `the input topic holds ${codec} batches`);
  }
  const h = pipelineHandler(brokers, apiUrl, topics);
  const esm = await runLocalEsm(brokers, h, topics, { batchSize: 20, maxRetryAttempts: 50 });
  let failed: Error | undefined;
  void esm.failure.then((e) => (failed = e));
  try {
    const deadline = Date.now() + 60_000;
    while (esm.stats.records < 40 && !failed && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    assert.equal(failed, undefined, 'the consumer is running');
    assert.ok(esm.stats.records >= 40, `the consumer made progress (${esm.stats.records} records)`);
    await t.test('the broker restarts mid-run', { skip: !kafkaIsManaged() && EXTERNAL_BROKER }, async () => {
      await stopKafka();
      await new Promise((r) => setTimeout(r, 2000));
      await startKafka();
    });
    const acc = await accountFor(brokers, topics, lines.length, 180_000);
    assert.equal(failed, undefined, 'the consumer survived the restart');
    assert.equal(acc.seen.size, lines.length, 'every input record appears');
    assert.equal(
      acc.errors.length,
      0,
      `no error events: ${acc.errors
        .map((r) => r.value)
        .join('\n')
        .slice(0, 500)}`,
    );
    assert.equal(acc.onFailure.length, 0);
    assertContentAndPageOrder(acc.output, revisions);
    assert.equal((await esm.lag()).total, 0, 'the group committed up to the end');
    console.error(
      `[codecs] records=${lines.length} duplicates=${acc.duplicates} invocations=${esm.stats.invocations} ` +
        `restarts=${esm.stats.consumerRestarts}`,
    );
  } finally {
    await esm.stop();
    await h.close();
  }
});

test("AWS's partial batch contract on the broker: listed retried, unlisted committed, then on-failure", async () => {
  const topic = uniqueTopicName('contract.in');
  const onFailureTopic = uniqueTopicName('contract.on_failure');
  await createTopics(brokers, [
    { topic, numPartitions: 1 },
    { topic: onFailureTopic, numPartitions: 1 },
  ]);
  kcatProduce(
    brokers,
    topic,
    'lz4',
    Array.from({ length: 6 }, (_, i) => ({ key: `k${i}`, value: `record ${i} ${'page text '.repeat(50)}` })),
  );
  if (kafkaIsManaged()) assert.deepEqual(storedBatchCodecs(topic), [KAFKA_CODEC_IDS.lz4]);
  const invocations: number[][] = [];
  let flakyFailed = false;
  const handler = async (event: KafkaEsmEvent): Promise<KafkaBatchResponse> => {
    const records = Object.values(event.records).flat();
    invocations.push(records.map((r) => Number(r.offset)));
    const fail = records.filter((r) => r.offset === 2 || (r.offset === 4 && !flakyFailed));
    if (records.some((r) => r.offset === 4)) flakyFailed = true;
    return { batchItemFailures: fail.map((r) => ({ itemIdentifier: { partition: `${topic}-0`, offset: r.offset } })) };
  };
  const esm = await startLocalEsm(handler, {
    kafka: kafkaClient(brokers),
    topic,
    groupId: `${topic}.group`,
    batchingWindowMs: 100,
    maxRetryAttempts: 2,
    onFailureTopic,
    retryBackoffMs: 50,
  });
  try {
    const dead = await consumeAll(brokers, onFailureTopic, { expected: 1, timeoutMs: 30_000 });
    // Bounded only so that a stuck consumer fails here, with the assertions below, rather than at the test's timeout.
    const deadline = Date.now() + 120_000;
    while ((await esm.lag()).total > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    assert.deepEqual(
      invocations,
      [[0, 1, 2, 3, 4, 5], [2, 4], [2]],
      'only listed records are retried, in offset order',
    );
    assert.equal(dead.length, 1);
    // AWS's record format for a Kafka destination: the record's key; the failure document with the record in payload.
    assert.equal(dead[0]!.key, 'k2');
    const doc = JSON.parse(dead[0]!.value!);
    assert.equal(doc.requestContext.condition, 'RetriesExhausted');
    assert.equal(doc.requestContext.approximateInvokeCount, 3, 'first invocation + 2 retries');
    assert.equal(doc.KafkaBatchInfo.recordInfo.offset, '2');
    const [failed] = doc.payload.records[`${topic}-0`];
    assert.equal(failed.offset, 2);
    assert.equal(
      Buffer.from(failed.value, 'base64').toString(),
      `record 2 ${'page text '.repeat(50)}`,
      'the actual record',
    );
    assert.equal((await esm.lag()).total, 0, 'records 3 and 5 (unlisted) and 4 (then written) are committed');
    assert.equal(esm.stats.sentToOnFailure, 1);
  } finally {
    await esm.stop();
  }
});

test('a function error or an identifier not in the batch fails the whole batch; null then succeeds', async () => {
  const topic = uniqueTopicName('contract.whole');
  await createTopics(brokers, [{ topic, numPartitions: 1 }]);
  // Compressible values: librdkafka sends a batch uncompressed when compressing does not shrink it.
  kcatProduce(
    brokers,
    topic,
    'snappy',
    Array.from({ length: 4 }, (_, i) => ({ key: null, value: `r${i} ${'page text '.repeat(50)}` })),
  );
  if (kafkaIsManaged()) assert.deepEqual(storedBatchCodecs(topic), [KAFKA_CODEC_IDS.snappy]);
  const invocations: number[][] = [];
  const handler = async (event: KafkaEsmEvent): Promise<KafkaBatchResponse | null> => {
    const offsets = Object.values(event.records)
      .flat()
      .map((r) => Number(r.offset));
    invocations.push(offsets);
    if (invocations.length === 1) throw new Error('function error');
    if (invocations.length === 2)
      return { batchItemFailures: [{ itemIdentifier: { partition: `${topic}-0`, offset: 99 } }] };
    return null;
  };
  const esm = await startLocalEsm(handler, {
    kafka: kafkaClient(brokers),
    topic,
    groupId: `${topic}.group`,
    batchingWindowMs: 100,
    retryBackoffMs: 50,
  });
  try {
    const deadline = Date.now() + 120_000;
    while ((invocations.length < 3 || (await esm.lag()).total > 0) && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 100));
    assert.deepEqual(invocations, [
      [0, 1, 2, 3],
      [0, 1, 2, 3],
      [0, 1, 2, 3],
    ]);
    assert.equal(esm.stats.batchFailures, 2);
    assert.equal((await esm.lag()).total, 0);
  } finally {
    await esm.stop();
  }
});

/** Runs `npm run local:esm` as a user would; resolves with its exit code and stderr. */
function runScript(
  args: string[],
  env: Record<string, string>,
  opts: { onStderr?: (text: string) => void; timeoutMs?: number } = {},
) {
  const child = spawn('npx', ['tsx', 'scripts/local-esm.ts', ...args], {
    cwd: REPO_ROOT,
    env: { ...process.env, KAFKA_BROKERS: brokers.join(','), KAFKA_TOPIC_PREFIX: '', ESM_PROGRESS_MS: '1000', ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => {
    stderr += d.toString();
    opts.onStderr?.(stderr);
  });
  const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 120_000);
  return new Promise<{ code: number | null; stderr: string }>((resolve) =>
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stderr });
    }),
  );
}

function scriptEnv(topics: PipelineTopics): Record<string, string> {
  return {
    INPUT_TOPIC: topics.input,
    OUTPUT_TOPIC: topics.output,
    ERROR_TOPIC: topics.error,
    ON_FAILURE_TOPIC: topics.onFailure,
    ESM_GROUP_ID: `${topics.input}.group`,
    ESM_BATCHING_WINDOW_MS: '100',
    MW_API_URL_TEMPLATE: apiUrl,
    MW_API_ALLOWED_DOMAINS: TEST_DOMAIN,
    LOG_LEVEL: 'WARN',
  };
}

test('local:esm --until-caught-up exits 0 once every mixed-codec record is enriched, 1 when one went to on-failure', {
  timeout: 240_000,
}, async () => {
  const topics = await createPipelineTopics(brokers, 'until', { errorTopicConfigs: { 'max.message.bytes': '200' } });
  const lines = revisions.map(eventLine);
  kcatReplay(topics.input, lines, 5);
  const ok = await runScript(['--until-caught-up'], scriptEnv(topics));
  assert.equal(ok.code, 0, ok.stderr);
  assert.match(ok.stderr, /caught up with the topic end/);
  assert.match(ok.stderr, /lag=0/);
  const output = await consumeAll(brokers, topics.output, { expected: lines.length, timeoutMs: 120_000 });
  assert.equal(output.length, lines.length, 'enriched before the script exited');
  assertContentAndPageOrder(output, revisions);

  // A record whose error event the error topic refuses (max.message.bytes 200) is listed until its retries run out.
  kcatProduce(brokers, topics.input, 'zstd', [{ key: null, value: 'not json at all' }]);
  const failed = await runScript(['--until-caught-up'], { ...scriptEnv(topics), ESM_MAX_RETRY_ATTEMPTS: '1' });
  assert.equal(failed.code, 1, failed.stderr);
  assert.match(failed.stderr, /1 record\(s\) went to the on-failure topic/);
  const dead = await consumeAll(brokers, topics.onFailure, { expected: 1, timeoutMs: 120_000 });
  const doc = JSON.parse(dead[0]!.value!) as { payload: { records: Record<string, Array<{ value: string }>> } };
  const [failedRecord] = Object.values(doc.payload.records).flat();
  assert.equal(
    Buffer.from(failedRecord!.value, 'base64').toString(),
    'not json at all',
    'the record, in the failure document',
  );
});

test('local:esm exits non-zero with the cause when the broker is gone longer than the consumer retries', {
  timeout: 300_000,
  skip: !kafkaIsManaged() && 'needs the local broker',
}, async () => {
  const topics = await createPipelineTopics(brokers, 'dead');
  kcatReplay(topics.input, revisions.slice(0, 4).map(eventLine), 4);
  let stopped: Promise<void> | undefined;
  const result = await runScript(
    [],
    { ...scriptEnv(topics), ESM_MAX_CONSUMER_RESTARTS: '0' },
    {
      timeoutMs: 240_000,
      onStderr: (text) => {
        if (!stopped && /lag=0/.test(text)) stopped = stopKafka();
      },
    },
  );
  await stopped;
  await startKafka();
  assert.equal(result.code, 1, result.stderr.slice(-2000));
  assert.match(result.stderr, /FAILED: consumer of .* stopped: /);
});

after(async () => {
  // Leave the broker running for the next file (the runner stops it), but make sure it is up.
  if (kafkaIsManaged()) await startKafka();
});
