import assert from 'node:assert/strict';
import { test } from 'node:test';
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
