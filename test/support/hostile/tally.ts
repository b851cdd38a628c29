/** The tally of generated records that each hostile-input test file reports when it ends. */
import assert from 'node:assert/strict';

const counts = new Map<string, number>();
let total = 0;

/** Counts one generated record under its generator family. */
export function countRecord(label: string): void {
  total++;
  counts.set(label, (counts.get(label) ?? 0) + 1);
}

/** Logs the records generated in this file by label; fails if fewer than `atLeast`. */
export function reportCounts(atLeast = 0): void {
  const summary = [...counts]
    .sort((a, b) => b[1] - a[1])
    .map(([k, v]) => `${k}=${v}`)
    .join(' ');
  console.log(`hostile-input: ${total} generated records in all; ${summary}`);
  assert.ok(total >= atLeast, `only ${total} records generated`);
}
