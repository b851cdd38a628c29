/** processBatch delivery: what is redelivered when the wiki, the sink or the deadline fails, and the order that holds. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { DeadlineExceededError } from '../../lib/core/errors.js';
import { processBatch } from '../../lib/pipeline/process-batch.js';
import { type Deadline, deadlineAt, NO_DEADLINE } from '../../lib/core/deadline.js';
import type { RevisionContentClient, RevisionResult } from '../../lib/mediawiki/revision-content-client.js';
import type { EventSink, OutboundMessage } from '../../lib/pipeline/sink.js';
import { memorySink } from '../../scripts/lib/dev-sinks.js';
import { esmEventOf, pageChangeEvent } from '../../scripts/lib/page-change-events.js';
import { deps, tableClient } from '../support/batch-deps.js';

test('a record out of time is redelivered: its partition stops there, other partitions go on', async () => {
  const sink = memorySink();
  const { deps: d } = deps({ 1: 'a', 2: new DeadlineExceededError('late') as any, 3: 'c', 4: 'd' }, sink);
  const result = await processBatch(
    esmEventOf([
      { partition: 0, value: pageChangeEvent({ revId: 1 }) },
      { partition: 0, value: pageChangeEvent({ revId: 2 }) },
      { partition: 0, value: pageChangeEvent({ revId: 3 }) },
      { partition: 1, value: pageChangeEvent({ revId: 4 }) },
    ]),
    NO_DEADLINE,
    d,
  );
  assert.deepEqual(result.response.batchItemFailures, [
    { itemIdentifier: { partition: 'mediawiki.page_change.v1-0', offset: 1 } },
    { itemIdentifier: { partition: 'mediawiki.page_change.v1-0', offset: 2 } },
  ]);
  assert.deepEqual(
    sink.messages.map((m) => `${m.source.partition}:${m.source.offset}`),
    ['0:0', '1:0'],
  );
});

test('messages the sink could not write are reported; a throwing sink fails the whole batch item-wise', async () => {
  const failingErrors: EventSink = {
    async send(ms) {
      return { failed: new Set(ms.flatMap((m, i) => (m.kind === 'error' ? [i] : []))) };
    },
  };
  const { deps: d } = deps({ 1: 'a' }, failingErrors);
  const r = await processBatch(
    esmEventOf([pageChangeEvent({ revId: 1 }), 'bad', pageChangeEvent({ revId: 1 }), 'bad']),
    NO_DEADLINE,
    d,
  );
  assert.deepEqual(
    r.response.batchItemFailures.map((f) => f.itemIdentifier.offset),
    [1, 3],
  );

  const throwing: EventSink = {
    async send() {
      throw new Error('broker gone');
    },
  };
  const { deps: d2 } = deps({ 1: 'a' }, throwing);
  const r2 = await processBatch(
    esmEventOf([
      { partition: 2, value: pageChangeEvent({ revId: 1 }) },
      { partition: 3, value: 'bad' },
    ]),
    NO_DEADLINE,
    d2,
  );
  assert.deepEqual(r2.response.batchItemFailures.map((f) => f.itemIdentifier.partition).sort(), [
    'mediawiki.page_change.v1-2',
    'mediawiki.page_change.v1-3',
  ]);
});

test('production starts before the last request returns, in record order', { timeout: 5000 }, async () => {
  let release!: () => void;
  const held = new Promise<void>((r) => (release = r));
  const sent: number[] = [];
  const client: RevisionContentClient = {
    stats: { requests: 0, responseBytes: 0, retries: 0 },
    async fetchRevisions({ revIds, onResults }) {
      const ok = (id: number): RevisionResult => ({
        ok: true,
        revision: { revId: id, pageId: 1, slots: new Map([['main', { role: 'main', content: `c${id}` }]]) },
      });
      onResults(new Map([[1, ok(1)]]));
      await held; // the second request is slow
      onResults(new Map(revIds.filter((id) => id !== 1).map((id) => [id, ok(id)])));
    },
    async close() {},
  };
  const sink: EventSink = {
    async send(ms) {
      sent.push(...ms.map((m) => m.source.offset));
      if (sent.length === 1) release(); // only the first record could have been sent before the release
      return { failed: new Set() };
    },
  };
  const { deps: d } = deps({}, sink, { client, maxMessageBytes: 1 }); // flush after every message
  const r = await processBatch(
    esmEventOf([pageChangeEvent({ revId: 1 }), pageChangeEvent({ revId: 2 })]),
    NO_DEADLINE,
    d,
  );
  assert.deepEqual(sent, [0, 1]);
  assert.deepEqual(r.response.batchItemFailures, []);
});

test('a client that fails outright leaves its records for redelivery, never a crash', async () => {
  const client: RevisionContentClient = {
    stats: { requests: 0, responseBytes: 0, retries: 0 },
    async fetchRevisions() {
      throw new TypeError('bug in the client');
    },
    async close() {},
  };
  const sink = memorySink();
  const { deps: d } = deps({}, sink, { client });
  const r = await processBatch(
    esmEventOf(['not json', pageChangeEvent({ revId: 1 }), pageChangeEvent({ revId: 2 })]),
    NO_DEADLINE,
    d,
  );
  assert.deepEqual(
    sink.messages.map((m) => m.source.offset),
    [0],
  );
  assert.deepEqual(
    r.response.batchItemFailures.map((f) => f.itemIdentifier.offset),
    [1, 2],
  );
  assert.ok(r.outcomes.every((o) => o.kind !== 'redeliver' || /failed unexpectedly: bug in the client/.test(o.reason)));
});

test('after a failed send, later messages of that stream are not written (order holds on retry)', async () => {
  let calls = 0;
  const sink: EventSink = {
    async send(ms) {
      calls++;
      return { failed: new Set(calls === 1 ? ms.map((_, i) => i) : []) };
    },
  };
  const { deps: d } = deps({ 1: 'a', 2: 'b' }, sink, { maxMessageBytes: 1 });
  const r = await processBatch(
    esmEventOf([pageChangeEvent({ revId: 1 }), pageChangeEvent({ revId: 2 })]),
    NO_DEADLINE,
    d,
  );
  assert.equal(calls, 1, 'the second output message was held back');
  assert.deepEqual(
    r.response.batchItemFailures.map((f) => f.itemIdentifier.offset),
    [0, 1],
  );
  assert.equal(r.sinkFailures, 2);
});

test('a wiki hanging past the deadline: the stuck record and every record held back behind it are listed', {
  timeout: 10_000,
}, async () => {
  // Partition 0: six records; the third one's wiki does not answer before the deadline. The deadline passes while
  // that wiki hangs (the fake's answer comes after it), not after a span of real time a busy machine could outlast.
  let expired = false;
  const deadline: Deadline = { remainingMs: () => (expired ? -1 : 60_000) };
  const fast = tableClient({ 1: 'a', 2: 'b', 4: 'd', 5: 'e', 6: 'f' }).client;
  const client: RevisionContentClient = {
    stats: fast.stats,
    async fetchRevisions(request) {
      const { domain, revIds, onResults } = request;
      if (domain !== 'en.wikipedia.org') return fast.fetchRevisions(request);
      expired = true;
      onResults(
        new Map(
          revIds.map((id) => [
            id,
            { ok: false, error: new DeadlineExceededError(`revision ${id} not fetched in time`) },
          ]),
        ),
      );
    },
    async close() {},
  };
  const sink = memorySink();
  const { deps: d } = deps({}, sink, { client });
  const values = [1, 2, 3, 4, 5, 6].map((revId) =>
    pageChangeEvent({ revId, domain: revId === 3 ? 'en.wikipedia.org' : 'dev.wiki.local' }),
  );
  const r = await processBatch(esmEventOf(values), deadline, d);
  assert.deepEqual(
    sink.messages.map((m) => m.source.offset),
    [0, 1],
    'nothing after the stuck record is produced',
  );
  assert.deepEqual(
    r.response.batchItemFailures.map((f) => f.itemIdentifier.offset),
    [2, 3, 4, 5],
    'the stuck record and the three held back',
  );
});

test('past the produce deadline nothing is sent, and everything unwritten is listed', async () => {
  const sink = memorySink();
  const { deps: d } = deps({ 1: 'a', 2: 'b', 3: 'c' }, sink, {
    maxMessageBytes: 1,
    produceDeadline: deadlineAt(Date.now() - 1),
  });
  const r = await processBatch(
    esmEventOf([1, 2, 3].map((revId) => ({ partition: revId % 2, value: pageChangeEvent({ revId }) }))),
    NO_DEADLINE,
    d,
  );
  assert.equal(sink.messages.length, 0);
  assert.equal(r.response.batchItemFailures.length, 3);
  assert.equal(r.unsentAtDeadline, 3);
});

test('property: every record is written or listed, never both; nothing after a held-back record of its partition is written', async () => {
  type Fate = 'ok' | 'missing' | 'retry-later' | 'bad-json';
  await fc.assert(
    fc.asyncProperty(
      fc.array(
        fc.record({
          partition: fc.integer({ min: 0, max: 2 }),
          fate: fc.constantFrom<Fate>('ok', 'missing', 'retry-later', 'bad-json'),
        }),
        { maxLength: 30 },
      ),
      fc.array(fc.boolean(), { maxLength: 40 }),
      fc.integer({ min: 1, max: 6000 }),
      async (specs, sendFails, maxMessageBytes) => {
        const table: Record<number, string | Error> = {};
        specs.forEach((spec, i) => {
          if (spec.fate === 'ok') table[i + 1] = `content ${i}`;
          if (spec.fate === 'retry-later') table[i + 1] = new DeadlineExceededError('late');
        });
        const accepted: OutboundMessage[] = [];
        let call = 0;
        const sink: EventSink = {
          async send(ms) {
            // Each send fails (for one of its streams, from some message on) or not, by the schedule.
            const fails = sendFails[call++ % Math.max(1, sendFails.length)] ?? false;
            const failed = new Set<number>();
            const firstFailing = ms.findIndex((m) => m.kind === 'output');
            ms.forEach((m, i) => {
              if (fails && m.kind === 'output' && i >= firstFailing) failed.add(i);
              else accepted.push(m);
            });
            return { failed };
          },
        };
        const { deps: d } = deps(table, sink, { maxMessageBytes: Math.max(maxMessageBytes, 3000) });
        const values = specs.map((spec, i) => ({
          partition: spec.partition,
          value: spec.fate === 'bad-json' ? 'not json' : pageChangeEvent({ revId: i + 1 }),
        }));
        const r = await processBatch(esmEventOf(values), NO_DEADLINE, d);
        const writtenIds = accepted.map((m) => `${m.source.topic}-${m.source.partition}:${m.source.offset}`);
        const listedIds = r.response.batchItemFailures.map(
          (f) => `${f.itemIdentifier.partition}:${f.itemIdentifier.offset}`,
        );
        assert.equal(new Set(writtenIds).size, writtenIds.length, 'no record written twice');
        assert.equal(writtenIds.filter((id) => listedIds.includes(id)).length, 0, 'no written record listed');
        assert.equal(writtenIds.length + listedIds.length, specs.length, 'every record written or listed');
        for (const record of r.records) {
          const heldBehind = r.records.some(
            (o) =>
              o.partitionKey === record.partitionKey &&
              o.source.offset < record.source.offset &&
              r.outcomes[o.index]!.kind === 'redeliver',
          );
          if (heldBehind)
            assert.ok(
              listedIds.includes(`${record.partitionKey}:${record.source.offset}`),
              'held back behind a redelivered record',
            );
        }
      },
    ),
    { numRuns: 200 },
  );
});
