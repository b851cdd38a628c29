/**
 * The handler's answer to the event source mapping: a partial batch response in provisioned mode, and a function
 * error in on-demand mode (ESM_PARTIAL_BATCH_RESPONSE=false), where Lambda would commit any listed record.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Context } from 'aws-lambda';
import { createHandler, dependenciesFromEnv } from '../../functions/page-content-change-enrich/handler.js';
import { UnwrittenRecordsError } from '../../lib/pipeline/errors.js';
import type { EventSink } from '../../lib/pipeline/sink.js';
import { esmEventOf, pageChangeEvent } from '../../scripts/lib/page-change-events.js';

const ENV = { MW_API_ALLOWED_DOMAINS: 'dev.wiki.local', KAFKA_BROKERS: '127.0.0.1:1' };

/** A sink whose output topic refuses every write; error events are written. */
function refusingOutput(): EventSink & { written: number } {
  const sink = {
    written: 0,
    async send(batch: Parameters<EventSink['send']>[0]) {
      const failed = new Set<number>();
      batch.forEach((m, i) => {
        if (m.kind === 'output') failed.add(i);
        else sink.written++;
      });
      return { failed };
    },
  };
  return sink;
}

const context = { awsRequestId: 'r', getRemainingTimeInMillis: () => 60_000 } as unknown as Context;
// A page deletion passes through without a MediaWiki request, so only the sink decides the outcome.
const batch = () => esmEventOf([pageChangeEvent({ kind: 'delete' }), 'not json']);

for (const [setting, expected] of [
  ['true', 'listed'],
  [undefined, 'listed'],
  ['false', 'thrown'],
] as const) {
  test(`ESM_PARTIAL_BATCH_RESPONSE=${setting ?? '(unset)'}: an unwritten record is ${expected}`, async () => {
    const sink = refusingOutput();
    const deps = dependenciesFromEnv({ ...ENV, ESM_PARTIAL_BATCH_RESPONSE: setting }, sink);
    const handler = createHandler(() => deps);
    try {
      if (expected === 'listed') {
        const response = await handler(batch(), context);
        assert.deepEqual(
          response.batchItemFailures.map((f) => f.itemIdentifier.offset),
          [0],
          'the refused enriched event is listed; the written error event is not',
        );
      } else {
        await assert.rejects(
          handler(batch(), context),
          (e: Error) => e instanceof UnwrittenRecordsError && /1 record/.test(e.message),
        );
      }
      assert.equal(sink.written, 1, 'the error event for the non-JSON record was written either way');
    } finally {
      await deps.client.close();
    }
  });
}

test('ESM_PARTIAL_BATCH_RESPONSE=false and everything written: the invocation succeeds', async () => {
  const written: unknown[] = [];
  const sink: EventSink = {
    async send(messages) {
      written.push(...messages);
      return { failed: new Set() };
    },
  };
  const deps = dependenciesFromEnv({ ...ENV, ESM_PARTIAL_BATCH_RESPONSE: 'false' }, sink);
  try {
    const response = await createHandler(() => deps)(batch(), context);
    assert.deepEqual(response.batchItemFailures, []);
    assert.equal(written.length, 2);
  } finally {
    await deps.client.close();
  }
});
