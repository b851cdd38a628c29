/**
 * The precompiled page_change validator: the committed module matches what the generator makes
 * from the schema today, and it decides exactly as ajv compiling the schema at run time would.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { Ajv } from 'ajv';
import ucs2lengthModule from 'ajv/dist/runtime/ucs2length.js';
import fc from 'fast-check';
import { codePointLength } from '../../lib/schemas/code-point-length.js';
import { validate } from '../../lib/schemas/page-change-input.validate.js';
import { AJV_OPTIONS, generateValidatorSource, SCHEMA_FILE, VALIDATOR_FILE } from '../../scripts/build-validator.js';
import { pageChangeEvent } from '../../scripts/lib/page-change-events.js';

const ucs2length = ((ucs2lengthModule as { default?: unknown }).default ?? ucs2lengthModule) as (s: string) => number;

test('the committed validator is what scripts/build-validator.ts generates now (npm run build:validator)', async () => {
  assert.equal(readFileSync(VALIDATOR_FILE, 'utf8'), await generateValidatorSource());
});

test('the validator module needs nothing from ajv at run time', () => {
  const source = readFileSync(VALIDATOR_FILE, 'utf8');
  assert.doesNotMatch(source, /from ['"]ajv|require\(/);
});

test('codePointLength counts as ajv does: surrogate pairs once, lone surrogates once', () => {
  assert.equal(codePointLength('a😀b'), 3);
  assert.equal(codePointLength('\ud800'), 1);
  assert.equal(codePointLength('\udc00\ud800'), 2);
  fc.assert(
    fc.property(fc.string({ unit: 'binary' }), fc.string({ unit: 'grapheme' }), (a, b) => {
      assert.equal(codePointLength(a), ucs2length(a));
      assert.equal(codePointLength(b), ucs2length(b));
    }),
  );
});

test('same verdict and first error as ajv compiling the schema at run time', () => {
  const compiled = new Ajv(AJV_OPTIONS).compile(JSON.parse(readFileSync(SCHEMA_FILE, 'utf8')));
  const precompiled = validate as unknown as typeof compiled;
  const lengths = ['', 'a', '😀', 'x'.repeat(64), 'x'.repeat(65), '😀'.repeat(64), '😀'.repeat(65)];
  lengths.push('x'.repeat(254));
  const values = fc.oneof(
    fc.constantFrom(...lengths),
    fc.constantFrom(0, -1, 1.5, 2 ** 53 - 1, 2 ** 53, Number.POSITIVE_INFINITY, Number.NaN, null, true, [], {}),
    fc.string(),
    fc.integer(),
  );
  const paths: Array<(e: any) => [any, string]> = [
    (e) => [e, 'dt'],
    (e) => [e, 'wiki_id'],
    (e) => [e, '$schema'],
    (e) => [e, 'changelog_kind'],
    (e) => [e, 'page_change_kind'],
    (e) => [e.meta, 'domain'],
    (e) => [e.meta, 'stream'],
    (e) => [e.page, 'page_id'],
    (e) => [e.page, 'page_title'],
    (e) => [e.page, 'namespace_id'],
    (e) => [e.revision, 'rev_id'],
    (e) => [e.revision, 'is_content_visible'],
    (e) => [e.revision.content_slots.main, 'content_size'],
    (e) => [e.revision.content_slots.main, 'slot_role'],
    (e) => [e, 'meta'],
    (e) => [e, 'revision'],
  ];
  fc.assert(
    fc.property(fc.array(fc.tuple(fc.nat(paths.length - 1), values, fc.boolean()), { maxLength: 3 }), (edits) => {
      const e: any = pageChangeEvent({ content: 'abc' });
      for (const [p, value, remove] of edits) {
        let target: [any, string];
        try {
          target = paths[p]!(e);
        } catch {
          continue; // an earlier edit replaced a parent with a non-object
        }
        const [obj, key] = target;
        if (obj === null || typeof obj !== 'object') continue;
        if (remove) delete obj[key];
        else obj[key] = value;
      }
      const data = JSON.parse(JSON.stringify(e) ?? 'null');
      assert.equal(precompiled(data), compiled(data));
      assert.deepEqual(precompiled.errors?.[0], compiled.errors?.[0]);
    }),
    { numRuns: Number(process.env.VALIDATOR_RUNS ?? 2000) },
  );
});
