/** processBatch: every record becomes exactly one message, an enriched event or a clear error event. Delivery and sizes have their own files. */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { test } from 'node:test';
import { Ajv } from 'ajv';
import { ContentHiddenError } from '../../lib/mediawiki/errors.js';
import { processBatch } from '../../lib/pipeline/process-batch.js';
import { NO_DEADLINE } from '../../lib/core/deadline.js';
import { memorySink } from '../../scripts/lib/dev-sinks.js';
import { esmEventOf, pageChangeEvent } from '../../scripts/lib/page-change-events.js';
import { referenceDir } from '../support/reference.js';
import { deps } from '../support/batch-deps.js';

test('every record becomes exactly one message, in record order, and the batch succeeds', async () => {
  const sink = memorySink();
  const { deps: d, calls } = deps({ 1: 'one', 2: 'two' }, sink);
  const values = [
    pageChangeEvent({ revId: 1, content: 'one' }),
    'not json',
    pageChangeEvent({ revId: 2, content: 'two', domain: 'en.wikipedia.org' }),
    pageChangeEvent({ revId: 3, kind: 'delete' }),
    pageChangeEvent({ revId: 4, domain: 'canary' }),
    pageChangeEvent({ revId: 5, contentVisible: false }),
  ];
  const result = await processBatch(esmEventOf(values), NO_DEADLINE, d);
  assert.deepEqual(result.response, { batchItemFailures: [] });
  assert.deepEqual(
    sink.messages.map((m) => [m.kind, m.source.offset]),
    [
      ['output', 0],
      ['error', 1],
      ['output', 2],
      ['output', 3],
      ['output', 4],
      ['output', 5],
    ],
  );
  const out = sink.messages.map((m) => JSON.parse(m.value));
  assert.equal(out[0].revision.content_slots.main.content_body, 'one');
  assert.equal(out[2].revision.content_slots.main.content_body, 'two');
  for (const i of [3, 4, 5]) assert.equal(out[i].revision.content_slots, undefined, `passthrough ${i} has no content`);
  assert.equal(out[1].error_type, 'InvalidJson');
  assert.equal(out[1].raw_event, 'not json');
  // Only fetchable events reached the client, grouped per wiki.
  assert.deepEqual(calls.map((c) => [c.domain, c.revIds]).sort(), [
    ['dev.wiki.local', [1]],
    ['en.wikipedia.org', [2]],
  ]);
  assert.equal(sink.messages[0]!.key, '{"wiki_id":"devwiki","page_id":10}');
});

test('bad input kinds each become a clear error event with the original record', async () => {
  const sink = memorySink();
  const { deps: d, calls } = deps({}, sink);
  const values: Array<string | Buffer | Record<string, unknown>> = [
    Buffer.from([0xc3, 0x28, 0xff]),
    '[]',
    '42',
    JSON.stringify({ ...pageChangeEvent(), page: { page_id: 'x', page_title: 'T' } }),
    pageChangeEvent({ domain: '169.254.169.254' }),
    pageChangeEvent({ domain: 'evil.example.com' }),
    pageChangeEvent({ domain: 'a@en.wikipedia.org' }),
  ];
  const result = await processBatch(esmEventOf(values), NO_DEADLINE, d);
  assert.deepEqual(result.response.batchItemFailures, []);
  const out = sink.messages.map((m) => JSON.parse(m.value));
  assert.deepEqual(
    out.map((e) => e.error_type),
    [
      'InvalidJson',
      'InvalidEvent',
      'InvalidEvent',
      'InvalidEvent',
      'DomainNotAllowed',
      'DomainNotAllowed',
      'DomainNotAllowed',
    ],
  );
  assert.equal(out[0].raw_event, `base64:${Buffer.from([0xc3, 0x28, 0xff]).toString('base64')}`);
  assert.equal(out[4].errored_stream_name, 'mediawiki.page_change.v1');
  assert.equal(out[4].errored_schema_uri, '/mediawiki/page/change/1.2.0');
  assert.equal(calls.length, 0, 'no request for a domain outside the allowlist');
});

test('MediaWiki failures become error events carrying their type', async () => {
  const sink = memorySink();
  const { deps: d } = deps({ 7: new ContentHiddenError('hidden'), 8: 'other text' }, sink);
  await processBatch(
    esmEventOf([
      pageChangeEvent({ revId: 6 }),
      pageChangeEvent({ revId: 7 }),
      pageChangeEvent({ revId: 8, content: 'expected text' }),
    ]),
    NO_DEADLINE,
    d,
  );
  assert.deepEqual(
    sink.messages.map((m) => JSON.parse(m.value).error_type),
    ['RevisionMissing', 'ContentHidden', 'ContentIntegrityMismatch'],
  );
});

test('revisions are fetched once per wiki even when many events share them', async () => {
  const { deps: d, calls } = deps({ 1: 'a', 2: 'b' });
  await processBatch(
    esmEventOf(
      [1, 2, 1, 1, 2]
        .map((revId) => pageChangeEvent({ revId }))
        .concat([pageChangeEvent({ revId: 1, domain: 'fr.wikipedia.org' })]),
    ),
    NO_DEADLINE,
    d,
  );
  assert.equal(calls.length, 2);
});

const ERROR_SCHEMA = new URL('schemas/error-2.1.0.json', referenceDir());
test('error events conform to error/2.1.0', { skip: !existsSync(ERROR_SCHEMA) && 'no reference schema' }, async () => {
  const ajv = new Ajv({ strict: false, validateFormats: false });
  const { $schema: _drop, ...schema } = JSON.parse(readFileSync(ERROR_SCHEMA, 'utf8'));
  const validate = ajv.compile(schema);
  const sink = memorySink();
  const { deps: d } = deps({}, sink);
  await processBatch(
    esmEventOf(['x', Buffer.from([0xff]), pageChangeEvent({ revId: 9 }), pageChangeEvent({ domain: 'nope.example' })]),
    NO_DEADLINE,
    d,
  );
  for (const m of sink.messages) {
    const e: any = JSON.parse(m.value);
    assert.ok(validate(e) as boolean, JSON.stringify(validate.errors));
    assert.equal(e.meta.stream, 'mw_page_content_change_enrich.error');
    assert.equal(e.emitter_id, 'test-emitter');
    assert.equal(typeof e.stack, 'string');
  }
});
