/**
 * The ingest's pure parts: EventStreams positions, the record of an event (key, timestamp, identity),
 * the replay window of a timestamp resume, the history-too-old message, Retry-After.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { InvalidEventIdError } from '../../lib/ingest/errors.js';
import { parsePosition, positionTimestamp, replaysOnResume } from '../../lib/ingest/event-position.js';
import { retryAfterMs, streamUrl } from '../../lib/ingest/event-stream.js';
import { historyTooOld } from '../../lib/ingest/history.js';
import { inputRecordFor } from '../../lib/ingest/input-record.js';
import { ReplayWindow } from '../../lib/ingest/replay-window.js';
import { isFencing } from '../../lib/ingest/transactional-writer.js';
import { parsePageChange } from '../../lib/pipeline/page-change.js';
import { productionEvent } from '../../scripts/lib/eventstreams/page-change-samples.js';
import { positionId } from '../../scripts/lib/eventstreams/stand-in.js';

const ID =
  '[{"topic":"eqiad.mediawiki.page_change.v1","partition":0,"timestamp":1790525832813},{"topic":"codfw.mediawiki.page_change.v1","partition":0,"offset":-1}]';

test('an EventStreams id (the documented format) parses to one entry per upstream topic and partition', () => {
  const position = parsePosition(ID);
  assert.deepEqual(position, [
    { topic: 'eqiad.mediawiki.page_change.v1', partition: 0, timestamp: 1790525832813 },
    { topic: 'codfw.mediawiki.page_change.v1', partition: 0, offset: -1 },
  ]);
  assert.equal(positionTimestamp(position), 1790525832813);
  assert.equal(replaysOnResume(position), true, 'a timestamp entry resumes at its millisecond: replays');
  assert.equal(replaysOnResume(parsePosition('[{"topic":"t","partition":0,"offset":41}]')), false);
});

test('ids that are not positions are InvalidEventIdError, naming the id', () => {
  for (const bad of [
    'not-a-position',
    '{}',
    '[]',
    '[{"topic":"t"}]',
    '[{"topic":"t","partition":0,"offset":1,"timestamp":2}]',
    '[{"topic":"t","partition":"0","offset":1}]',
  ]) {
    assert.throws(
      () => parsePosition(bad),
      (err: unknown) => err instanceof InvalidEventIdError && err.message.includes('SSE id'),
      bad,
    );
  }
});

test('an event becomes a record keyed {"wiki_id","page_id"}, stamped with meta.dt, identified by meta.id', () => {
  const data = JSON.stringify({
    wiki_id: 'enwiki',
    page: { page_id: 42 },
    meta: { id: 'abc', dt: '2026-09-21T10:00:00.123Z' },
  });
  const r = inputRecordFor({ id: ID, data });
  assert.equal(r.key, '{"wiki_id":"enwiki","page_id":42}');
  assert.equal(r.timestamp, Date.parse('2026-09-21T10:00:00.123Z'));
  assert.equal(r.identity, 'abc');
  assert.equal(r.value, data, 'the data unchanged');
  assert.equal(r.json, true);
});

test('data that is not JSON, or an event without a key, still becomes a record: unchanged, keyed null', () => {
  const notJson = inputRecordFor({ id: ID, data: '{"truncated": ' });
  assert.deepEqual(
    [notJson.key, notJson.value, notJson.json, notJson.timestamp],
    [null, '{"truncated": ', false, undefined],
  );
  assert.equal(notJson.identity, 'data:{"truncated": ');
  const unkeyed = inputRecordFor({ id: ID, data: '{"meta":{"id":"x","dt":"not a date"}}' });
  assert.deepEqual([unkeyed.key, unkeyed.json, unkeyed.timestamp, unkeyed.identity], [null, true, undefined, 'x']);
  assert.equal(inputRecordFor({ id: ID, data: '[1,2]' }).json, false);
});

test('the replay window holds what a resume at the current position sends again, and forgets what it moved past', () => {
  const w = new ReplayWindow();
  const at = (ts: number) => parsePosition(positionId(ts));
  w.add('a', at(100));
  w.add('b', at(100)); // same millisecond
  assert.ok(w.has('a') && w.has('b'));
  w.add('c', at(101));
  assert.deepEqual([w.has('a'), w.has('b'), w.has('c'), w.size], [false, false, true, 1]);
  // Two upstream partitions: the quiet one's last event stays replayable while the other advances.
  const two = (a: number, b: number) =>
    parsePosition(
      JSON.stringify([
        { topic: 'x', partition: 0, timestamp: a },
        { topic: 'y', partition: 0, timestamp: b },
      ]),
    );
  const v = new ReplayWindow();
  v.add('from-y', two(1, 50));
  v.add('from-x', two(2, 50));
  v.add('from-x-later', two(3, 50));
  assert.deepEqual(
    [v.has('from-y'), v.has('from-x'), v.has('from-x-later')],
    [true, true, true],
    'y still resumes at 50',
  );
  v.add('from-y-later', two(3, 51));
  assert.deepEqual([v.has('from-y'), v.has('from-x-later'), v.has('from-y-later')], [false, true, true]);
});

test('history too old: the message says what was lost (span, events at 19/s) and how to start again with since', () => {
  const err = historyTooOld('2026-09-01T00:00:00Z', '2026-09-03T12:00:00Z', ID);
  assert.match(err.message, /older than the stream's history/);
  assert.match(
    err.message,
    /events from 2026-09-01T00:00:00Z to 2026-09-03T12:00:00Z are lost: 2\.5 days, about 4,104,000 events at 19 events\/s/,
  );
  assert.match(err.message, /npm run ingest -- --since 2026-09-03T12:00:00Z; in the stack: ingest\.since/);
  assert.equal(err.firstAvailableDt, '2026-09-03T12:00:00Z');
});

test('Retry-After: delta-seconds or an HTTP date, as ms; since only on a first connection', () => {
  assert.equal(retryAfterMs('3'), 3000);
  assert.equal(retryAfterMs('Wed, 21 Oct 2026 07:28:05 GMT', Date.parse('Wed, 21 Oct 2026 07:28:00 GMT')), 5000);
  assert.equal(retryAfterMs(undefined), undefined);
  assert.equal(retryAfterMs('soon'), undefined);
  assert.equal(
    streamUrl('https://s.example/v2/stream/x', '2026-09-01T00:00:00Z', false).search,
    '?since=2026-09-01T00%3A00%3A00Z',
  );
  assert.equal(
    streamUrl('https://s.example/v2/stream/x', '2026-09-01T00:00:00Z', true).search,
    '',
    'a resume sends Last-Event-ID instead',
  );
});

test('fencing is recognised through kafkajs wrappers, by type or by the unknown code 90', () => {
  assert.ok(isFencing({ type: 'INVALID_PRODUCER_EPOCH' }));
  assert.ok(isFencing({ name: 'KafkaJSNumberOfRetriesExceeded', originalError: { message: 'Unknown error code 90' } }));
  assert.ok(isFencing({ name: 'KafkaJSNonRetriableError', cause: { type: 'PRODUCER_FENCED' } }));
  assert.ok(!isFencing({ type: 'NOT_LEADER_FOR_PARTITION', message: 'leader moved' }));
});

test("the stand-in's production-shaped samples are page changes the enrichment reads, with the shapes public captures show", () => {
  const events = Array.from({ length: 300 }, (_, i) =>
    productionEvent(i, '2026-09-21T10:00:00Z', '2026-09-21T10:00:00.500Z'),
  );
  for (const e of events) parsePageChange(JSON.stringify(e));
  const slots = (e: Record<string, any>) => Object.keys(e.revision.content_slots).sort().join('+');
  assert.ok(events.every((e) => e.$schema === '/mediawiki/page/change/1.12.0'));
  assert.ok(events.some((e) => slots(e) === 'main+mediainfo'));
  assert.ok(events.some((e: Record<string, any>) => e.revision.content_slots.main.content_model === 'wikibase-item'));
  assert.ok(events.some((e) => e.created_redirect_page !== undefined));
  assert.ok(events.some((e: Record<string, any>) => e.page.redirect_page_link !== undefined));
  assert.ok(events.some((e) => e.prior_state !== undefined));
  assert.equal(new Set(events.map((e: Record<string, any>) => e.meta.id)).size, events.length);
});
