/**
 * Redrive on a real Apache Kafka broker and a real MediaWiki: an outage (the wiki answering 503
 * through the fault proxy) turns a batch into error events; once the wiki is back, `npm run redrive`
 * (the real CLI, as a subprocess) brings each of them to the output topic exactly once, through the
 * local event source mapping and the real handler. Non-retryable ones stay; a dry run changes
 * nothing; a run cut short by --max and run again redrives nothing twice; a record that keeps
 * failing stops at the redrive limit; on-failure records go back with their original key.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { after, before, test } from 'node:test';
import type { Context } from 'aws-lambda';
import { messageKeyForText } from '../../lib/pipeline/enrich.js';
import type { KafkaEsmEvent } from '../../lib/event-source/kafka-event.js';
import type { RedriveSummary } from '../../lib/redrive/tally.js';
import { TEST_DOMAIN } from '../support/enrich-harness.js';
import { pageChangeEvent } from '../../scripts/lib/page-change-events.js';
import { startFaultProxy, type FaultProxy } from '../support/fault-proxy.js';
import { consumeAll, ensureKafka, kafkaClient, REPO_ROOT } from '../../scripts/kafka/broker.js';
import { ensureMediaWiki } from '../support/mediawiki.js';
import {
  accountFor,
  createPipelineTopics,
  pipelineHandler,
  runLocalEsm,
  type PipelineTopics,
  eventLineOf as eventLine,
  saveInterleavedRevisions,
  type SavedRevision,
} from '../support/pipeline-harness.js';

let brokers: string[];
let apiUrl: string;
let proxy: FaultProxy;
let revisions: SavedRevision[] = [];

before(async () => {
  [{ brokers }, { apiUrl }] = await Promise.all([ensureKafka(), ensureMediaWiki()]);
  proxy = await startFaultProxy(apiUrl);
  // 6 pages, 2 revisions each, interleaved as edits arrive.
  revisions = await saveInterleavedRevisions(
    'Redrive',
    6,
    2,
    (round, i) => `Revision ${round} of page ${i}: ${'Grüße 🌍 '.repeat(5 + i)}`,
  );
});

after(async () => {
  await proxy?.close();
});

async function produceLines(topic: string, lines: string[]): Promise<void> {
  const producer = kafkaClient(brokers).producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  try {
    await producer.send({
      topic,
      acks: -1,
      messages: lines.map((value) => ({ key: messageKeyForText(value), value })),
    });
  } finally {
    await producer.disconnect();
  }
}

/** Runs `npm run redrive` (scripts/redrive.ts) on the test topics: the summary from stdout, progress from stderr. */
function redrive(topics: PipelineTopics, args: string[]): { summary: RedriveSummary; stderr: string } {
  const out = spawnSync('npx', ['tsx', 'scripts/redrive.ts', ...args], {
    cwd: REPO_ROOT,
    encoding: 'utf8',
    timeout: 120_000,
    env: {
      ...process.env,
      KAFKA_BROKERS: brokers.join(','),
      KAFKA_TOPIC_PREFIX: '',
      INPUT_TOPIC: topics.input,
      ERROR_TOPIC: topics.error,
      ON_FAILURE_TOPIC: topics.onFailure,
      KAFKA_LOG_LEVEL: 'NOTHING',
    },
  });
  assert.equal(out.status, 0, `redrive ${args.join(' ')} failed:\n${out.stderr}`);
  return { summary: JSON.parse(out.stdout) as RedriveSummary, stderr: out.stderr };
}

async function endOffsets(topic: string): Promise<string[]> {
  const admin = kafkaClient(brokers).admin();
  await admin.connect();
  try {
    return (await admin.fetchTopicOffsets(topic)).sort((a, b) => a.partition - b.partition).map((p) => p.high);
  } finally {
    await admin.disconnect();
  }
}

