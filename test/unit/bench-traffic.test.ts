/** The realistic mix's sizes (bench/traffic.ts): fitted to issue 25's public page_change sample, 0 B to 2 MiB. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { prng } from '../../bench/content.js';
import { drawSize, fitSizes, MAX_SLOT_BYTES, PAGE_CHANGE_SAMPLE_BYTES } from '../../bench/traffic.js';

test('the fit: 1 in 16 events of 0 B, a log-normal of the others by maximum likelihood', () => {
  const fit = fitSizes();
  assert.equal(fit.zeroShare, 1 / 16);
  const logs = PAGE_CHANGE_SAMPLE_BYTES.filter((b) => b > 0).map(Math.log);
  assert.ok(Math.abs(fit.mu - logs.reduce((a, b) => a + b, 0) / logs.length) < 1e-9);
  assert.ok(fit.sigma > 2, `heavy-tailed: σ = ${fit.sigma}`);
});

test('draws stay within 0 B–2 MiB, reach both ends, and are deterministic per seed', () => {
  const draw = (seed: number) => {
    const rand = prng(seed);
    return Array.from({ length: 5000 }, () => drawSize(rand));
  };
  const sizes = draw(7);
  assert.deepEqual(sizes, draw(7));
  assert.ok(sizes.every((s) => Number.isInteger(s) && s >= 0 && s <= MAX_SLOT_BYTES));
  assert.ok(sizes.includes(0), 'some empty revisions');
  assert.ok(sizes.includes(MAX_SLOT_BYTES), 'some at the 2 MiB limit');
  const sorted = [...sizes].sort((a, b) => a - b);
  assert.ok(sorted[2500]! < 10_000, `median ${sorted[2500]} B: most edits touch small pages`);
  assert.ok(sizes.filter((s) => s > 60_000).length > 5000 / 20, 'and a heavy tail above 60 KB');
});
