import assert from 'node:assert/strict';
import { test } from 'node:test';
import { passthroughReason, setContent, setOutputMeta, messageKeyFor } from '../../lib/pipeline/enrich.js';
import type { PageChangeEvent } from '../../lib/pipeline/page-change.js';

/** The event after `set` changed it. */
const changed =
  <A extends unknown[]>(set: (event: PageChangeEvent, ...args: A) => void) =>
  (event: PageChangeEvent, ...args: A) => {
    set(event, ...args);
    return event;
  };
const withContent = changed(setContent);
const withOutputMeta = changed(setOutputMeta);
import { ContentIntegrityMismatchError } from '../../lib/pipeline/errors.js';
import { parsePageChange } from '../../lib/pipeline/page-change.js';
import type { FetchedRevision } from '../../lib/mediawiki/revision-content-client.js';
import { createHash } from 'node:crypto';
import { contentSha1Base36 } from '../../lib/mediawiki/sha1.js';
import { pageChangeEvent } from '../../scripts/lib/page-change-events.js';

const events = {
  outputStream: 'mediawiki.page_content_change.v1',
  errorStream: 'err',
  errorSchemaUri: '/error/2.1.0',
  emitterId: 'test',
};
const parse = (o: Parameters<typeof pageChangeEvent>[0]) => parsePageChange(JSON.stringify(pageChangeEvent(o)));
const hex = (t: string) => createHash('sha1').update(t, 'utf8').digest('hex');
const revision = (slots: Record<string, string>, revId = 1000): FetchedRevision => ({
  revId,
  pageId: 10,
  slots: new Map(
    Object.entries(slots).map(([role, content]) => [
      role,
      {
        role,
        content,
        contentModel: 'wikitext',
        contentFormat: 'text/x-wiki',
        sha1Hex: hex(content),
        size: Buffer.byteLength(content),
      },
    ]),
  ),
});

test('passthrough rules: canary, delete, content hidden; everything else is fetched', () => {
  assert.equal(passthroughReason(parse({ domain: 'canary' })), 'canary');
  assert.equal(passthroughReason(parse({ kind: 'delete' })), 'delete');
  assert.equal(passthroughReason(parse({ contentVisible: false })), 'content-hidden');
  assert.equal(passthroughReason(parse({ kind: 'edit' })), undefined);
  assert.equal(passthroughReason(parse({ kind: 'create' })), undefined);
});

test("content_body is set on the event's slots when sha1 and size match", () => {
  const text = 'Grüße 🌍 — wikitext';
  const e = withContent(parse({ content: text }), revision({ main: text }));
  assert.equal(e.revision.content_slots!.main!.content_body, text);
  assert.equal(e.revision.content_slots!.main!.origin_rev_id, 1000);
});

test('slots the event lacks are created from the API metadata, sha1 in base 36', () => {
  const e = withContent(parse({}), revision({ main: 'a', mediainfo: '{"x":1}' }));
  assert.deepEqual(Object.keys(e.revision.content_slots!), ['main', 'mediainfo']);
  assert.equal(e.revision.content_slots!.mediainfo!.content_sha1, contentSha1Base36('{"x":1}'));
  assert.equal(e.revision.content_slots!.mediainfo!.content_size, 7);
  assert.equal(e.revision.content_slots!.mediainfo!.slot_role, 'mediainfo');
  assert.equal(e.revision.content_slots!.mediainfo!.content_model, 'wikitext');
  assert.equal(e.revision.content_slots!.mediainfo!.content_format, 'text/x-wiki');
});

test('a sha1 or size mismatch is an integrity error, never a silently wrong output', () => {
  assert.throws(
    () => withContent(parse({ content: 'expected' }), revision({ main: 'different' })),
    ContentIntegrityMismatchError,
  );
  const e = parse({ content: 'abc' });
  delete e.revision.content_slots!.main!.content_sha1;
  e.revision.content_slots!.main!.content_size = 4;
  assert.throws(() => withContent(e, revision({ main: 'abc' })), /size .* 3 bytes, the event says 4/);
  assert.throws(
    () => withContent(parse({ content: 'abc' }), revision({ other: 'abc' })),
    /slot "main" .* not returned/,
  );
});

test('a sha1 mismatch at equal size is an integrity error: the sha1 is checked, not only the size', () => {
  const e = parse({ content: 'abc' });
  assert.equal(e.revision.content_slots!.main!.content_size, Buffer.byteLength('abd'));
  assert.throws(() => withContent(e, revision({ main: 'abd' })), /sha1 of fetched content .* the event says/);
});

test("a slot the event has keeps the event's metadata; the API's fills only slots it lacks", () => {
  const e = parse({ content: 'abc' });
  const main = e.revision.content_slots!.main!;
  main.content_model = 'text';
  main.content_format = 'text/plain';
  const fetched = revision({ main: 'abc' });
  const slot = { ...fetched.slots.get('main')!, size: 999 };
  const out = withContent(e, { ...fetched, slots: new Map([['main', slot]]) }).revision.content_slots!.main!;
  assert.equal(out.content_model, 'text');
  assert.equal(out.content_format, 'text/plain');
  assert.equal(out.content_size, 3);
  assert.equal(out.content_body, 'abc');
});

test('sha1 comparison tolerates an unpadded base-36 value', () => {
  const text = 'x';
  const e = parse({ content: text });
  e.revision.content_slots!.main!.content_sha1 = contentSha1Base36(text).replace(/^0+/, '');
  assert.equal(withContent(e, revision({ main: text })).revision.content_slots!.main!.content_body, text);
});

test('output meta: output stream, fresh id, production time; dt and $schema unchanged unless pinned', () => {
  const input = parse({});
  const now = new Date('2026-11-25T12:00:00.000Z');
  const out = withOutputMeta(input, events, now);
  assert.equal(out.meta.stream, 'mediawiki.page_content_change.v1');
  assert.notEqual(out.meta.id, '00000000-0000-4000-8000-000000000000');
  assert.equal(out.meta.dt, '2026-11-25T12:00:00.000Z');
  assert.equal(out.dt, '2026-11-25T10:00:00Z');
  assert.equal(out.meta.domain, 'dev.wiki.local');
  assert.equal(out.$schema, '/mediawiki/page/change/1.2.0');
  assert.equal(
    withOutputMeta(parse({}), { ...events, outputSchemaUri: '/mediawiki/page/change/1.1.0' }, now).$schema,
    '/mediawiki/page/change/1.1.0',
  );
  assert.equal(messageKeyFor('enwiki', 42), '{"wiki_id":"enwiki","page_id":42}');
});
