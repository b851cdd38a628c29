import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { test } from 'node:test';
import { Ajv } from 'ajv';
import fc from 'fast-check';
import { apiEndpointResolver } from '../../lib/mediawiki/domain-allowlist.js';
import { ContentHiddenError, DeadlineExceededError, RevisionMissingError } from '../../lib/core/errors.js';
import { processBatch, type BatchDependencies, type RecordOutcome } from '../../lib/pipeline/process-batch.js';
import { deadlineAt, NO_DEADLINE } from '../../lib/core/retry.js';
import type { RevisionContentClient, RevisionResult } from '../../lib/mediawiki/revision-content-client.js';
import type { EventSink, OutboundMessage } from '../../lib/kafka/sink.js';
import { memorySink } from '../../scripts/lib/dev-sinks.js';
import { esmEventOf, pageChangeEvent } from '../support/events.js';
import { referenceDir } from '../support/reference.js';

const events = {
  outputStream: 'mediawiki.page_content_change.v1',
  errorStream: 'mw_page_content_change_enrich.error',
  errorSchemaUri: '/error/2.1.0',
  emitterId: 'test-emitter',
};

/** A client over a table of revision results; records what it was asked. */
function tableClient(table: Record<number, string | Error>) {
  const calls: Array<{ domain: string; revIds: readonly number[] }> = [];
  const client: RevisionContentClient = {
    stats: { requests: 0, responseBytes: 0, retries: 0 },
    async fetchRevisions(domain, revIds) {
      calls.push({ domain, revIds });
      const out = new Map<number, RevisionResult>();
      for (const id of revIds) {
        const v = table[id];
        if (v === undefined) out.set(id, { ok: false, error: new RevisionMissingError(`missing ${id}`) });
        else if (v instanceof Error) out.set(id, { ok: false, error: v as any });
        else
          out.set(id, {
            ok: true,
            revision: { revId: id, pageId: 1, slots: new Map([['main', { role: 'main', content: v }]]) },
          });
      }
      return out;
    },
    async close() {},
  };
  return { client, calls };
}

function deps(
  table: Record<number, string | Error>,
  sink: EventSink = memorySink(),
  extra: Partial<BatchDependencies> = {},
) {
  const { client, calls } = tableClient(table);
  return {
    calls,
    deps: {
      client,
      sink,
      events,
      maxMessageBytes: 1_000_000,
      resolver: apiEndpointResolver('http://127.0.0.1:1/api.php', ['dev.wiki.local', '*.wikipedia.org']),
      ...extra,
    } as BatchDependencies,
  };
}

test('every record becomes exactly one message, in record order, and the batch succeeds', async () => {
  const sink = memorySink();
  const { deps: d, calls } = deps({ 1: 'one', 2: 'two' }, sink);
  const values = [
    pageChangeEvent({ revId: 1, content: 'one' }),
    'not json',
    pageChangeEvent({ revId: 2, content: 'two', domain: 'en.wikipedia.org' }),
    pageChangeEvent({ revId: 3, kind: 'delete' }),
    pageChangeEvent({ revId: 4, domain: 'canary' }),
    pageChangeEvent({ revId: 5, contentVisible: false }),
  ];
  const result = await processBatch(esmEventOf(values), NO_DEADLINE, d);
  assert.deepEqual(result.response, { batchItemFailures: [] });
  assert.deepEqual(
    sink.messages.map((m) => [m.kind, m.source.offset]),
    [
      ['output', 0],
      ['error', 1],
      ['output', 2],
      ['output', 3],
      ['output', 4],
      ['output', 5],
    ],
  );
  const out = sink.messages.map((m) => JSON.parse(m.value));
  assert.equal(out[0].revision.content_slots.main.content_body, 'one');
  assert.equal(out[2].revision.content_slots.main.content_body, 'two');
  for (const i of [3, 4, 5]) assert.equal(out[i].revision.content_slots, undefined, `passthrough ${i} has no content`);
  assert.equal(out[1].error_type, 'InvalidJson');
  assert.equal(out[1].raw_event, 'not json');
  // Only fetchable events reached the client, grouped per wiki.
  assert.deepEqual(calls.map((c) => [c.domain, c.revIds]).sort(), [
    ['dev.wiki.local', [1]],
    ['en.wikipedia.org', [2]],
  ]);
  assert.equal(sink.messages[0]!.key, '{"wiki_id":"devwiki","page_id":10}');
});

