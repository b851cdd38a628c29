/**
 * The error event's `raw_event` is bounded at RAW_EVENT_MAX_CHARS characters whatever the record:
 * text is cut at the bound, and bytes that are not UTF-8 are cut before base64's 4/3 growth, so
 * the encoded text, not the byte count, stays within the bound.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { errorEventFor, RAW_EVENT_MAX_CHARS } from '../../lib/pipeline/error-event.js';
import { InvalidJsonError } from '../../lib/pipeline/errors.js';

const events = {
  outputStream: 'mediawiki.page_content_change.v1',
  errorStream: 'err',
  errorSchemaUri: '/error/2.1.0',
  emitterId: 'test',
};
const error = new InvalidJsonError('not UTF-8');
/** The most bytes whose base64 fits the bound: 3 bytes become 4 characters. */
const MAX_BYTES = (RAW_EVENT_MAX_CHARS * 3) / 4;
const rawEventOfBytes = (n: number) => errorEventFor(error, { bytes: Buffer.alloc(n, 0xff) }, events).raw_event;

test('bytes whose base64 is exactly the bound are kept whole, without a truncation label', () => {
  const raw = rawEventOfBytes(MAX_BYTES);
  assert.ok(raw.startsWith('base64:'));
  const b64 = raw.slice('base64:'.length);
  assert.equal(b64.length, RAW_EVENT_MAX_CHARS);
  assert.deepEqual(Buffer.from(b64, 'base64'), Buffer.alloc(MAX_BYTES, 0xff));
});

test('one byte past the base64 bound is cut to the bound before encoding and labelled with the full length', () => {
  for (const n of [MAX_BYTES + 1, RAW_EVENT_MAX_CHARS, RAW_EVENT_MAX_CHARS * 2]) {
    const raw = rawEventOfBytes(n);
    const match = /^base64:([A-Za-z0-9+/=]*)…\[truncated: (\d+) bytes in all\]$/.exec(raw);
    assert.ok(match, `${n} bytes: labelled as truncated (${raw.slice(-60)})`);
    assert.equal(match[1]!.length, RAW_EVENT_MAX_CHARS, `${n} bytes: base64 at the bound, not 4/3 past it`);
    assert.equal(Buffer.from(match[1]!, 'base64').length, MAX_BYTES);
    assert.equal(Number(match[2]), n);
  }
});

test('text is kept up to the bound and cut one character past it', () => {
  const whole = 'x'.repeat(RAW_EVENT_MAX_CHARS);
  assert.equal(errorEventFor(error, { text: whole }, events).raw_event, whole);
  const cut = errorEventFor(error, { text: `${whole}y` }, events).raw_event;
  assert.equal(cut, `${whole}…[truncated: ${RAW_EVENT_MAX_CHARS + 1} chars in all]`);
});

test('the error event names the errored record: its domain, stream and schema when it had them, nothing when not', () => {
  const record = JSON.stringify({
    $schema: '/mediawiki/page/change/1.2.0',
    meta: { stream: 'mediawiki.page_change.v1', domain: 'en.wikipedia.org' },
  });
  const named = errorEventFor(error, { text: record }, events);
  assert.equal(named.meta.domain, 'en.wikipedia.org');
  assert.equal(named.errored_stream_name, 'mediawiki.page_change.v1');
  assert.equal(named.errored_schema_uri, '/mediawiki/page/change/1.2.0');
  const bare = errorEventFor(error, { text: 'not json' }, events);
  assert.deepEqual(
    ['domain' in bare.meta, 'errored_stream_name' in bare, 'errored_schema_uri' in bare],
    [false, false, false],
  );
  assert.equal(errorEventFor(error, { bytes: Buffer.alloc(0) }, events).raw_event, '');
});
