/** Redrive selection (pure): which records go back to the input topic, with which key and headers, and why not. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { errorEventFor } from '../../lib/pipeline/error-event.js';
import { ContentIntegrityMismatchError, InvalidJsonError } from '../../lib/pipeline/errors.js';
import { MediaWikiHttpError, RevisionMissingError } from '../../lib/mediawiki/errors.js';
import {
  decideRedrive,
  isAfterWindow,
  NON_RETRYABLE_ERROR_TYPES,
  type RedriveSelection,
  type SourceRecord,
} from '../../lib/redrive/selection.js';
import { RedriveTally } from '../../lib/redrive/tally.js';
import {
  parseRedriveRequest,
  RedriveOptionsError,
  redriveGroupIdFor,
  redriveTopicsFrom,
} from '../../lib/redrive/request.js';
import { pageChangeEvent } from '../../scripts/lib/page-change-events.js';
import { readSettings } from '../../lib/settings/catalogue.js';
import { kafkaEsmEventFor } from '../../scripts/lib/esm-event.js';

const events = { outputStream: 'out', errorStream: 'err', errorSchemaUri: '/error/2.1.0', emitterId: 'unit' };
const T0 = Date.parse('2026-11-25T12:00:00Z');

function errorRecord(error: Error, text: string, over: Partial<SourceRecord> = {}): SourceRecord {
  const value = JSON.stringify(errorEventFor(error, { text }, events));
  return {
    topic: 'errors',
    partition: 0,
    offset: '7',
    key: Buffer.from('error-key'),
    value: Buffer.from(value),
    headers: {},
    timestamp: T0,
    ...over,
  };
}

const eventText = JSON.stringify(pageChangeEvent({ wikiId: 'enwiki', pageId: 42, revId: 900 }));
const all: RedriveSelection = { from: 'error' };

test('a retryable error event goes back as its raw_event, keyed like the pipeline, linked to the error event', () => {
  const d = decideRedrive(errorRecord(new MediaWikiHttpError(503, 'HTTP 503'), eventText), all);
  assert.equal(d.kind, 'redrive');
  assert.equal(d.errorType, 'MediaWikiHttpServerError');
  assert.equal(d.wiki, 'enwiki');
  assert.equal(d.records.length, 1);
  const r = d.records[0]!;
  assert.equal(r.value, eventText);
  assert.equal(r.key, JSON.stringify({ wiki_id: 'enwiki', page_id: 42 }));
  assert.deepEqual(r.headers, {
    redrive_count: '1',
    redrive_from_topic: 'errors',
    redrive_from_partition: '0',
    redrive_from_offset: '7',
    redrive_error_type: 'MediaWikiHttpServerError',
  });
});

test('non-retryable types are skipped unless named; naming one redrives it', () => {
  for (const [error, text] of [
    [new InvalidJsonError('bad'), 'not json'],
    [new ContentIntegrityMismatchError('sha1'), eventText],
  ] as const) {
    const skipped = decideRedrive(errorRecord(error, text), all);
    assert.equal(skipped.kind, 'skip');
    assert.equal(skipped.kind === 'skip' && skipped.reason, 'non-retryable');
    const named = decideRedrive(errorRecord(error, text), { from: 'error', errorTypes: [error.errorType] });
    assert.equal(named.kind, 'redrive', error.errorType);
  }
  // The non-JSON record keeps the error event's own key (the pipeline used the input's key).
  const d = decideRedrive(errorRecord(new InvalidJsonError('bad'), 'not json'), {
    from: 'error',
    errorTypes: ['InvalidJson'],
  });
  assert.equal(d.kind === 'redrive' && d.records[0]!.key?.toString(), 'error-key');
  assert.deepEqual([...NON_RETRYABLE_ERROR_TYPES].sort(), [
    'ContentIntegrityMismatch',
    'DomainNotAllowed',
    'InvalidEvent',
    'InvalidJson',
    'InvalidOutputEvent',
    'MessageTooLarge',
  ]);
});

test('a record that was not UTF-8 (raw_event base64:…) goes back as its bytes when InvalidJson is named', () => {
  const bytes = Buffer.from([0xff, 0xfe, 0x41]);
  const value = JSON.stringify(errorEventFor(new InvalidJsonError('not utf-8'), { bytes }, events));
  const d = decideRedrive(
    { topic: 'e', partition: 0, offset: '1', key: null, value: Buffer.from(value), headers: {}, timestamp: T0 },
    { from: 'error', errorTypes: ['InvalidJson'] },
  );
  assert.equal(d.kind, 'redrive');
  assert.deepEqual(d.kind === 'redrive' && d.records[0]!.value, bytes);
});

test('--error-types selects, --since and --until bound the window', () => {
  const rec = errorRecord(new RevisionMissingError('lag'), eventText);
  const other = decideRedrive(rec, { from: 'error', errorTypes: ['MediaWikiHttpServerError'] });
  assert.equal(other.kind === 'skip' && other.reason, 'type-not-selected');
  assert.equal(decideRedrive(rec, { from: 'error', errorTypes: ['RevisionMissing'] }).kind, 'redrive');
  const early = decideRedrive(rec, { from: 'error', since: new Date(T0 + 1) });
  assert.equal(early.kind === 'skip' && early.reason, 'before-since');
  assert.equal(decideRedrive(rec, { from: 'error', since: new Date(T0) }).kind, 'redrive');
  assert.equal(isAfterWindow(rec, { until: new Date(T0 - 1) }), true);
  assert.equal(isAfterWindow(rec, { until: new Date(T0) }), false);
  assert.equal(isAfterWindow(rec, {}), false);
});

test('a truncated raw_event is never redriven, even when its type is named; the report names the full record', () => {
  const huge = JSON.stringify({ ...pageChangeEvent(), padding: 'x'.repeat(300 * 1024) });
  const rec = errorRecord(new RevisionMissingError('lag'), huge, {
    headers: { source_topic: 'in', source_partition: '2', source_offset: '99' },
  });
  for (const selection of [all, { from: 'error', errorTypes: ['RevisionMissing'] } as const]) {
    const d = decideRedrive(rec, selection);
    assert.equal(d.kind === 'skip' && d.reason, 'truncated');
    assert.match(d.kind === 'skip' ? d.detail! : '', /in\/2@99/);
  }
});

test('the redrive count: one more on every redrive, and a record redriven maxRedrives times is skipped', () => {
  const twice = decideRedrive(
    errorRecord(new RevisionMissingError('lag'), eventText, { headers: { redrive_count: '2' } }),
    all,
  );
  assert.equal(twice.kind === 'redrive' && twice.records[0]!.headers.redrive_count, '3');
  const thrice = decideRedrive(
    errorRecord(new RevisionMissingError('lag'), eventText, { headers: { redrive_count: '3' } }),
    all,
  );
  assert.equal(thrice.kind === 'skip' && thrice.reason, 'redrive-limit');
  const raised = decideRedrive(
    errorRecord(new RevisionMissingError('lag'), eventText, { headers: { redrive_count: '3' } }),
    { from: 'error', maxRedrives: 5 },
  );
  assert.equal(raised.kind === 'redrive' && raised.records[0]!.headers.redrive_count, '4');
  const never = decideRedrive(errorRecord(new RevisionMissingError('lag'), eventText), {
    from: 'error',
    maxRedrives: 0,
  });
  assert.equal(never.kind === 'skip' && never.reason, 'redrive-limit');
});

test('records that are not error events are reported as unreadable, not dropped silently', () => {
  for (const value of ['not json', '{"error_type":"X"}', 'null']) {
    const d = decideRedrive(
      { topic: 'e', partition: 0, offset: '1', key: null, value: Buffer.from(value), headers: {}, timestamp: T0 },
      all,
    );
    assert.equal(d.kind === 'skip' && d.reason, 'unreadable', value);
  }
});

test('an on-failure record that is not the document Lambda writes is reported as unreadable, not dropped', () => {
  // The actual record with failure metadata as headers: not what Lambda writes to a Kafka destination.
  const rec: SourceRecord = {
    topic: 'on_failure',
    partition: 0,
    offset: '3',
    key: Buffer.from('{"wiki_id":"enwiki","page_id":42}'),
    value: Buffer.from(eventText),
    headers: { source_topic: 'in', failure_condition: 'RetriesExhausted' },
    timestamp: T0,
  };
  const d = decideRedrive(rec, { from: 'on-failure' });
  assert.equal(d.kind === 'skip' && d.reason, 'unreadable');
});

test('on-failure record, AWS shape (failure metadata + payload): every record of the payload, in offset order', () => {
  const second = JSON.stringify(pageChangeEvent({ wikiId: 'enwiki', pageId: 42, revId: 901 }));
  const doc = {
    requestContext: {
      requestId: 'r',
      functionArn: 'arn:aws:lambda:us-east-1:111122223333:function:f',
      condition: 'RetriesExhausted',
      approximateInvokeCount: 3,
    },
    responseContext: { statusCode: 200, executedVersion: '$LATEST', functionError: 'Unhandled' },
    version: '1.0',
    timestamp: '2026-11-25T12:00:00.000Z',
    KafkaBatchInfo: { batchSize: 2 },
    payload: kafkaEsmEventFor([
      { topic: 'in', partition: 1, offset: 11, key: 'k', value: second, headers: [['redrive_count', '1']] },
      { topic: 'in', partition: 1, offset: 10, key: 'k', value: eventText },
    ]),
  };
  const rec: SourceRecord = {
    topic: 'dlq',
    partition: 0,
    offset: '0',
    key: Buffer.from('k'),
    value: Buffer.from(JSON.stringify(doc)),
    headers: {},
    timestamp: T0,
  };
  const d = decideRedrive(rec, { from: 'on-failure' });
  assert.equal(d.kind, 'redrive');
  assert.equal(d.errorType, 'RetriesExhausted');
  const records = d.kind === 'redrive' ? d.records : [];
  assert.deepEqual(
    records.map((r) => r.value.toString()),
    [eventText, second],
  );
  assert.deepEqual(
    records.map((r) => r.key?.toString()),
    ['k', 'k'],
  );
  // The highest count among the batch's records counts for all of them.
  assert.deepEqual(
    records.map((r) => r.headers.redrive_count),
    ['2', '2'],
  );
  const filtered = decideRedrive(rec, { from: 'on-failure', errorTypes: ['RetryAttemptsExhausted'] });
  assert.equal(filtered.kind === 'skip' && filtered.reason, 'type-not-selected');
});

test('the tally counts per error type and wiki, keeps samples, reports what an operator must look at', () => {
  const tally = new RedriveTally(
    { from: 'error', sourceTopic: 'e', inputTopic: 'in', groupId: 'g', dryRun: true },
    { samples: 1, reported: 10 },
  );
  const recs = [
    errorRecord(new MediaWikiHttpError(503, 'x'), eventText),
    errorRecord(new MediaWikiHttpError(503, 'x'), eventText),
    errorRecord(new ContentIntegrityMismatchError('x'), eventText),
    errorRecord(new RevisionMissingError('x'), eventText, { headers: { redrive_count: '9' }, offset: '12' }),
  ];
  for (const r of recs) tally.add(r, decideRedrive(r, all));
  const s = tally.summary;
  assert.equal(s.read, 4);
  assert.equal(s.selected, 2);
  assert.deepEqual(s.skipped, { 'non-retryable': 1, 'redrive-limit': 1 });
  assert.deepEqual(s.byErrorType, {
    MediaWikiHttpServerError: { selected: 2, skipped: 0 },
    ContentIntegrityMismatch: { selected: 0, skipped: 1 },
    RevisionMissing: { selected: 0, skipped: 1 },
  });
  assert.deepEqual(s.byWiki, { enwiki: { selected: 2, skipped: 2 } });
  assert.deepEqual(s.samples, [
    {
      from: 'errors/0@7',
      errorType: 'MediaWikiHttpServerError',
      key: '{"wiki_id":"enwiki","page_id":42}',
      event: {
        wiki_id: 'enwiki',
        domain: 'dev.wiki.local',
        page_id: 42,
        page_title: 'Test_page',
        rev_id: 900,
        page_change_kind: 'edit',
        dt: '2026-11-25T10:00:00Z',
      },
    },
  ]);
  assert.deepEqual(
    s.reported.map((r) => [r.offset, r.reason]),
    [['12', 'redrive-limit']],
  );
  assert.match(tally.progressLine(), /read=4 selected=2 produced=0 skipped: non-retryable=1 redrive-limit=1/);
});

test('requests: the CLI and the Lambda validate the same options', () => {
  assert.deepEqual(
    parseRedriveRequest({ from: 'error', errorTypes: 'A, B', max: '5', since: '2026-11-25T10:00:00Z', dryRun: true }),
    {
      from: 'error',
      errorTypes: ['A', 'B'],
      since: new Date('2026-11-25T10:00:00Z'),
      until: undefined,
      max: 5,
      maxRedrives: undefined,
      dryRun: true,
      groupId: undefined,
    },
  );
  assert.deepEqual(parseRedriveRequest({ from: 'on-failure', errorTypes: ['X'] }).errorTypes, ['X']);
  for (const bad of [
    null,
    {},
    { from: 'input' },
    { from: 'error', max: 0 },
    { from: 'error', max: 'many' },
    { from: 'error', since: 'yesterday' },
    { from: 'error', since: '2026-11-25T10:00:00Z', until: '2026-11-25T09:00:00Z' },
    { from: 'error', dryRun: 'yes' },
    { from: 'error', errorTypes: [1] },
    { from: 'error', maxRedrives: -1 },
    { from: 'error', dryrun: true },
  ]) {
    assert.throws(() => parseRedriveRequest(bad), RedriveOptionsError, JSON.stringify(bad));
  }
  assert.deepEqual(redriveTopicsFrom(readSettings({ KAFKA_TOPIC_PREFIX: 'eqiad.', ON_FAILURE_TOPIC: 'x.dlq' })), {
    groupPrefix: 'mw-page-content-change-enrich.redrive.',
    input: 'eqiad.mediawiki.page_change.v1',
    error: 'eqiad.mw_page_content_change_enrich.error',
    onFailure: 'eqiad.x.dlq',
  });
  assert.equal(redriveGroupIdFor({ from: 'on-failure' }, 'g.redrive.'), 'g.redrive.on-failure');
  assert.equal(redriveGroupIdFor({ from: 'error', groupId: 'mine' }, 'g.redrive.'), 'mine');
  assert.equal(redriveGroupIdFor({ from: 'error', groupId: 'g.redrive.again' }, 'g.redrive.', true), 'g.redrive.again');
  assert.throws(() => redriveGroupIdFor({ from: 'error', groupId: 'other' }, 'g.redrive.', true), RedriveOptionsError);
});
