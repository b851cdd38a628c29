/**
 * `local:esm --runtime lambda`: the local event source mapping invoking the `cdk synth` asset through Lambda's runtime
 * (scripts/lambda-runtime/), on the real broker and the real wiki.
 *
 * - Records keyed by page across three partitions, in batches of a few: every record is enriched exactly once (no
 *   invocation failed, so none came again), content equal to the wiki's, and per page in the order of its partition,
 *   with one sandbox per partition in flight as Lambda's pollers invoke. Needs no memory cgroup.
 * - A batch its memory size cannot hold: 40 revisions of ~1.9 MiB (the memory issue's worst batch, scaled to the
 *   smallest memory size Lambda offers, 128 MB) in one partition. The kernel kills the sandbox (Runtime.OutOfMemory);
 *   the stand-in reads that as a function error and, with split batch on error as the stack configures it
 *   ("Configuring error handling controls for Kafka event sources"), splits the batch until the halves fit; a new
 *   sandbox (a cold start) takes each retry. Every revision ends up enriched on the output topic, none on the
 *   on-failure topic; records written before a kill come again, and the test counts those duplicates. The content
 *   budget (CONTENT_BUDGET_BYTES) is set above the memory size, so the function holds the whole batch. Needs a memory
 *   cgroup (root); without one it is skipped with the reason.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { before, test } from 'node:test';
import { messageKeyForText } from '../../lib/pipeline/enrich.js';
import { readSettings } from '../../lib/settings/catalogue.js';
import { ensureTopics, topicConfigsFor } from '../../scripts/kafka/create-topics.js';
import { memoryCgroupSupport } from '../../scripts/lambda-runtime/memory-cgroup.js';
import { TEST_DOMAIN } from '../support/enrich-harness.js';
import { pageChangeEvent } from '../../scripts/lib/page-change-events.js';
import { consumeAll, ensureKafka, kafkaClient, REPO_ROOT, uniqueTopicName } from '../../scripts/kafka/broker.js';
import { createRevision, ensureMediaWiki, uniqueTitle } from '../support/mediawiki.js';
import {
  assertContentAndPageOrder,
  createPipelineTopics,
  eventLineOf,
  saveInterleavedRevisions,
} from '../support/pipeline-harness.js';

const REVISIONS = 40;
const cgroups = memoryCgroupSupport();
const prefix = `${uniqueTopicName('rtesm')}.`;
const settings = readSettings({});
const topic = (name: string) => `${prefix}${name}`;
let brokers: string[];
let apiUrl: string;
const revisions: Array<{ pageId: number; revId: number; text: string }> = [];

/** `npm run local:esm -- ARGS` as a user runs it; resolves with its exit code and stderr. */
async function localEsm(args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number | null; stderr: string }> {
  const child = spawn(join(REPO_ROOT, 'node_modules', '.bin', 'tsx'), ['scripts/local-esm.ts', ...args], {
    cwd: REPO_ROOT,
    env: {
      ...process.env,
      KAFKA_BROKERS: brokers.join(','),
      MW_API_URL_TEMPLATE: apiUrl,
      MW_API_ALLOWED_DOMAINS: TEST_DOMAIN,
      POWERTOOLS_LOG_LEVEL: 'WARN',
      ...env,
    },
  });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  child.stdout.resume();
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  return { code, stderr };
}

before(async () => {
  brokers = (await ensureKafka()).brokers;
  apiUrl = (await ensureMediaWiki()).apiUrl;
});

test('keyed records across 3 partitions through the runtime: each enriched once, content exact, per-page partition order', async (t) => {
  const topics = await createPipelineTopics(brokers, 'rtorder');
  // 6 pages, 4 revisions each, saved and produced round by round: a page's revisions in order in its partition.
  const saved = await saveInterleavedRevisions(
    'Runtime order',
    6,
    4,
    (round, i) => `Page ${i}, revision ${round}: ${'Zürich 東京 — '.repeat(20 + i)}`,
  );
  const producer = kafkaClient(brokers).producer();
  await producer.connect();
  await producer.send({
    topic: topics.input,
    messages: saved.map(eventLineOf).map((value) => ({ key: messageKeyForText(value), value })),
  });
  await producer.disconnect();
  const { code, stderr } = await localEsm(['--runtime', 'lambda', '--until-caught-up'], {
    INPUT_TOPIC: topics.input,
    OUTPUT_TOPIC: topics.output,
    ERROR_TOPIC: topics.error,
    ON_FAILURE_TOPIC: topics.onFailure,
    KAFKA_TOPIC_PREFIX: '',
    ESM_GROUP_ID: `${topics.input}.group`,
    ESM_BATCH_SIZE: '3',
    ESM_BATCHING_WINDOW_MS: '100',
  });
  t.diagnostic(
    stderr
      .split('\n')
      .filter((l) => /sandbox \d+:|caught up/.test(l))
      .join('\n'),
  );
  assert.equal(code, 0, `caught up with nothing sent on: ${stderr.slice(-3000)}`);
  assert.match(stderr, /sandbox \d+: REPORT RequestId/, 'invoked through the runtime');
  assert.doesNotMatch(stderr, /whole batch failed|retrying|splitting/, 'no invocation failed');
  assert.match(stderr, /cold_starts=[1-9]\d* sandboxes_killed=0 lag=0/);

  const output = await consumeAll(brokers, topics.output, { expected: saved.length });
  const sources = output.map((r) => `${r.headers.source_partition}:${r.headers.source_offset}`);
  assert.equal(new Set(sources).size, output.length, `each input record once: ${sources.sort().join(' ')}`);
  assert.equal(output.length, saved.length, 'every record enriched');
  assert.ok(new Set(output.map((r) => r.headers.source_partition)).size > 1, 'the pages spread over partitions');
  assertContentAndPageOrder(output, saved);
  assert.equal((await consumeAll(brokers, topics.error, { quietMs: 500 })).length, 0, 'no error events');
});

