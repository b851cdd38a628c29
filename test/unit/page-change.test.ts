import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { test } from 'node:test';
import { InvalidEventError, InvalidJsonError } from '../../lib/pipeline/errors.js';
import { decodeUtf8, parsePageChange } from '../../lib/pipeline/page-change.js';
import { pageChangeEvent } from '../../scripts/lib/page-change-events.js';

import { referenceDir } from '../support/reference.js';

const REFERENCE = referenceDir();

test('accepts page_change events of every 1.x minor version, with unknown fields', () => {
  for (const schema of [
    '/mediawiki/page/change/1.0.0',
    '/mediawiki/page/change/1.2.0',
    '/mediawiki/page/change/1.3.0',
    '/mediawiki/page/change/1.17.4',
  ]) {
    const e = pageChangeEvent({ schema, content: 'x' });
    (e as any).some_future_field = { nested: true };
    (e.revision as any).editor = { user_central_id: 1, is_temp: false };
    assert.equal(parsePageChange(JSON.stringify(e)).$schema, schema);
  }
});

test('accepts the upstream schema examples and the real enwiki event (when the reference is present)', {
  skip: !existsSync(REFERENCE) && 'no ../shared/reference',
}, () => {
  const sample = readFileSync(new URL('samples/enwiki-page-change-edit.json', REFERENCE), 'utf8');
  assert.equal(parsePageChange(sample).revision.rev_id, 1319367938);
  for (const file of readdirSync(new URL('schemas/', REFERENCE)).filter((f) => f.startsWith('mediawiki-page-change'))) {
    const schema = JSON.parse(readFileSync(new URL(`schemas/${file}`, REFERENCE), 'utf8'));
    for (const example of schema.examples ?? []) {
      // Upstream examples are random data ("dolor"); they must still satisfy the fields we rely on.
      parsePageChange(JSON.stringify({ ...example, $schema: schema.$id }));
    }
  }
});

const invalid: Array<[string, (e: any) => void, RegExp]> = [
  ['missing wiki_id', (e) => delete e.wiki_id, /wiki_id/],
  ['missing meta.domain', (e) => delete e.meta.domain, /domain/],
  ['page_id a string', (e) => (e.page.page_id = '10'), /page_id/],
  ['page_id negative', (e) => (e.page.page_id = -1), /page_id/],
  ['rev_id past 2^53', (e) => (e.revision.rev_id = 2 ** 53 + 2), /rev_id/],
  ['rev_id fractional', (e) => (e.revision.rev_id = 1.5), /rev_id/],
  ['revision missing', (e) => delete e.revision, /revision/],
  ['major version 2', (e) => (e.$schema = '/mediawiki/page/change/2.0.0'), /schema/],
  ['content_sha1 a number', (e) => (e.revision.content_slots.main.content_sha1 = 12), /content_sha1/],
  ['slot role disagrees with key', (e) => (e.revision.content_slots.main.slot_role = 'other'), /slot_role/],
  ['is_content_visible a string', (e) => (e.revision.is_content_visible = 'yes'), /is_content_visible/],
];
for (const [name, mutate, pattern] of invalid) {
  test(`rejects an event with ${name}`, () => {
    const e = pageChangeEvent({ content: 'abc' });
    mutate(e);
    assert.throws(
      () => parsePageChange(JSON.stringify(e)),
      (err: Error) => err instanceof InvalidEventError && pattern.test(err.message),
    );
  });
}

test('not JSON, not an object, not UTF-8, empty: each a named error', () => {
  assert.throws(() => parsePageChange('{"a":'), InvalidJsonError);
  assert.throws(() => parsePageChange('[1,2]'), /not an object \(array\)/);
  assert.throws(() => parsePageChange('null'), /not an object \(null\)/);
  assert.throws(() => parsePageChange('"x"'), InvalidEventError);
  assert.throws(() => decodeUtf8(Buffer.from([0x7b, 0xff, 0xfe, 0x7d])), /not valid UTF-8/);
  assert.throws(() => decodeUtf8(null), /no value/);
});

test('__proto__ keys stay plain data and never reach Object.prototype', () => {
  const e = pageChangeEvent() as any;
  const text = JSON.stringify(e).replace('{', '{"__proto__":{"polluted":1},');
  parsePageChange(text);
  assert.equal(({} as any).polluted, undefined);
});
