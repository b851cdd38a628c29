/** The invocation's fetch and produce deadlines (lib/pipeline/invocation-deadlines.ts). */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Deadline } from '../../lib/core/deadline.js';
import { invocationDeadlines, RESPONSE_RESERVE_MS } from '../../lib/pipeline/invocation-deadlines.js';

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
