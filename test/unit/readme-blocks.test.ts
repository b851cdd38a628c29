/** The README's runnable blocks stay marked: the end-to-end test (test/e2e/readme.test.ts) runs exactly these. */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { readmeBlocks } from '../support/readme-blocks.js';

const README = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');

test('every block the README end-to-end test runs is marked, once, and holds commands', () => {
  const blocks = readmeBlocks(README);
  const names = blocks.map((b) => b.name);
  for (const name of [
    'two-commands',
    'local-invoke',
    'kcat-walkthrough',
    'redrive-rehearsal',
    'redrive-rehearsal-outcome',
    'deploy-synth',
    'bench-quick',
    'stop',
  ]) {
    assert.equal(names.filter((n) => n === name).length, 1, `<!-- readme-test: ${name} --> once in README.md`);
    assert.ok(blocks.find((b) => b.name === name)!.text.trim().length > 0, `${name} is not empty`);
  }
});

test('a marker without a fenced block after it is an error, not a block silently skipped', () => {
  assert.throws(
    () => readmeBlocks('<!-- readme-test: lonely -->\ntext\n'),
    /"lonely" is not followed by a fenced block/,
  );
  assert.deepEqual(readmeBlocks('<!-- readme-test: one -->\n```sh\nnpm run stop\n```\n'), [
    { name: 'one', text: 'npm run stop', line: 1 },
  ]);
});