/** The worst batch: produced only where a memory cgroup can kill it. */
async function produceWorstBatch(): Promise<void> {
  const admin = kafkaClient(brokers).admin();
  await admin.connect();
  await ensureTopics(
    admin,
    [
      { topic: topic(settings.INPUT_TOPIC), numPartitions: 1 },
      { topic: topic(settings.OUTPUT_TOPIC), numPartitions: 3 },
      { topic: topic(settings.ERROR_TOPIC), numPartitions: 1 },
      { topic: topic(settings.ON_FAILURE_TOPIC), numPartitions: 1 },
    ],
    topicConfigsFor({}),
    () => undefined,
  );
  await admin.disconnect();
  const title = uniqueTitle('Worst batch');
  for (let i = 0; i < REVISIONS; i++) {
    // ~1.9 MiB of wikitext a revision (MediaWiki's limit is 2 MiB), different each time.
    const text = `revision ${i}\n${`${i} ${'lorem ipsum dolor sit amet '.repeat(40)}\n`.repeat(1800)}`;
    revisions.push(await createRevision(title, text));
  }
  const producer = kafkaClient(brokers).producer();
  await producer.connect();
  await producer.send({
    topic: topic(settings.INPUT_TOPIC),
    messages: revisions.map((r) => ({
      value: JSON.stringify(
        pageChangeEvent({ domain: TEST_DOMAIN, pageId: r.pageId, revId: r.revId, content: r.text }),
      ),
    })),
  });
  await producer.disconnect();
}

test('a batch too big for 128 MB is killed, split until it fits, and completes; duplicates counted', {
  skip: cgroups.available ? false : `no memory cgroup: ${cgroups.reason}`,
}, async (t) => {
  await produceWorstBatch();
  const { code, stderr } = await localEsm(['--runtime', 'lambda', '--until-caught-up', '-c', 'memorySize=128'], {
    KAFKA_TOPIC_PREFIX: prefix,
    ESM_GROUP_ID: `${prefix}group`,
    ESM_BATCH_SIZE: String(REVISIONS),
    ESM_BATCHING_WINDOW_MS: '1000',
    ESM_MAX_RETRY_ATTEMPTS: '10',
    ESM_BISECT_BATCH_ON_ERROR: 'true',
    ESM_PROGRESS_MS: '2000',
    // The content budget (1/8 of the memory size by default) fetches a batch in windows that fit; set above the
    // memory size here, the whole batch is held at once, as a function without it would: the worst case.
    CONTENT_BUDGET_BYTES: String(256 * 1024 * 1024),
  });
  t.diagnostic(
    stderr
      .split('\n')
      .filter((l) => /sandbox|splitting|REPORT|caught up/.test(l))
      .join('\n'),
  );
  assert.equal(code, 0, `caught up with nothing sent on: ${stderr.slice(-3000)}`);
  assert.match(stderr, /memory limit: 128 MB/);
  assert.match(stderr, /Error Type: Runtime\.OutOfMemory/, 'the whole batch was killed at its memory size');
  assert.match(
    stderr,
    /whole batch failed \(function error: FunctionError: Runtime\.OutOfMemory/,
    'the kill is a function error to the stand-in',
  );
  assert.match(stderr, /sandbox \d+ is gone \(Runtime\.OutOfMemory\); the next invocation starts a new one/);
  assert.match(stderr, /splitting 40 record\(s\) from offset 0 in two/, 'the killed batch was split');
  assert.match(stderr, /sandboxes_killed=[1-9]\d* lag=0/);

  // Every record the topic holds, duplicates included (2 MiB records: counted first, then read to that count).
  const admin = kafkaClient(brokers).admin();
  await admin.connect();
  const offsets = await admin.fetchTopicOffsets(topic(settings.OUTPUT_TOPIC));
  await admin.disconnect();
  const held = offsets.reduce((n, p) => n + Number(p.high) - Number(p.low), 0);
  const output = await consumeAll(brokers, topic(settings.OUTPUT_TOPIC), { timeoutMs: 120_000, expected: held });
  assert.equal(output.length, held);
  const perRevision = new Map<number, number>();
  for (const r of output) {
    const revId = (JSON.parse(r.value!) as { revision: { rev_id: number } }).revision.rev_id;
    perRevision.set(revId, (perRevision.get(revId) ?? 0) + 1);
  }
  assert.deepEqual(
    [...perRevision.keys()].sort((a, b) => a - b),
    revisions.map((r) => r.revId).sort((a, b) => a - b),
    'every revision enriched',
  );
  const duplicates = output.length - perRevision.size;
  t.diagnostic(`${output.length} enriched events for ${perRevision.size} revisions: ${duplicates} duplicate(s)`);
  assert.equal(
    (await consumeAll(brokers, topic(settings.ON_FAILURE_TOPIC), { quietMs: 500 })).length,
    0,
    'nothing on the on-failure topic',
  );
});