test('bad input kinds each become a clear error event with the original record', async () => {
  const sink = memorySink();
  const { deps: d, calls } = deps({}, sink);
  const values: Array<string | Buffer | Record<string, unknown>> = [
    Buffer.from([0xc3, 0x28, 0xff]),
    '[]',
    '42',
    JSON.stringify({ ...pageChangeEvent(), page: { page_id: 'x', page_title: 'T' } }),
    pageChangeEvent({ domain: '169.254.169.254' }),
    pageChangeEvent({ domain: 'evil.example.com' }),
    pageChangeEvent({ domain: 'a@en.wikipedia.org' }),
  ];
  const result = await processBatch(esmEventOf(values), NO_DEADLINE, d);
  assert.deepEqual(result.response.batchItemFailures, []);
  const out = sink.messages.map((m) => JSON.parse(m.value));
  assert.deepEqual(
    out.map((e) => e.error_type),
    [
      'InvalidJson',
      'InvalidEvent',
      'InvalidEvent',
      'InvalidEvent',
      'DomainNotAllowed',
      'DomainNotAllowed',
      'DomainNotAllowed',
    ],
  );
  assert.equal(out[0].raw_event, `base64:${Buffer.from([0xc3, 0x28, 0xff]).toString('base64')}`);
  assert.equal(out[4].errored_stream_name, 'mediawiki.page_change.v1');
  assert.equal(out[4].errored_schema_uri, '/mediawiki/page/change/1.2.0');
  assert.equal(calls.length, 0, 'no request for a domain outside the allowlist');
});

test('MediaWiki failures become error events carrying their type', async () => {
  const sink = memorySink();
  const { deps: d } = deps({ 7: new ContentHiddenError('hidden'), 8: 'other text' }, sink);
  await processBatch(
    esmEventOf([
      pageChangeEvent({ revId: 6 }),
      pageChangeEvent({ revId: 7 }),
      pageChangeEvent({ revId: 8, content: 'expected text' }),
    ]),
    NO_DEADLINE,
    d,
  );
  assert.deepEqual(
    sink.messages.map((m) => JSON.parse(m.value).error_type),
    ['RevisionMissing', 'ContentHidden', 'ContentIntegrityMismatch'],
  );
});

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

