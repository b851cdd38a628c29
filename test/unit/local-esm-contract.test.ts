/**
 * The local event source mapping's reading of a Kafka partial batch response and its retry
 * plan, and the on-failure record it writes, as AWS documents them (see the comment at the top of
 * scripts/lib/local-esm.ts for the pages).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  chunksAfterInvocation,
  effectiveMaxRetries,
  planAfterInvocation,
  verdictFor,
  type TrackedRecord,
} from '../../scripts/lib/esm-contract.js';
import { onFailureMessageFor } from '../../scripts/lib/on-failure-record.js';
import { decideRedrive } from '../../lib/redrive/selection.js';

const P = 't-0';
const offsets = [10, 11, 12, 13];
const id = (offset: unknown, partition: unknown = P) => ({ itemIdentifier: { partition, offset } });

test('no response, a null or empty batchItemFailures list is complete success', () => {
  for (const response of [undefined, null, {}, { batchItemFailures: null }, { batchItemFailures: [] }]) {
    assert.deepEqual(verdictFor({ response }, P, offsets), { kind: 'success' }, JSON.stringify(response));
  }
});

test('exactly the listed records fail, in offset order, duplicates once', () => {
  const v = verdictFor({ response: { batchItemFailures: [id(13), id(11), id(13)] } }, P, offsets);
  assert.deepEqual(v, { kind: 'partial', failedOffsets: [11, 13] });
  // Offsets as strings (some runtimes serialise longs that way) name the same records.
  assert.deepEqual(verdictFor({ response: { batchItemFailures: [id('12')] } }, P, offsets), {
    kind: 'partial',
    failedOffsets: [12],
  });
});

test('an identifier not in the batch, malformed, or of another partition fails the whole batch', () => {
  const cases: unknown[] = [
    { batchItemFailures: [id(99)] },
    { batchItemFailures: [id(11), id(9)] },
    { batchItemFailures: [id(11, 't-1')] },
    { batchItemFailures: [{}] },
    { batchItemFailures: [null] },
    { batchItemFailures: [id('')] },
    { batchItemFailures: [id(null)] },
    { batchItemFailures: [id(11.5)] },
    { batchItemFailures: [{ itemIdentifier: '11' }] },
    { batchItemFailures: 'all of them' },
  ];
  for (const response of cases) {
    assert.equal(verdictFor({ response }, P, offsets).kind, 'batch-failure', JSON.stringify(response));
  }
});

test('a function error fails the whole batch and names the error', () => {
  const v = verdictFor({ error: new TypeError('boom') }, P, offsets);
  assert.equal(v.kind, 'batch-failure');
  assert.match((v as { reason: string }).reason, /TypeError: boom/);
});

const tracked = (list: number[], invocations = 0): Array<TrackedRecord<string>> =>
  list.map((offset) => ({ offset, invocations, message: `m${offset}` }));

test('partial failure: listed records retried in offset order, the rest done; commit stops at the first owed', () => {
  const plan = planAfterInvocation(tracked([10, 11, 12, 13]), { kind: 'partial', failedOffsets: [11, 12, 13] }, 3);
  assert.deepEqual(
    plan.succeeded.map((r) => r.offset),
    [10],
  );
  assert.deepEqual(
    plan.retry.map((r) => [r.offset, r.invocations]),
    [
      [11, 1],
      [12, 1],
      [13, 1],
    ],
  );
  assert.deepEqual(plan.exhausted, []);
  assert.equal(plan.commitOffset, 11);
});

test('a record listed alone is retried alone: unlisted later records are done (AWS: only the failed)', () => {
  const plan = planAfterInvocation(tracked([10, 11, 12]), { kind: 'partial', failedOffsets: [11] }, 3);
  assert.deepEqual(
    plan.succeeded.map((r) => r.offset),
    [10, 12],
  );
  assert.deepEqual(
    plan.retry.map((r) => r.offset),
    [11],
  );
  assert.equal(plan.commitOffset, 11, 'the committed offset never passes an owed record');
});

test('success commits one past the batch', () => {
  const plan = planAfterInvocation(tracked([10, 11]), { kind: 'success' }, 3);
  assert.equal(plan.commitOffset, 12);
  assert.deepEqual(plan.retry, []);
});

test('retries are counted per record; after 1 + max invocations a record is exhausted', () => {
  // Invoked 3 times already (first + 2 retries) with max 3: one more retry allowed.
  let plan = planAfterInvocation(tracked([11, 12], 3), { kind: 'partial', failedOffsets: [11, 12] }, 3);
  assert.deepEqual(
    plan.exhausted.map((r) => r.offset),
    [11, 12],
  );
  assert.deepEqual(
    plan.exhausted.map((r) => r.invocations),
    [4, 4],
  );
  assert.equal(plan.commitOffset, 13, 'exhausted records are settled (they go to the on-failure topic)');
  // Records that joined later have their own count.
  const mixed = [...tracked([11], 3), ...tracked([12], 1)];
  plan = planAfterInvocation(mixed, { kind: 'batch-failure', reason: 'x' }, 3);
  assert.deepEqual(
    plan.exhausted.map((r) => r.offset),
    [11],
  );
  assert.deepEqual(
    plan.retry.map((r) => [r.offset, r.invocations]),
    [[12, 2]],
  );
  assert.equal(plan.commitOffset, 12);
});

test('once the last retried record settles, the commit moves past the whole page, not just the retried records', () => {
  // Page 10..15; 12 was retried alone and now goes to the on-failure topic: 13..15 were done long ago.
  const plan = planAfterInvocation(tracked([12], 2), { kind: 'partial', failedOffsets: [12] }, 2, 16);
  assert.deepEqual(
    plan.exhausted.map((r) => r.offset),
    [12],
  );
  assert.equal(plan.commitOffset, 16);
  assert.equal(planAfterInvocation(tracked([12], 1), { kind: 'success' }, 2, 16).commitOffset, 16);
});

test('maximum retry attempts 0 sends a failed record on after its first invocation', () => {
  const plan = planAfterInvocation(tracked([10, 11]), { kind: 'partial', failedOffsets: [11] }, 0);
  assert.deepEqual(
    plan.exhausted.map((r) => r.offset),
    [11],
  );
  assert.equal(plan.commitOffset, 12);
});

test('a whole-batch failure retries every record of the batch', () => {
  const plan = planAfterInvocation(tracked([10, 11, 12]), { kind: 'batch-failure', reason: 'function error' }, 2);
  assert.deepEqual(
    plan.retry.map((r) => r.offset),
    [10, 11, 12],
  );
  assert.equal(plan.commitOffset, 10);
});

test('split batch on error: a function error splits the batch in two, the first half invoked first', () => {
  const failure = { kind: 'batch-failure', reason: 'function error: Runtime.OutOfMemory' } as const;
  const later = [tracked([20, 21])];
  const plan = planAfterInvocation(tracked([10, 11, 12, 13, 14]), failure, 3);
  const chunks = chunksAfterInvocation(plan, failure, later, true);
  assert.deepEqual(
    chunks.map((c) => c.map((r) => r.offset)),
    [
      [10, 11, 12],
      [13, 14],
      [20, 21],
    ],
  );
  assert.ok(
    chunks[0]!.every((r) => r.invocations === 1),
    'the failed invocation counts for every record of it',
  );
  // A single record is not split: it is retried until its retries are exhausted.
  const single = planAfterInvocation(tracked([13]), failure, 3);
  assert.deepEqual(
    chunksAfterInvocation(single, failure, [], true).map((c) => c.map((r) => r.offset)),
    [[13]],
  );
});

test('without splitting, or on a partial batch response, the failed records are retried together', () => {
  const failure = { kind: 'batch-failure', reason: 'function error' } as const;
  const plan = planAfterInvocation(tracked([10, 11, 12]), failure, 3);
  assert.deepEqual(
    chunksAfterInvocation(plan, failure, [], false).map((c) => c.map((r) => r.offset)),
    [[10, 11, 12]],
  );
  const partial = { kind: 'partial', failedOffsets: [11, 12] } as const;
  const listed = planAfterInvocation(tracked([10, 11, 12]), partial, 3);
  assert.deepEqual(
    chunksAfterInvocation(listed, partial, [], true).map((c) => c.map((r) => r.offset)),
    [[11, 12]],
  );
  const done = planAfterInvocation(tracked([10, 11]), { kind: 'success' }, 3);
  assert.deepEqual(chunksAfterInvocation(done, { kind: 'success' }, [tracked([20])], true).length, 1);
});

test('-1 is infinite, but 10 with an on-failure destination (as AWS applies)', () => {
  assert.equal(effectiveMaxRetries(-1, true), 10);
  assert.equal(effectiveMaxRetries(-1, false), Number.POSITIVE_INFINITY);
  assert.equal(effectiveMaxRetries(2, true), 2);
});

/**
 * AWS, "Using a Kafka topic as an on-failure destination", section "Record format for a Kafka destination"
 * (https://docs.aws.amazon.com/lambda/latest/dg/kafka-on-failure-destination.html#kafka-ofd-record-format):
 * one message per failed record, keyed with the record's key, whose value is the failure metadata document with
 * the event holding the record in `payload`. The page's example names the fields below, in this order.
 */
