import assert from 'node:assert/strict';
import { test } from 'node:test';
import { backoffMs, concurrencyLimit, retryAfterMs, sleep } from '../../lib/core/retry.js';

test('backoff grows exponentially up to the cap, with full jitter', () => {
  assert.equal(
    backoffMs(0, 100, 5000, () => 0.999999),
    99,
  );
  assert.equal(
    backoffMs(3, 100, 5000, () => 0.999999),
    799,
  );
  assert.equal(
    backoffMs(10, 100, 5000, () => 0.999999),
    4999,
  );
  assert.equal(
    backoffMs(3, 100, 5000, () => 0),
    0,
  );
});

test('Retry-After in seconds or as an HTTP date', () => {
  assert.equal(retryAfterMs('5'), 5000);
  assert.equal(retryAfterMs(undefined), undefined);
  assert.equal(retryAfterMs('Wed, 25 Nov 2026 12:00:10 GMT', Date.parse('Wed, 25 Nov 2026 12:00:00 GMT')), 10_000);
  assert.equal(retryAfterMs('soon'), undefined);
  assert.equal(retryAfterMs(''), undefined, 'an empty header is no Retry-After, not 0 s');
  assert.equal(retryAfterMs('  '), undefined);
  assert.equal(retryAfterMs('-1', Date.parse('Wed, 25 Nov 2026 12:00:00 GMT')), 0, 'never a negative wait');
});

test('sleep resolves when its timer fires, not before', async (t) => {
  t.mock.timers.enable({ apis: ['setTimeout'] });
  let done = false;
  const slept = sleep(1000).then(() => {
    done = true;
  });
  t.mock.timers.tick(999);
  await Promise.resolve();
  assert.equal(done, false);
  t.mock.timers.tick(1);
  await slept;
  assert.equal(done, true);
});

test('concurrency limit never runs more than N tasks at once', async () => {
  const limit = concurrencyLimit(3);
  let active = 0;
  let peak = 0;
  await Promise.all(
    Array.from({ length: 20 }, () =>
      limit(async () => {
        peak = Math.max(peak, ++active);
        await sleep(2);
        active--;
      }),
    ),
  );
  assert.equal(peak, 3);
});