test('an enriched event over the size limit becomes a MessageTooLarge error event', async () => {
  const sink = memorySink();
  const { deps: d } = deps({ 1: 'x'.repeat(5000) }, sink, { maxMessageBytes: 4000 });
  const r = await processBatch(esmEventOf([pageChangeEvent({ revId: 1 })]), NO_DEADLINE, d);
  assert.deepEqual(r.response.batchItemFailures, []);
  const e = JSON.parse(sink.messages[0]!.value);
  assert.equal(e.error_type, 'MessageTooLarge');
  assert.match(e.message, /larger than the output topic's limit of 4000 bytes/);
});

test('revisions are fetched once per wiki even when many events share them', async () => {
  const { deps: d, calls } = deps({ 1: 'a', 2: 'b' });
  await processBatch(
    esmEventOf(
      [1, 2, 1, 1, 2]
        .map((revId) => pageChangeEvent({ revId }))
        .concat([pageChangeEvent({ revId: 1, domain: 'fr.wikipedia.org' })]),
    ),
    NO_DEADLINE,
    d,
  );
  assert.equal(calls.length, 2);
});

const ERROR_SCHEMA = new URL('schemas/error-2.1.0.json', referenceDir());
test('error events conform to error/2.1.0', { skip: !existsSync(ERROR_SCHEMA) && 'no reference schema' }, async () => {
  const ajv = new Ajv({ strict: false, validateFormats: false });
  const { $schema: _drop, ...schema } = JSON.parse(readFileSync(ERROR_SCHEMA, 'utf8'));
  const validate = ajv.compile(schema);
  const sink = memorySink();
  const { deps: d } = deps({}, sink);
  await processBatch(
    esmEventOf(['x', Buffer.from([0xff]), pageChangeEvent({ revId: 9 }), pageChangeEvent({ domain: 'nope.example' })]),
    NO_DEADLINE,
    d,
  );
  for (const m of sink.messages) {
    const e: any = JSON.parse(m.value);
    assert.ok(validate(e) as boolean, JSON.stringify(validate.errors));
    assert.equal(e.meta.stream, 'mw_page_content_change_enrich.error');
    assert.equal(e.emitter_id, 'test-emitter');
    assert.equal(typeof e.stack, 'string');
  }
});

test('message sizes are known without serializing: exact near the limit, else a lower bound short only by JSON escapes', async () => {
  const body = 'Grüße 🌍 "quoted" \\ back\nslash\u0001 '.repeat(50);
  const events = [pageChangeEvent({ revId: 1 }), pageChangeEvent({ revId: 1, kind: 'delete' }), 'bad'];
  const sent = (m: OutboundMessage) => Buffer.byteLength(m.value) + Buffer.byteLength(m.key ?? '');
  const escapes = (m: OutboundMessage) => (m.value.match(/\\["\\nu]/g) ?? []).length * 5;
  const far = memorySink();
  await processBatch(esmEventOf(events), NO_DEADLINE, deps({ 1: body }, far).deps);
  assert.equal(far.messages.length, 3);
  const [enriched, passthrough, error] = far.messages as [OutboundMessage, OutboundMessage, OutboundMessage];
  assert.ok(enriched.bytes < sent(enriched) && enriched.bytes >= sent(enriched) - escapes(enriched));
  for (const m of [passthrough, error]) assert.equal(m.bytes, sent(m));
  // Within six times the content's UTF-8 bytes of the limit, the enriched event is measured exactly.
  const near = memorySink();
  await processBatch(
    esmEventOf(events),
    NO_DEADLINE,
    deps({ 1: body }, near, { maxMessageBytes: sent(enriched) }).deps,
  );
  for (const m of near.messages) assert.equal(m.bytes, sent(m));
  assert.equal(near.messages[0]!.kind, 'output');
});

test('events of one revision share its content until each is serialized', async () => {
  const values: string[] = [];
  let rebuiltOnRead = true;
  const sink: EventSink = {
    async send(ms) {
      // The value is rebuilt on each read rather than held by the message.
      for (const m of ms) rebuiltOnRead &&= Object.getOwnPropertyDescriptor(m, 'value')?.get !== undefined;
      values.push(...ms.map((m) => m.value));
      return { failed: new Set() };
    },
  };
  const { deps: d } = deps({ 1: 'x'.repeat(100_000) }, sink);
  await processBatch(esmEventOf(Array.from({ length: 50 }, () => pageChangeEvent({ revId: 1 }))), NO_DEADLINE, d);
  assert.equal(values.length, 50);
  assert.equal(new Set(values.map((v) => JSON.parse(v).revision.content_slots.main.content_body.length)).size, 1);
  assert.ok(rebuiltOnRead);
});

test('an event releases its content once its message is sent', async () => {
  const seen: number[] = [];
  const sink: EventSink = {
    async send(ms) {
      for (const m of ms) seen.push(JSON.parse(m.value).revision.content_slots.main.content_body?.length ?? -1);
      return { failed: new Set() };
    },
  };
  const { deps: d } = deps({ 1: 'x'.repeat(1000) }, sink);
  const r = await processBatch(esmEventOf([pageChangeEvent({ revId: 1 })]), NO_DEADLINE, d);
  assert.deepEqual(seen, [1000]);
  const after = (r.outcomes[0] as Extract<RecordOutcome, { kind: 'enriched' }>).message.value;
  assert.equal(JSON.parse(after).revision.content_slots.main.content_body, undefined);
});

test('production starts before the last request returns, in record order', { timeout: 5000 }, async () => {
  let release!: () => void;
  const held = new Promise<void>((r) => (release = r));
  const sent: number[] = [];
  const client: RevisionContentClient = {
    stats: { requests: 0, responseBytes: 0, retries: 0 },
    async fetchRevisions(_domain, revIds, _deadline, _requestId, onResults) {
      const ok = (id: number): RevisionResult => ({
        ok: true,
        revision: { revId: id, pageId: 1, slots: new Map([['main', { role: 'main', content: `c${id}` }]]) },
      });
      onResults?.(new Map([[1, ok(1)]]));
      await held; // the second request is slow
      return new Map(revIds.map((id) => [id, ok(id)]));
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
  // Partition 0: six records; the third one's wiki does not answer before the deadline.
  const fast = tableClient({ 1: 'a', 2: 'b', 4: 'd', 5: 'e', 6: 'f' }).client;
  const client: RevisionContentClient = {
    stats: fast.stats,
    async fetchRevisions(domain, revIds, deadline, requestId, onResults) {
      if (domain !== 'en.wikipedia.org') return fast.fetchRevisions(domain, revIds, deadline, requestId, onResults);
      await new Promise((r) => setTimeout(r, Math.max(0, deadline.remainingMs()) + 20));
      return new Map(
        revIds.map((id) => [id, { ok: false, error: new DeadlineExceededError(`revision ${id} not fetched in time`) }]),
      );
    },
    async close() {},
  };
  const sink = memorySink();
  const { deps: d } = deps({}, sink, { client });
  const values = [1, 2, 3, 4, 5, 6].map((revId) =>
    pageChangeEvent({ revId, domain: revId === 3 ? 'en.wikipedia.org' : 'dev.wiki.local' }),
  );
  const r = await processBatch(esmEventOf(values), deadlineAt(Date.now() + 200), d);
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