async function committedOffsets(groupId: string, topic: string): Promise<string[]> {
  const admin = kafkaClient(brokers).admin();
  await admin.connect();
  try {
    const [t] = await admin.fetchOffsets({ groupId, topics: [topic] });
    return t!.partitions.map((p) => p.offset);
  } finally {
    await admin.disconnect();
  }
}

/** Waits for `expected` output records, then for the topic to be quiet, and returns all of them. */
async function outputOf(topics: PipelineTopics, expected: number) {
  await consumeAll(brokers, topics.output, { expected, timeoutMs: 90_000 });
  return consumeAll(brokers, topics.output, { quietMs: 1500 });
}

test('after an outage: dry run changes nothing; redrive (--max, then resumed) brings every error to the output once', {
  timeout: 300_000,
}, async () => {
  const topics = await createPipelineTopics(brokers, 'redrive');
  const group = `${topics.error}.redrive`;
  const good = revisions.map(eventLine);
  const lines = [...good, 'not json at all', JSON.stringify(pageChangeEvent({ domain: 'evil.example.com' }))];
  const h = pipelineHandler(brokers, proxy.url, topics, { api: { maxRetries: 1, retryBaseMs: 5, retryMaxMs: 20 } });
  const esm = await runLocalEsm(brokers, h, topics);
  try {
    // The outage: every request to the wiki answers 503.
    proxy.setDefault({ kind: 'status', status: 503 });
    await produceLines(topics.input, lines);
    const outage = await accountFor(brokers, topics, lines.length, 90_000);
    assert.equal(outage.output.length, 0);
    const types = outage.errors.map((r) => JSON.parse(r.value!).error_type as string);
    assert.equal(types.filter((t) => t === 'MediaWikiHttpServerError').length, good.length);
    assert.deepEqual(types.filter((t) => t !== 'MediaWikiHttpServerError').sort(), ['DomainNotAllowed', 'InvalidJson']);

    // The wiki is back.
    proxy.setDefault(undefined);
    const inputBefore = await endOffsets(topics.input);

    // Look: a dry run counts per type and wiki, shows a sample, and neither produces nor commits.
    const dry = redrive(topics, ['--from', 'error', '--dry-run', '--group', group]).summary;
    assert.equal(dry.dryRun, true);
    assert.equal(dry.read, lines.length);
    assert.equal(dry.selected, good.length);
    assert.equal(dry.produced, 0);
    assert.deepEqual(dry.skipped, { 'non-retryable': 2 });
    assert.deepEqual(dry.byErrorType.MediaWikiHttpServerError, { selected: good.length, skipped: 0 });
    assert.deepEqual(dry.byWiki.devwiki, { selected: good.length, skipped: 1 });
    assert.equal(dry.samples.length, 3);
    assert.equal(dry.samples[0]!.event.domain, TEST_DOMAIN);
    assert.ok(revisions.some((r) => r.revId === dry.samples[0]!.event.rev_id));
    assert.ok(good.map(messageKeyForText).includes(dry.samples[0]!.key), 'the sample has the original key');
    assert.deepEqual(await endOffsets(topics.input), inputBefore, 'the dry run produced nothing');
    assert.deepEqual(await committedOffsets(group, topics.error), ['-1'], 'the dry run committed nothing');

    // Redrive, interrupted after 5 records...
    const first = redrive(topics, ['--from', 'error', '--max', '5', '--group', group]);
    assert.equal(first.summary.stoppedBy, 'max');
    assert.equal(first.summary.selected, 5);
    assert.equal(first.summary.produced, 5);
    assert.match(first.stderr, /selected=5 produced=5/);
    // ...and resumed: the rest, none of the first five again.
    const second = redrive(topics, ['--from', 'error', '--group', group]).summary;
    assert.equal(second.stoppedBy, 'caught-up');
    assert.equal(second.selected, good.length - 5);
    assert.equal(second.produced, good.length - 5);
    assert.equal((first.summary.skipped['non-retryable'] ?? 0) + (second.skipped['non-retryable'] ?? 0), 2);

    // Verify: every revision on the output once, with the wiki's content, in page order, linked to its error event.
    const output = await outputOf(topics, good.length);
    assert.equal(output.length, good.length, 'each redriven record reached the output once');
    const byRev = new Map(revisions.map((r) => [r.revId, r]));
    const seen = new Set<number>();
    const orderPerPage = new Map<number, number[]>();
    const errorOffsets = new Set(outage.errors.map((r) => r.offset));
    for (const r of output) {
      const e = JSON.parse(r.value!);
      const rev = byRev.get(e.revision.rev_id)!;
      assert.ok(!seen.has(rev.revId), `revision ${rev.revId} twice`);
      seen.add(rev.revId);
      assert.equal(e.revision.content_slots.main.content_body, rev.text);
      assert.equal(r.key, JSON.stringify({ wiki_id: 'devwiki', page_id: rev.pageId }));
      assert.equal(r.headers.redrive_count, '1');
      assert.equal(r.headers.redrive_from_topic, topics.error);
      assert.equal(r.headers.redrive_error_type, 'MediaWikiHttpServerError');
      assert.ok(errorOffsets.has(r.headers.redrive_from_offset!), 'links to an error event');
      (orderPerPage.get(rev.pageId) ?? orderPerPage.set(rev.pageId, []).get(rev.pageId)!).push(rev.revId);
    }
    assert.equal(seen.size, good.length);
    for (const [page, revs] of orderPerPage)
      assert.deepEqual(
        revs,
        [...revs].sort((a, b) => a - b),
        `order of page ${page}`,
      );

    // Non-retryable ones stay: nothing else went back to the input, no new error event appeared.
    const input = await consumeAll(brokers, topics.input, { quietMs: 500 });
    assert.equal(input.length, lines.length + good.length);
    const errorsAfter = await consumeAll(brokers, topics.error, { quietMs: 500 });
    assert.equal(errorsAfter.length, lines.length);
    // A third run finds nothing new.
    const third = redrive(topics, ['--from', 'error', '--group', group]).summary;
    assert.equal(third.read, 0);
    assert.equal(third.produced, 0);
    // Naming a non-retryable type redrives it (a fresh group reads the topic from the start).
    const named = redrive(topics, [
      '--from',
      'error',
      '--error-types',
      'DomainNotAllowed',
      '--group',
      `${group}.named`,
      '--dry-run',
    ]).summary;
    assert.equal(named.selected, 1);
    assert.deepEqual(named.skipped, { 'type-not-selected': lines.length - 1 });
  } finally {
    proxy.setDefault(undefined);
    await esm.stop();
    await h.close();
  }
});

