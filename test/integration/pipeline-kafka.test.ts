/**
 * End to end on a real Apache Kafka broker and a real MediaWiki:
 * replay → local event source mapping → handler → output and error topics,
 * checked record by record; a broker restart mid-run; partial batch responses.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { before, test } from 'node:test';
import { kafkaEsmEventFor } from '../../scripts/lib/esm-event.js';
import { pageChangeEvent } from '../../scripts/lib/page-change-events.js';
import { TEST_DOMAIN } from '../support/enrich-harness.js';
import {
  consumeAll,
  ensureKafka,
  kafkaIsManaged,
  localBrokerPid,
  startKafka,
  stopKafka,
  REPO_ROOT,
} from '../../scripts/kafka/broker.js';
import { createRevision, ensureMediaWiki, uniqueTitle } from '../support/mediawiki.js';
import {
  accountFor,
  createPipelineTopics,
  lambdaContext,
  pipelineHandler,
  runLocalEsm,
  eventLineOf as eventLine,
  saveInterleavedRevisions,
  type SavedRevision,
} from '../support/pipeline-harness.js';
import { createHandler } from '../../functions/page-content-change-enrich/handler.js';
import type { EventSink, OutboundMessage } from '../../lib/pipeline/sink.js';

let brokers: string[];
let apiUrl: string;
let revisions: SavedRevision[] = [];

before(async () => {
  [{ brokers }, { apiUrl }] = await Promise.all([ensureKafka(), ensureMediaWiki()]);
  // 12 pages, 3 revisions each, interleaved as edits arrive on a wiki.
  revisions = await saveInterleavedRevisions(
    'Pipeline',
    12,
    3,
    (round, i) => `Revision ${round} of page ${i}: ${'Grüße 🌍 '.repeat(20 + i)}`,
  );
});

function replay(topic: string, lines: string[]): void {
  const file = join(mkdtempSync(join(tmpdir(), 'replay-')), 'events.jsonl');
  writeFileSync(file, `${lines.join('\n')}\n`);
  execFileSync('npx', ['tsx', 'scripts/replay.ts', file, '--topic', topic], {
    cwd: REPO_ROOT,
    env: { ...process.env, KAFKA_BROKERS: brokers.join(','), KAFKA_TOPIC_PREFIX: '' },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
}

test('replay → local ESM → handler → topics: every record accounted for once, content exact, per-page order kept', async () => {
  const topics = await createPipelineTopics(brokers, 'e2e');
  const lines = [
    ...revisions.map(eventLine),
    'not json at all',
    JSON.stringify(pageChangeEvent({ domain: 'evil.example.com' })),
    JSON.stringify(pageChangeEvent({ domain: TEST_DOMAIN, revId: 987654321, pageId: 1 })),
  ];
  replay(topics.input, lines);
  const h = pipelineHandler(brokers, apiUrl, topics, { api: { maxRetries: 1 } });
  const esm = await runLocalEsm(brokers, h, topics);
  try {
    const acc = await accountFor(brokers, topics, lines.length);
    assert.equal(acc.duplicates, 0, 'no duplicates without failures');
    assert.equal(acc.onFailure.length, 0);
    assert.equal(acc.output.length, revisions.length);
    assert.deepEqual(acc.errors.map((r) => JSON.parse(r.value!).error_type).sort(), [
      'DomainNotAllowed',
      'InvalidJson',
      'RevisionMissing',
    ]);
    const byRev = new Map(revisions.map((r) => [r.revId, r]));
    const orderPerPage = new Map<number, number[]>();
    for (const r of acc.output) {
      const e = JSON.parse(r.value!);
      assert.equal(e.revision.content_slots.main.content_body, byRev.get(e.revision.rev_id)!.text);
      assert.equal(r.key, JSON.stringify({ wiki_id: 'devwiki', page_id: e.page.page_id }));
      assert.equal(e.meta.stream, 'mediawiki.page_content_change.v1');
      assert.equal(r.headers.source_topic, topics.input);
      (orderPerPage.get(e.page.page_id) ?? orderPerPage.set(e.page.page_id, []).get(e.page.page_id)!).push(
        e.revision.rev_id,
      );
    }
    for (const [page, revs] of orderPerPage)
      assert.deepEqual(
        revs,
        [...revs].sort((a, b) => a - b),
        `order of page ${page}`,
      );
  } finally {
    await esm.stop();
    await h.close();
  }
});

test('the broker stopped and restarted mid-run: no record lost, duplicates bounded', { timeout: 240_000 }, async () => {
  const topics = await createPipelineTopics(brokers, 'restart');
  const lines = Array.from({ length: 10 }, () => revisions.map(eventLine)).flat(); // 360 records
  replay(topics.input, lines);
  const h = pipelineHandler(brokers, apiUrl, topics);
  const esm = await runLocalEsm(brokers, h, topics, { batchSize: 20, maxRetryAttempts: 50 });
  try {
    while (esm.stats.records < 60) await new Promise((r) => setTimeout(r, 50));
    await stopKafka();
    await new Promise((r) => setTimeout(r, 2000));
    await startKafka();
    const acc = await accountFor(brokers, topics, lines.length, 180_000);
    assert.equal(acc.seen.size, lines.length, 'every input record appears');
    assert.equal(acc.onFailure.length, 0);
    assert.ok(acc.duplicates <= lines.length, `duplicates ${acc.duplicates} bounded by the input`);
    console.error(
      `[restart] records=${lines.length} duplicates=${acc.duplicates} invocations=${esm.stats.invocations} redeliveries=${esm.stats.redeliveries}`,
    );
  } finally {
    await esm.stop();
    await h.close();
  }
});

test('partial batch responses on a real broker: oversized event, unwritable error topic, mixed partitions', async () => {
  // The error topic refuses anything but tiny messages, so error events cannot be written.
  const topics = await createPipelineTopics(brokers, 'partial', { errorTopicConfigs: { 'max.message.bytes': '200' } });
  const h = pipelineHandler(brokers, apiUrl, topics, { maxMessageBytes: 3000 });
  try {
    const small = revisions.find((r) => r.text.length < 600)!;
    const bigTitle = uniqueTitle('Big');
    const bigRev = await createRevision(bigTitle, `big page ${'x'.repeat(5000)}`);
    const big: SavedRevision = { title: bigTitle, pageId: bigRev.pageId, revId: bigRev.revId, text: bigRev.text };
    const rec = (partition: number, offset: number, value: string) => ({
      topic: topics.input,
      partition,
      offset,
      key: null,
      value,
    });
    const event = kafkaEsmEventFor([
      rec(0, 100, eventLine(small)),
      rec(0, 101, eventLine(small)),
      rec(1, 200, eventLine(small)),
      rec(1, 201, 'broken json'), // error event → unwritable
      rec(1, 202, eventLine(small)),
      rec(2, 300, eventLine(big)), // MessageTooLarge → error event → unwritable
      rec(2, 301, eventLine(small)),
    ]);
    const response = await h.handler(event, lambdaContext());
    assert.deepEqual(
      response.batchItemFailures.map((f) => f.itemIdentifier).sort((a, b) => a.partition.localeCompare(b.partition)),
      [
        { partition: `${topics.input}-1`, offset: 201 },
        { partition: `${topics.input}-2`, offset: 300 },
      ],
    );
    // Records after a failed error event were still produced: they went to the other topic, and are not listed.
    const acc = await accountFor(brokers, topics, 5, 20_000);
    assert.deepEqual([...acc.seen.keys()].sort(), ['0:100', '0:101', '1:200', '1:202', '2:301']);
    assert.equal(acc.errors.length, 0, 'nothing reached the unwritable error topic');

    // With a writable error topic the same oversized event is a MessageTooLarge error event.
    const ok = await createPipelineTopics(brokers, 'oversize');
    const h2 = pipelineHandler(brokers, apiUrl, ok, { maxMessageBytes: 3000 });
    try {
      const r2 = await h2.handler(
        kafkaEsmEventFor([{ ...rec(0, 5, eventLine(big)), topic: ok.input }]),
        lambdaContext(),
      );
      assert.deepEqual(r2.batchItemFailures, []);
      const acc2 = await accountFor(brokers, ok, 1, 20_000);
      assert.equal(JSON.parse(acc2.errors[0]!.value!).error_type, 'MessageTooLarge');
    } finally {
      await h2.close();
    }
  } finally {
    await h.close();
  }
});

test('API slowed past the Lambda timeout: the handler returns before its deadline, nothing half-written', async () => {
  const { startFaultProxy } = await import('../support/fault-proxy.js');
  const proxy = await startFaultProxy(apiUrl);
  proxy.setDefault({ kind: 'delay', ms: 20_000 });
  const topics = await createPipelineTopics(brokers, 'deadline');
  const h = pipelineHandler(brokers, proxy.url, topics, {
    api: { timeoutMs: 10_000, maxRetries: 5, deadlineMarginMs: 1000 },
  });
  try {
    const rec = (partition: number, offset: number, value: string) => ({
      topic: topics.input,
      partition,
      offset,
      key: null,
      value,
    });
    const event = kafkaEsmEventFor([
      rec(0, 7, 'not json'), // needs no API: error event, before the stuck record
      rec(0, 8, eventLine(revisions[0]!)),
      rec(0, 9, eventLine(revisions[1]!)),
      rec(1, 3, eventLine(revisions[2]!)),
    ]);
    // Each answer takes 20 s, past the 4 s Lambda timeout: records the handler listed for redelivery
    // and did not produce show it stopped waiting at its deadline (which invocationDeadlines derives
    // from the context, exactly, in the unit suite), not at an answer or an error.
    const response = await h.handler(event, lambdaContext(4000));
    assert.deepEqual(
      response.batchItemFailures.map((f) => f.itemIdentifier).sort((a, b) => a.partition.localeCompare(b.partition)),
      [
        { partition: `${topics.input}-0`, offset: 8 },
        { partition: `${topics.input}-0`, offset: 9 }, // held back behind 8: listed too
        { partition: `${topics.input}-1`, offset: 3 },
      ],
    );
    const acc = await accountFor(brokers, topics, 1, 120_000);
    assert.deepEqual([...acc.seen.keys()], ['0:7'], 'only the record before the stuck ones was produced');
    assert.equal(acc.output.length, 0);
  } finally {
    await h.close();
    await proxy.close();
  }
});

test('broker paused (SIGSTOP) while a batch is produced: the handler returns before its deadline, every unwritten record listed', {
  skip: !kafkaIsManaged() && 'needs the local broker',
}, async () => {
  const topics = await createPipelineTopics(brokers, 'paused', { inputPartitions: 2 });
  // A small size limit: records go out a few per produce request, so the pause falls mid-batch.
  const h = pipelineHandler(brokers, apiUrl, topics, { maxMessageBytes: 3000 });
  const pid = localBrokerPid();
  assert.ok(pid, 'the local broker is running');
  const confirmed: OutboundMessage[] = [];
  let sends = 0;
  let paused = false;
  const pausing: EventSink = {
    sendWorstCaseMs: h.sink.sendWorstCaseMs,
    async send(messages, deadline) {
      if (++sends === 2) {
        process.kill(pid, 'SIGSTOP'); // after one request was acknowledged, the broker stops answering
        paused = true;
      }
      const report = await h.sink.send(messages, deadline);
      messages.forEach((m, i) => {
        if (!report.failed.has(i)) confirmed.push(m);
      });
      return report;
    },
  };
  const handler = createHandler(() => ({ ...h.deps, sink: pausing }));
  const records = revisions
    .slice(0, 12)
    .map((r, i) => ({ topic: topics.input, partition: i % 2, offset: 50 + i, key: null, value: eventLine(r) }));
  const id = (partition: number | string, offset: number | string) => `${partition}:${offset}`;
  try {
    // The broker never answers while paused: the handler returns only because the sink abandons
    // sends at the produce deadline, listing what it could not confirm.
    const response = await handler(kafkaEsmEventFor(records), lambdaContext(6000));
    assert.ok(paused, 'the broker was paused during the batch');
    process.kill(pid, 'SIGCONT');
    paused = false;

    const listed = new Set(
      response.batchItemFailures.map((f) =>
        id(f.itemIdentifier.partition.slice(topics.input.length + 1), f.itemIdentifier.offset),
      ),
    );
    const written = new Set(confirmed.map((m) => id(m.source.partition, m.source.offset)));
    assert.ok(
      written.size > 0 && written.size < records.length,
      `some records were confirmed before the pause (${written.size})`,
    );
    for (const w of written) assert.ok(!listed.has(w), `confirmed record ${w} is not listed`);
    for (const r of records)
      assert.ok(
        written.has(id(r.partition, r.offset)) || listed.has(id(r.partition, r.offset)),
        `record ${id(r.partition, r.offset)} written or listed`,
      );
    // After the broker resumes, everything on the topic is a confirmed record or a listed one (an
    // abandoned request may still land: a duplicate on redelivery, never a loss).
    const onTopic = await consumeAll(brokers, topics.output, { timeoutMs: 30_000 });
    for (const r of onTopic)
      assert.ok(
        written.has(id(r.headers.source_partition!, r.headers.source_offset!)) ||
          listed.has(id(r.headers.source_partition!, r.headers.source_offset!)),
      );
    for (const w of written)
      assert.ok(
        onTopic.some((r) => id(r.headers.source_partition!, r.headers.source_offset!) === w),
        `confirmed ${w} is on the topic`,
      );
    console.error(`[paused] confirmed=${written.size} listed=${listed.size} onTopic=${onTopic.length}`);
  } finally {
    if (paused) process.kill(pid, 'SIGCONT');
    await h.close();
  }
});
