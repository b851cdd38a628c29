/**
 * Issue 25, "Done when": a batch of large revisions on the real wiki, with a content budget too small
 * for the batch, goes through the pipeline (real Action API client, real Kafka sink, real broker) in
 * content windows: every record is enriched exactly once, each input partition in its order, and the
 * content the pipeline held, by its own count, never exceeded the budget.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { batchDependencies } from '../../functions/page-content-change-enrich/handler.js';
import { NO_DEADLINE } from '../../lib/core/deadline.js';
import { processBatch } from '../../lib/pipeline/process-batch.js';
import { esmEventOf } from '../../scripts/lib/page-change-events.js';
import { consumeAll, createTopics, ensureKafka, uniqueTopicName } from '../../scripts/kafka/broker.js';
import { ensureMediaWiki } from '../support/mediawiki.js';
import {
  eventLineOf,
  type PipelineHandler,
  pipelineHandler,
  type SavedRevision,
  saveInterleavedRevisions,
} from '../support/pipeline-harness.js';

/** A budget smaller than the batch's content: about two of its revisions at a time. */
const BUDGET_BYTES = 300_000;
const PAGES = 3;
const ROUNDS = 3;

/** ~`kb` KB of wikitext; every sixth text has characters outside Latin-1 (2 bytes a character in a JS string). */
function largeText(kb: number, n: number): string {
  // Plain prose: markup (links, templates) would make the wiki's save, not the pipeline, the slow part.
  const unit = n % 6 === 0 ? 'Отредактировано 編集 ' : 'Lorem ipsum dolor ';
  const line = `${n}: ${unit.repeat(32)}\n`;
  return line.repeat(Math.ceil((kb * 1000) / Buffer.byteLength(line)));
}

let brokers: string[];
let h: PipelineHandler | undefined;
let saved: SavedRevision[];
const topics = {
  input: uniqueTopicName('budget.page_change'),
  // One partition: the order records were produced in is the order they are read back.
  output: uniqueTopicName('budget.page_content_change'),
  error: uniqueTopicName('budget.error'),
  onFailure: uniqueTopicName('budget.on_failure'),
};

before(async () => {
  let apiUrl: string;
  [{ brokers }, { apiUrl }] = await Promise.all([ensureKafka(), ensureMediaWiki()]);
  await createTopics(brokers, [
    { topic: topics.output, numPartitions: 1, configs: { 'max.message.bytes': String(10 * 1024 * 1024) } },
    { topic: topics.error, numPartitions: 1 },
  ]);
  // 9 revisions of 80–200 KB (~1.3 MB in all): 3 pages edited in 3 rounds.
  saved = await saveInterleavedRevisions('Budget', PAGES, ROUNDS, (round, page) =>
    largeText(80 + 15 * (round * PAGES + page), round * PAGES + page),
  );
  h = pipelineHandler(brokers, apiUrl, topics, { contentBudgetBytes: BUDGET_BYTES });
});
after(async () => {
  await h?.close();
});

test('a batch of large revisions over a small budget: windows, every record enriched once in partition order, held ≤ budget', async () => {
  const total = saved.reduce((a, r) => a + Buffer.byteLength(r.text), 0);
  assert.ok(total > 3 * BUDGET_BYTES, `the batch holds ${total} B of content, the budget ${BUDGET_BYTES} B`);
  // Each page's revisions on the partition of its page, as Wikimedia keys page_change.
  const values = saved.map((r) => ({ partition: r.pageId % 3, value: eventLineOf(r) }));
  // The handler's own dependencies; processBatch's result carries the pipeline's count of held content.
  const result = await processBatch(esmEventOf(values, topics.input), NO_DEADLINE, batchDependencies(h!.deps));
  assert.deepEqual(result.response.batchItemFailures, []);
  assert.ok(result.contentWindows >= 4, `${result.contentWindows} windows`);
  assert.ok(result.peakContentBytes > 0, 'content was counted');
  assert.ok(
    result.peakContentBytes <= BUDGET_BYTES,
    `the pipeline held at most ${result.peakContentBytes} B of content; the budget is ${BUDGET_BYTES} B`,
  );

  const [output, errors] = await Promise.all([
    consumeAll(brokers, topics.output, { expected: saved.length }),
    consumeAll(brokers, topics.error, { timeoutMs: 3000 }),
  ]);
  assert.deepEqual(errors, []);
  assert.equal(output.length, saved.length, 'one output record per input record');
  const byRevId = new Map(saved.map((r) => [r.revId, r]));
  for (const partition of new Set(values.map((v) => v.partition))) {
    const read = output.filter((r) => Number(r.headers.source_partition) === partition);
    const offsets = read.map((r) => Number(r.headers.source_offset));
    const given = values.filter((v) => v.partition === partition).map((_, i) => i);
    assert.deepEqual(offsets, given, `input partition ${partition}: each record once, in order`);
  }
  for (const r of output) {
    const event = JSON.parse(r.value!);
    const body: string = event.revision.content_slots.main.content_body;
    assert.equal(body, byRevId.get(event.revision.rev_id)!.text, `revision ${event.revision.rev_id} byte for byte`);
  }
});
