/**
 * processBatch in content windows (issue 25 §1): a batch larger than the content budget is fetched one
 * window at a time, each produced and released before the next is fetched; the pipeline's own count of
 * the content it held never exceeds the budget; the deadline leaves later windows for redelivery.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { processBatch } from '../../lib/pipeline/process-batch.js';
import { NO_DEADLINE, type Deadline } from '../../lib/core/deadline.js';
import type { RevisionContentClient } from '../../lib/mediawiki/revision-content-client.js';
import { memorySink } from '../../scripts/lib/dev-sinks.js';
import { esmEventOf, pageChangeEvent } from '../../scripts/lib/page-change-events.js';
import { deps, tableClient } from '../support/batch-deps.js';

/** Content of revision `revId`: `bytes` bytes, some of them outside Latin-1 (2 or 3 UTF-8 bytes a character). */
function contentOf(revId: number, bytes: number): string {
  const tail = bytes >= 3 && revId % 6 === 0 ? '語' : '';
  return `${'x'.repeat(bytes - Buffer.byteLength(tail))}${tail}`;
}

/**
 * A table client that checks, at each call, that every record of the earlier calls was produced: content
 * is released (its records written) before more is fetched.
 */
function windowCheckingClient(table: Record<number, string>, sink: ReturnType<typeof memorySink>) {
  const { client: inner } = tableClient(table);
  const fetched: number[][] = [];
  const client: RevisionContentClient = {
    ...inner,
    async fetchRevisions(request) {
      const produced = new Set(sink.messages.map((m) => JSON.parse(m.value).revision.rev_id as number));
      for (const earlier of fetched.flat())
        assert.ok(produced.has(earlier), `revision ${earlier} produced before more is fetched`);
      fetched.push([...request.revIds]);
      return inner.fetchRevisions(request);
    },
  };
  return { client, fetched };
}

test('a batch larger than the budget: windows fetched one after another, every record enriched once, in partition order, held content ≤ budget', async () => {
  const budget = 4000;
  const batch = fc.array(
    fc.record({ partition: fc.integer({ min: 0, max: 2 }), bytes: fc.integer({ min: 0, max: budget }) }),
    { minLength: 1, maxLength: 40 },
  );
  await fc.assert(
    fc.asyncProperty(batch, async (records) => {
      const table: Record<number, string> = {};
      const values = records.map(({ partition, bytes }, i) => {
        const revId = i + 1;
        const content = (table[revId] = contentOf(revId, bytes));
        return { partition, value: pageChangeEvent({ revId, pageId: revId, content }) };
      });
      const sink = memorySink();
      const { client, fetched } = windowCheckingClient(table, sink);
      const { deps: d } = deps({}, sink, { client, contentBudgetBytes: budget });
      const result = await processBatch(esmEventOf(values), NO_DEADLINE, d);

      assert.deepEqual(result.response.batchItemFailures, []);
      assert.ok(result.outcomes.every((o) => o.kind === 'enriched'));
      // The batch lists records partition by partition; each partition's records come out once, in order.
      for (const partition of [0, 1, 2]) {
        const sent = sink.messages
          .filter((m) => m.source.partition === partition)
          .map((m) => JSON.parse(m.value).revision.rev_id as number);
        const given = records.flatMap((r, i) => (r.partition === partition ? [i + 1] : []));
        assert.deepEqual(sent, given, `partition ${partition}: each record once, in order`);
      }
      for (const m of sink.messages) {
        const event = JSON.parse(m.value);
        assert.equal(event.revision.content_slots.main.content_body, table[event.revision.rev_id]);
      }
      const total = records.reduce((a, r) => a + r.bytes, 0);
      assert.ok(result.peakContentBytes <= budget, `held ${result.peakContentBytes} B at most, budget ${budget} B`);
      assert.equal(result.contentWindows, fetched.length, 'one fetch per window (one wiki)');
      if (total > budget) assert.ok(result.contentWindows > 1, 'a batch that cannot fit is fetched in windows');
    }),
    { numRuns: 40 },
  );
});

test('a revision larger than the budget is fetched alone, and enriched', async () => {
  const table = { 1: contentOf(1, 100), 2: contentOf(2, 5000), 3: contentOf(3, 100) };
  const values = [1, 2, 3].map((revId) => pageChangeEvent({ revId, content: table[revId as 1 | 2 | 3] }));
  const sink = memorySink();
  const { client, fetched } = windowCheckingClient(table, sink);
  const { deps: d } = deps({}, sink, { client, contentBudgetBytes: 1000 });
  const result = await processBatch(esmEventOf(values), NO_DEADLINE, d);
  assert.deepEqual(fetched, [[1], [2], [3]]);
  assert.deepEqual(result.response.batchItemFailures, []);
  assert.equal(result.peakContentBytes, 5000, 'the one revision, nothing beside it');
});

test('records of windows the deadline does not reach are listed for redelivery, never errors', async () => {
  const table = { 1: contentOf(1, 600), 2: contentOf(2, 600), 3: contentOf(3, 600), 4: contentOf(4, 10) };
  const values = [
    { partition: 0, value: pageChangeEvent({ revId: 1, content: table[1] }) },
    { partition: 1, value: pageChangeEvent({ revId: 2, content: table[2] }) },
    { partition: 0, value: pageChangeEvent({ revId: 3, content: table[3] }) },
    { partition: 1, value: pageChangeEvent({ revId: 4, content: table[4] }) },
  ];
  const sink = memorySink();
  const { client: inner } = tableClient(table);
  // The deadline passes while the first window is fetched (no clock: it passes when the client is called).
  let passed = false;
  const deadline: Deadline = { remainingMs: () => (passed ? -1 : Number.POSITIVE_INFINITY) };
  const calls: number[][] = [];
  const client: RevisionContentClient = {
    ...inner,
    async fetchRevisions(request) {
      calls.push([...request.revIds]);
      passed = true;
      return inner.fetchRevisions(request);
    },
  };
  const { deps: d } = deps({}, sink, { client, contentBudgetBytes: 1000 });
  const result = await processBatch(esmEventOf(values), deadline, d);
  assert.deepEqual(calls, [[1]], 'nothing fetched after the deadline');
  assert.deepEqual(
    sink.messages.map((m) => m.kind),
    ['output'],
  );
  assert.deepEqual(
    result.response.batchItemFailures.map((f) => f.itemIdentifier),
    [
      { partition: 'mediawiki.page_change.v1-0', offset: 1 },
      { partition: 'mediawiki.page_change.v1-1', offset: 0 },
      { partition: 'mediawiki.page_change.v1-1', offset: 1 },
    ],
  );
  const reasons = result.outcomes.flatMap((o) => (o.kind === 'redeliver' ? [o.reason] : []));
  assert.equal(reasons.length, 3);
  assert.match(reasons[0]!, /deadline reached before content window 2 of 3 was fetched/);
});