test('a record that fails again keeps its redrive count, and stops at the redrive limit (reported)', {
  timeout: 240_000,
}, async () => {
  const topics = await createPipelineTopics(brokers, 'redrive-loop');
  const group = `${topics.error}.redrive`;
  const h = pipelineHandler(brokers, proxy.url, topics, { api: { maxRetries: 0 } });
  const esm = await runLocalEsm(brokers, h, topics);
  try {
    proxy.setDefault({ kind: 'status', status: 503 }); // the wiki stays down
    await produceLines(topics.input, [eventLine(revisions[0]!)]);
    await consumeAll(brokers, topics.error, { expected: 1, timeoutMs: 60_000 });
    const once = redrive(topics, ['--from', 'error', '--group', group, '--max-redrives', '1']).summary;
    assert.equal(once.produced, 1);
    // It fails again: the new error event carries the count from the redriven input record.
    const errors = await consumeAll(brokers, topics.error, { expected: 2, timeoutMs: 60_000 });
    assert.equal(errors.length, 2);
    assert.equal(errors[1]!.headers.redrive_count, '1');
    assert.equal(errors[1]!.headers.redrive_from_offset, errors[0]!.offset);
    const again = redrive(topics, ['--from', 'error', '--group', group, '--max-redrives', '1']).summary;
    assert.equal(again.produced, 0);
    assert.deepEqual(again.skipped, { 'redrive-limit': 1 });
    assert.deepEqual(
      again.reported.map((r) => [r.offset, r.reason]),
      [[errors[1]!.offset, 'redrive-limit']],
    );

    // The Lambda function runs the same redrive from its environment; it may use only groups under its prefix.
    const saved = { ...process.env };
    Object.assign(process.env, {
      KAFKA_BROKERS: brokers.join(','),
      KAFKA_TOPIC_PREFIX: '',
      KAFKA_LOG_LEVEL: 'NOTHING',
      INPUT_TOPIC: topics.input,
      ERROR_TOPIC: topics.error,
      REDRIVE_GROUP_PREFIX: `${topics.error}.fn.`,
    });
    try {
      const { handler } = await import('../../functions/redrive/handler.js');
      const context = { getRemainingTimeInMillis: () => 120_000 } as Context;
      const fromFn = await handler({ from: 'error', dryRun: true, maxRedrives: 1 }, context);
      assert.equal(fromFn.groupId, `${topics.error}.fn.error`);
      assert.equal(fromFn.read, 2);
      assert.equal(fromFn.selected, 1);
      assert.deepEqual(fromFn.skipped, { 'redrive-limit': 1 });
      assert.equal(fromFn.produced, 0);
      await assert.rejects(handler({ from: 'error', groupId: 'someone-elses-group' }, context), /must start with/);
    } finally {
      for (const key of Object.keys(process.env)) if (!(key in saved)) delete process.env[key];
      Object.assign(process.env, saved);
    }
  } finally {
    proxy.setDefault(undefined);
    await esm.stop();
    await h.close();
  }
});

