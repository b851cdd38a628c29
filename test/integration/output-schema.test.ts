/**
 * Output as Wikimedia's sink writes it, on a real broker and a real wiki: every output conforms to
 * the `mediawiki/page/change` version it names (checked against the published schema by ajv at run
 * time), a version the project does not ship keeps every field, a pinned version is honoured, the
 * Kafka timestamps are event time, and an event that cannot conform becomes one error event.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { before, test } from 'node:test';
import { createHandler } from '../../functions/page-content-change-enrich/handler.js';
import { TEST_DOMAIN } from '../support/enrich-harness.js';
import { ensureKafka } from '../../scripts/kafka/broker.js';
import { createRevision, ensureMediaWiki, uniqueTitle } from '../support/mediawiki.js';
import { referenceValidator } from '../support/output-schema-oracle.js';
import {
  createPipelineTopics,
  eventOfRevision,
  pipelineHandler,
  runOneBatch,
  type PipelineHandler,
  type PipelineTopics,
} from '../support/pipeline-harness.js';
import { referenceDir } from '../support/reference.js';
import { contentSha1Base36 } from '../../lib/mediawiki/sha1.js';

let brokers: string[];
let apiUrl: string;
let saved: Array<{ title: string; pageId: number; revId: number; text: string }> = [];

before(async () => {
  [{ brokers }, { apiUrl }] = await Promise.all([ensureKafka(), ensureMediaWiki()]);
  saved = [];
  for (let i = 0; i < 5; i++) {
    const title = uniqueTitle('OutputSchema');
    const r = await createRevision(title, `Output schema page ${i}: ${'Grüße 🌍 '.repeat(10 + i)}`);
    saved.push({ title: title.replaceAll(' ', '_'), pageId: r.pageId, revId: r.revId, text: r.text });
  }
});

const v = (version: string) => `/mediawiki/page/change/${version}`;

/** The page_change event of saved revision `i`, of version `version`, at event time `dt`. */
function eventOf(i: number, version: string, dt: string): any {
  const r = saved[i]!;
  const e = eventOfRevision(r, v(version));
  e.dt = dt;
  return e;
}

/** The real enwiki sample (1.3.0: `user_central_id`, `is_temp`), pointed at saved revision `i` of the test wiki. */
function enwikiShapedEvent(i: number, dt: string): any {
  const e = JSON.parse(readFileSync(new URL('samples/enwiki-page-change-edit.json', referenceDir()), 'utf8'));
  const r = saved[i]!;
  e.dt = dt;
  e.meta.domain = TEST_DOMAIN;
  e.page.page_id = r.pageId;
  e.page.page_title = r.title;
  e.revision.rev_id = r.revId;
  Object.assign(e.revision.content_slots.main, {
    content_sha1: contentSha1Base36(r.text),
    content_size: Buffer.byteLength(r.text),
    origin_rev_id: r.revId,
  });
  return e;
}

const runThrough = (h: PipelineHandler, topics: PipelineTopics, events: any[], recordTimestamp: number) =>
  runOneBatch(brokers, h, topics, events, recordTimestamp);

const RECORD_TIME = Date.parse('2026-11-30T08:00:00Z');