test('an exhausted record goes to the on-failure topic as Lambda writes it, and redrive reads exactly that', () => {
  const record = {
    topic: 'in',
    partition: 2,
    offset: 7,
    key: 'k',
    value: '{"wiki_id":"enwiki"}',
    headers: [['traceparent', 'abc']] as const,
    timestamp: Date.UTC(2026, 10, 25, 12),
  };
  const now = new Date(Date.UTC(2026, 10, 25, 12, 0, 5));
  const thrown = onFailureMessageFor({ record, invocations: 4, functionError: true, requestId: 'r1', now });
  assert.equal(thrown.key, 'k', "Lambda keeps the record's key");
  const doc = JSON.parse(thrown.value);
  assert.deepEqual(Object.keys(doc), [
    'requestContext',
    'responseContext',
    'version',
    'timestamp',
    'KafkaBatchInfo',
    'payload',
  ]);
  assert.deepEqual(Object.keys(doc.requestContext), [
    'requestId',
    'functionArn',
    'condition',
    'approximateInvokeCount',
  ]);
  assert.equal(doc.requestContext.condition, 'RetriesExhausted', "the page's condition name");
  assert.equal(doc.requestContext.approximateInvokeCount, 4);
  assert.deepEqual(doc.responseContext, { statusCode: 200, executedVersion: '$LATEST', functionError: 'Unhandled' });
  assert.equal(doc.version, '1.0');
  assert.equal(doc.timestamp, '2026-11-25T12:00:05.000Z');
  assert.deepEqual(Object.keys(doc.KafkaBatchInfo), [
    'batchSize',
    'eventSourceArn',
    'bootstrapServers',
    'payloadSize',
    'recordInfo',
  ]);
  assert.equal(doc.KafkaBatchInfo.batchSize, 1);
  assert.equal(doc.KafkaBatchInfo.payloadSize, Buffer.byteLength(JSON.stringify(doc.payload)));
  assert.deepEqual(doc.KafkaBatchInfo.recordInfo, { offset: '7', timestamp: '2026-11-25T12:00:00.000Z' });
  assert.deepEqual(Object.keys(doc.payload.records), ['in-2']);
  assert.equal(Buffer.from(doc.payload.records['in-2'][0].value, 'base64').toString(), record.value);
  // A record the function listed in batchItemFailures: the invocation returned, no function error.
  const listed = JSON.parse(
    onFailureMessageFor({ record, invocations: 4, functionError: false, requestId: 'r1', now }).value,
  );
  assert.deepEqual(listed.responseContext, { statusCode: 200, executedVersion: '$LATEST' });

  const decision = decideRedrive(
    {
      topic: 'on_failure',
      partition: 0,
      offset: '0',
      key: Buffer.from(thrown.key),
      value: Buffer.from(thrown.value),
      headers: {},
      timestamp: now.getTime(),
    },
    { from: 'on-failure' },
  );
  assert.equal(decision.kind, 'redrive');
  assert.equal(decision.errorType, 'RetriesExhausted');
  const back = decision.kind === 'redrive' ? decision.records : [];
  assert.deepEqual(
    back.map((r) => [r.key?.toString(), r.value.toString(), r.headers.traceparent]),
    [['k', record.value, 'abc']],
  );
});