test('on-failure records go back with their original key and value, and reach the output', {
  timeout: 240_000,
}, async () => {
  const topics = await createPipelineTopics(brokers, 'redrive-onfailure');
  const lines = revisions.slice(0, 4).map(eventLine);
  // A function that fails every invocation (a bad deployment, say): the mapping gives up and the
  // records go to the on-failure topic.
  const broken = async (_event: KafkaEsmEvent, _context: Context) => {
    throw new Error('injected: the function is broken');
  };
  const failing = await runLocalEsm(brokers, { handler: broken } as never, topics, {
    maxRetryAttempts: 0,
    groupId: `${topics.input}.group`,
  });
  try {
    await produceLines(topics.input, lines);
    await consumeAll(brokers, topics.onFailure, { expected: lines.length, timeoutMs: 60_000 });
  } finally {
    await failing.stop();
  }
  // The fixed function takes over the same consumer group.
  const h = pipelineHandler(brokers, apiUrl, topics);
  const esm = await runLocalEsm(brokers, h, topics, { groupId: `${topics.input}.group` });
  try {
    const run = redrive(topics, ['--from', 'on-failure', '--group', `${topics.onFailure}.redrive`]).summary;
    assert.equal(run.selected, lines.length);
    assert.equal(run.produced, lines.length);
    assert.deepEqual(Object.keys(run.byErrorType), ['RetriesExhausted']);
    const output = await outputOf(topics, lines.length);
    assert.equal(output.length, lines.length);
    const input = await consumeAll(brokers, topics.input, { quietMs: 500 });
    const redriven = input.filter((r) => r.headers.redrive_count === '1');
    assert.equal(redriven.length, lines.length);
    for (const r of redriven) {
      assert.equal(r.key, messageKeyForText(r.value!));
      assert.ok(lines.includes(r.value!));
      assert.equal(r.headers.source_topic, undefined, 'on-failure metadata is not redriven');
      assert.equal(r.headers.redrive_from_topic, topics.onFailure);
    }
  } finally {
    await esm.stop();
    await h.close();
  }
});
