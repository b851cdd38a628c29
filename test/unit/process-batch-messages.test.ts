/** processBatch messages: the size limit, sizes known without serializing, and content shared and released. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { processBatch, type RecordOutcome } from '../../lib/pipeline/process-batch.js';
import { NO_DEADLINE } from '../../lib/core/deadline.js';
import type { EventSink, OutboundMessage } from '../../lib/pipeline/sink.js';
import { memorySink } from '../../scripts/lib/dev-sinks.js';
import { esmEventOf, pageChangeEvent } from '../../scripts/lib/page-change-events.js';
import { deps } from '../support/batch-deps.js';

test('an enriched event over the size limit becomes a MessageTooLarge error event', async () => {
  const sink = memorySink();
  const { deps: d } = deps({ 1: 'x'.repeat(5000) }, sink, { maxMessageBytes: 4000 });
  const r = await processBatch(esmEventOf([pageChangeEvent({ revId: 1 })]), NO_DEADLINE, d);
  assert.deepEqual(r.response.batchItemFailures, []);
  const e = JSON.parse(sink.messages[0]!.value);
  assert.equal(e.error_type, 'MessageTooLarge');
  assert.match(e.message, /larger than the output topic's limit of 4000 bytes/);
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
