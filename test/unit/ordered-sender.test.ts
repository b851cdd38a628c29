import assert from 'node:assert/strict';
import { test } from 'node:test';
import { invocationDeadlines, RESPONSE_RESERVE_MS } from '../../lib/pipeline/invocation-deadlines.js';
import { orderedSender } from '../../lib/pipeline/ordered-sender.js';
import type { Deadline } from '../../lib/core/deadline.js';
import type { EventSink, OutboundMessage, StreamKind } from '../../lib/pipeline/sink.js';

const message = (offset: number, kind: StreamKind = 'output', bytes = 10): OutboundMessage => ({
  kind,
  key: null,
  value: `v${offset}`,
  bytes,
  source: { topic: 't', partition: 0, offset },
});

/** A sink that records each send; `fail` decides per message whether it is refused. */
function recordingSink(fail: (m: OutboundMessage, call: number) => boolean = () => false) {
  const sends: Array<{ offsets: number[]; deadline?: Deadline }> = [];
  const sink: EventSink = {
    async send(ms, deadline) {
      sends.push({ offsets: ms.map((m) => m.source.offset), deadline });
      return { failed: new Set(ms.flatMap((m, i) => (fail(m, sends.length) ? [i] : []))) };
    },
  };
  return { sink, sends };
}

test('messages go out in record order, batched up to maxBatchBytes, and are accounted as written', async () => {
  const { sink, sends } = recordingSink();
  const sender = orderedSender({ sink, maxBatchBytes: 25 });
  for (const i of [0, 1, 2, 3, 4]) await sender.add(i, 'p0', message(i));
  await sender.flush();
  assert.deepEqual(
    sends.map((s) => s.offsets),
    [
      [0, 1, 2],
      [3, 4],
    ],
  );
  assert.deepEqual([...sender.written], [0, 1, 2, 3, 4]);
  assert.equal(sender.sinkFailures, 0);
});

test('a held-back record stops its partition, not the others', async () => {
  const { sink, sends } = recordingSink();
  const sender = orderedSender({ sink, maxBatchBytes: 1000 });
  await sender.add(0, 'p0', message(0));
  sender.holdBack('p0');
  await sender.add(2, 'p0', message(2));
  await sender.add(3, 'p1', message(3));
  await sender.flush();
  assert.deepEqual(
    sends.map((s) => s.offsets),
    [[0, 3]],
  );
  assert.deepEqual([...sender.written].sort(), [0, 3]);
});

test('after a failed send its stream sends nothing more; the other stream goes on', async () => {
  const { sink, sends } = recordingSink((m, call) => call === 1 && m.kind === 'output');
  const sender = orderedSender({ sink, maxBatchBytes: 10 }); // one message per send
  await sender.add(0, 'p0', message(0, 'output'));
  await sender.add(1, 'p0', message(1, 'output'));
  await sender.add(2, 'p1', message(2, 'error'));
  await sender.flush();
  assert.deepEqual(
    sends.map((s) => s.offsets),
    [[0], [2]],
  );
  assert.deepEqual([...sender.written], [2]);
  assert.equal(sender.sinkFailures, 2, 'the refused message and the one skipped behind it');
});

test('a sink that throws has written nothing', async () => {
  const sink: EventSink = {
    async send() {
      throw new Error('broker gone');
    },
  };
  const sender = orderedSender({ sink, maxBatchBytes: 1000 });
  await sender.add(0, 'p0', message(0));
  await sender.add(1, 'p1', message(1, 'error'));
  await sender.flush();
  assert.equal(sender.written.size, 0);
  assert.equal(sender.sinkFailures, 2);
});

test('the deadline: passed on to the sink, and past it nothing is sent', async () => {
  const { sink, sends } = recordingSink();
  let now = 0;
  const deadline: Deadline = { remainingMs: () => 100 - now };
  const sender = orderedSender({ sink, maxBatchBytes: 10, deadline });
  await sender.add(0, 'p0', message(0));
  now = 100;
  await sender.add(1, 'p0', message(1));
  await sender.flush();
  assert.deepEqual(
    sends.map((s) => s.offsets),
    [[0]],
  );
  assert.equal(sends[0]!.deadline, deadline);
  assert.deepEqual([...sender.written], [0]);
  assert.equal(sender.unsentAtDeadline, 1);
});

test('invocation deadlines: the margin covers the producer, produceBy leaves time to respond, fetching keeps half', (t) => {
  // Deadlines read Date.now(): held still, remaining times are exact.
  t.mock.timers.enable({ apis: ['Date'], now: 1_000_000 });
  const remaining = (d: Deadline) => d.remainingMs();
  const now = Date.now();
  // A 120 s function with kafkajs' worst case of 32 s: fetching stops 32 s before producing must end.
  const a = invocationDeadlines(now, 120_000, { deadlineMarginMs: 3000, sendWorstCaseMs: 32_000 });
  assert.equal(a.produceMarginMs, 32_000);
  assert.equal(remaining(a.produceBy), 120_000 - RESPONSE_RESERVE_MS);
  assert.equal(remaining(a.fetchBy), 120_000 - RESPONSE_RESERVE_MS - 32_000);
  // The configured margin wins when it is larger.
  assert.equal(
    invocationDeadlines(now, 120_000, { deadlineMarginMs: 40_000, sendWorstCaseMs: 32_000 }).produceMarginMs,
    40_000,
  );
  // A function too short for the producer's worst case still fetches for half of its time.
  const c = invocationDeadlines(now, 10_500, { deadlineMarginMs: 3000, sendWorstCaseMs: 32_000 });
  assert.equal(c.produceMarginMs, 5000);
  assert.equal(remaining(c.fetchBy), 5000);
  // No time at all: both deadlines have passed, nothing negative.
  const d = invocationDeadlines(now, 0, { deadlineMarginMs: 3000, sendWorstCaseMs: 0 });
  assert.equal(d.produceMarginMs, 0);
  assert.ok(d.produceBy.remainingMs() <= 0);
});

test('deadlines are whole milliseconds, so request timeouts derived from them are too', () => {
  for (const remaining of [4000, 4001, 3999, 1234.5]) {
    const d = invocationDeadlines(1_000_000, remaining, { deadlineMarginMs: 1000, sendWorstCaseMs: 32_000 });
    assert.ok(Number.isInteger(d.produceMarginMs), `margin ${d.produceMarginMs} for ${remaining} ms`);
  }
});
