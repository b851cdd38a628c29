/** The documentation's runnable blocks stay marked: the end-to-end test (test/e2e/readme.test.ts) runs exactly these. */
import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { documentedBlocks, readmeBlocks } from '../support/readme-blocks.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

test('every block the end-to-end test runs is marked, once in README.md and docs/, and holds commands', () => {
  const blocks = documentedBlocks(ROOT);
  const names = blocks.map((b) => b.name);
  for (const [name, file] of [
    ['two-commands', 'README.md'],
    ['local-invoke', 'README.md'],
    ['kcat-look', 'README.md'],
    ['deploy-synth', 'README.md'],
    ['kcat-walkthrough', 'docs/local-kafka.md'],
    ['redrive-rehearsal', 'docs/operations.md'],
    ['redrive-rehearsal-outcome', 'docs/operations.md'],
    ['bench-quick', 'docs/performance.md'],
    ['stop', 'docs/operations.md'],
  ] as const) {
    assert.equal(
      names.filter((n) => n === name).length,
      1,
      `<!-- readme-test: ${name} --> once in README.md and docs/`,
    );
    const block = blocks.find((b) => b.name === name)!;
    assert.equal(block.file, file, `${name} is in ${file}`);
    assert.ok(block.text.trim().length > 0, `${name} is not empty`);
  }
  assert.deepEqual(
    names.filter((n, i) => names.indexOf(n) !== i),
    [],
    'a block name is used once across the documentation',
  );
});

test('a marker without a fenced block after it is an error, not a block silently skipped', () => {
  assert.throws(
    () => readmeBlocks('<!-- readme-test: lonely -->\ntext\n', 'docs/x.md'),
    /docs\/x\.md:1: marker "lonely" is not followed by a fenced block/,
  );
  assert.deepEqual(readmeBlocks('<!-- readme-test: one -->\n```sh\nnpm run stop\n```\n'), [
    { name: 'one', text: 'npm run stop', line: 1, lang: 'sh', file: 'README.md' },
  ]);
});
