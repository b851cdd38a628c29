/** The ordered producer's request chunking and worst case (lib/kafka/producer.ts). */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { chunkBySize, PRODUCER_RETRY, sendWorstCaseMs } from '../../lib/kafka/producer.js';

test('messages are chunked in order under the size limit; an oversized one travels alone', () => {
  const sizes = [100, 100, 100, 900, 50, 2000, 10];
  const chunks = chunkBySize(sizes, (n) => n, 1000);
  assert.deepEqual(chunks, [[100, 100, 100], [900], [50], [2000], [10]]);
  assert.deepEqual(chunks.flat(), sizes);
});

test("the producer's worst case: every attempt waits the request timeout, every retry the longest backoff", () => {
  assert.equal(
    sendWorstCaseMs(10_000),
    (PRODUCER_RETRY.retries + 1) * 10_000 + PRODUCER_RETRY.retries * PRODUCER_RETRY.maxRetryTime,
  );
  assert.equal(sendWorstCaseMs(5000, { retries: 0, maxRetryTime: 1000 }), 5000);
});
