/**
 * The floor's step timer reads thread CPU time, which the kernel counts in scheduler ticks: a step that takes less
 * than a tick read 0 (issue 29: `bench:quick` showed 7 of 9 steps at 0.0000 and half the full bench's floor). Each
 * round now repeats the step until it spans `MIN_ROUND_CPU_MS`, so even a step of microseconds reads above zero.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { test } from 'node:test';
import { fastest, MIN_ROUND_CPU_MS } from '../../bench/floor.js';

test('a step far shorter than a scheduler tick measures above zero, per call', () => {
  const data = Buffer.alloc(1024, 7);
  let calls = 0;
  const ms = fastest(3, () => {
    calls++;
    createHash('sha1').update(data).digest();
  });
  assert.ok(ms > 0, `measured ${ms} ms`);
  assert.ok(calls > 3, `repeated within each round (${calls} calls in 3 rounds)`);
  // Each round spans at least MIN_ROUND_CPU_MS of CPU, so a call's share is at most that.
  assert.ok(ms <= MIN_ROUND_CPU_MS, `${ms} ms per call`);
});