test('each output conforms to the version it names; 1.3.0 keeps every field; Kafka timestamps are dt; one InvalidOutputEvent', async () => {
  const topics = await createPipelineTopics(brokers, 'outschema');
  const h = pipelineHandler(brokers, apiUrl, topics);
  try {
    const undeclared = eventOf(0, '1.2.0', '2026-11-20T01:00:00Z');
    undeclared.undeclared_field = { anything: 1 };
    undeclared.performer.user_central_id = 42;
    const older = eventOf(1, '1.0.0', '2026-11-21T02:00:00Z');
    const enwiki = enwikiShapedEvent(2, '2026-11-22T03:00:00Z');
    const enwikiUndated = enwikiShapedEvent(3, 'not a date'); // produced as it is: the record's timestamp stands in
    const unconformable = eventOf(4, '1.1.0', '2026-11-23T04:00:00Z');
    delete unconformable.performer; // required by 1.1.0 (optional from 1.2.0)
    const { output, errors } = await runThrough(
      h,
      topics,
      [undeclared, older, enwiki, enwikiUndated, unconformable],
      RECORD_TIME,
    );
    assert.deepEqual([...output.keys()].sort(), [0, 1, 2, 3]);
    assert.deepEqual([...errors.keys()], [4]);

    const dropped = output.get(0)!.event;
    assert.equal(dropped.$schema, v('1.2.0'));
    assert.equal('undeclared_field' in dropped, false);
    assert.equal('user_central_id' in dropped.performer, false);
    assert.equal(dropped.revision.content_slots.main.content_body, saved[0]!.text);
    const older1 = output.get(1)!.event;
    assert.equal(older1.$schema, v('1.0.0'));
    for (const offset of [0, 1]) {
      const { event } = output.get(offset)!;
      const validate = referenceValidator(event.$schema);
      assert.ok(validate(event), `offset ${offset}: ${JSON.stringify(validate.errors)}`);
    }

    for (const [offset, input] of [
      [2, enwiki],
      [3, enwikiUndated],
    ] as const) {
      const out = output.get(offset)!.event;
      assert.equal(out.$schema, v('1.3.0'));
      assert.equal(out.performer.user_central_id, input.performer.user_central_id);
      assert.equal(out.revision.editor.is_temp, false);
      assert.equal(out.prior_state.revision.editor.user_central_id, input.prior_state.revision.editor.user_central_id);
      const { content_body, ...slot } = out.revision.content_slots.main;
      assert.equal(content_body, saved[offset]!.text);
      assert.deepEqual(slot, input.revision.content_slots.main);
      const { meta, revision, ...rest } = out;
      const { meta: inMeta, revision: inRevision, ...inRest } = input;
      assert.deepEqual(rest, inRest);
      assert.deepEqual(Object.keys(revision).sort(), Object.keys(inRevision).sort());
      assert.deepEqual(Object.keys(meta).sort(), Object.keys(inMeta).sort());
    }

    // Event time: dt of each event; the record's own timestamp where dt is not a date. meta.dt is production time.
    assert.equal(output.get(0)!.timestamp, Date.parse('2026-11-20T01:00:00Z'));
    assert.equal(output.get(1)!.timestamp, Date.parse('2026-11-21T02:00:00Z'));
    assert.equal(output.get(2)!.timestamp, Date.parse('2026-11-22T03:00:00Z'));
    assert.equal(output.get(3)!.timestamp, RECORD_TIME);
    for (const { event } of output.values()) assert.ok(Date.parse(event.meta.dt) > RECORD_TIME, event.meta.dt);

    const error = errors.get(4)!;
    assert.equal(error.event.error_type, 'InvalidOutputEvent');
    assert.match(error.event.message, /\/mediawiki\/page\/change\/1\.1\.0/);
    assert.match(error.event.message, /schema path #\/required/);
    assert.equal(error.event.raw_event, JSON.stringify(unconformable));
    assert.equal(error.timestamp, Date.parse(error.event.dt));
  } finally {
    await h.close();
  }
});

test('OUTPUT_SCHEMA_URI pinned to 1.2.0: every output names 1.2.0 and conforms to it; produce time on request', async () => {
  const topics = await createPipelineTopics(brokers, 'outpinned');
  const h = pipelineHandler(brokers, apiUrl, topics);
  const events = { ...h.deps.config.events, outputSchemaUri: v('1.2.0'), outputKafkaTimestamp: 'produce' as const };
  const pinned: PipelineHandler = {
    ...h,
    handler: createHandler(() => ({ ...h.deps, config: { ...h.deps.config, events } })),
  };
  try {
    const inputs = [
      eventOf(0, '1.0.0', '2026-11-20T01:00:00Z'),
      eventOf(1, '1.1.0', '2026-11-20T02:00:00Z'),
      eventOf(2, '1.2.0', '2026-11-20T03:00:00Z'),
      enwikiShapedEvent(3, '2026-11-20T04:00:00Z'),
    ];
    inputs[2].undeclared_field = true;
    const before = Date.now();
    const { output, errors } = await runThrough(pinned, topics, inputs, RECORD_TIME);
    assert.equal(errors.size, 0, JSON.stringify([...errors.values()].map((e) => e.event.message)));
    assert.equal(output.size, inputs.length);
    const validate = referenceValidator(v('1.2.0'));
    for (const [offset, { event, timestamp }] of output) {
      assert.equal(event.$schema, v('1.2.0'), `offset ${offset}`);
      assert.ok(validate(event), `offset ${offset}: ${JSON.stringify(validate.errors)}`);
      assert.ok(timestamp >= before, `offset ${offset}: produce time, not the event's dt`);
    }
    assert.equal('user_central_id' in output.get(3)!.event.performer, false);
  } finally {
    await h.close();
  }
});
