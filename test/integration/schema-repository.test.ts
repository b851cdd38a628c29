/**
 * Output schema versions the bundle lacks, on a real broker and a real wiki, resolved from a local
 * schema repository (scripts/lib/schema-repository.ts: the materialized repository plus the
 * test-only version 1.99.0): a version the repository serves is conformed to like a shipped one;
 * with the repository down, a 404 or a document that is not a JSON Schema, events are produced as
 * they are and each version is reported once; a `$schema` that would leave the base makes no request.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { createHandler } from '../../functions/page-content-change-enrich/handler.js';
import { enrichObservability } from '../../lib/pipeline/observability.js';
import { readSettings } from '../../lib/settings/catalogue.js';
import { outputSchemaResolver } from '../../lib/schema-repository/output-schema-resolver.js';
import {
  type SchemaRepository,
  STAND_IN_VERSION,
  standInNewerVersion,
  startSchemaRepository,
} from '../../scripts/lib/schema-repository.js';
import { testSchemaRepositoryConfig } from '../support/enrich-harness.js';
import { ensureKafka } from '../../scripts/kafka/broker.js';
import { createRevision, ensureMediaWiki, uniqueTitle } from '../support/mediawiki.js';
import { compileReference, declaredOnly, pageChangeSchema } from '../support/output-schema-oracle.js';
import {
  createPipelineTopics,
  eventOfRevision,
  lambdaContext,
  pipelineHandler,
  runOneBatch,
  type SavedRevision,
} from '../support/pipeline-harness.js';

const v = (version: string) => `/mediawiki/page/change/${version}`;
const NEWER = v(STAND_IN_VERSION);
const RECORD_TIME = Date.parse('2026-12-01T08:00:00Z');

let brokers: string[];
let apiUrl: string;
let repository: SchemaRepository;
const saved: SavedRevision[] = [];

before(async () => {
  [{ brokers }, { apiUrl }] = await Promise.all([ensureKafka(), ensureMediaWiki()]);
  repository = await startSchemaRepository({
    documents: { [NEWER]: standInNewerVersion(), [v('1.97.0')]: { $id: v('1.97.0'), type: 'banana' } },
  });
  for (let i = 0; i < 3; i++) {
    const title = uniqueTitle('SchemaRepository');
    const r = await createRevision(title, `Schema repository page ${i}: ${'Grüße 🌍 '.repeat(8 + i)}`);
    saved.push({ title: title.replaceAll(' ', '_'), pageId: r.pageId, revId: r.revId, text: r.text });
  }
});
after(() => repository.close());

/** The page_change event of saved revision `i` naming `schema`, with `performer.user_central_id` (1.3.0's, undeclared before). */
function eventOf(i: number, schema: string): any {
  const r = saved[i % saved.length]!;
  const e = eventOfRevision(r, schema);
  e.performer.user_central_id = 77921265;
  return e;
}

/** The real handler on its own topics, with a resolver against `baseUri` that records what it reports. */
async function pipelineWith(prefix: string, baseUri: string, timeoutMs = 60_000) {
  const topics = await createPipelineTopics(brokers, prefix);
  const reports: Array<{ uri: string; first: boolean; message: string }> = [];
  const { schemaResolutionListener } = enrichObservability(readSettings({}));
  const outputSchemas = outputSchemaResolver(testSchemaRepositoryConfig([baseUri], { timeoutMs }), {
    listener: {
      ...schemaResolutionListener,
      failed(uri, error, first) {
        reports.push({ uri, first, message: error.message });
        schemaResolutionListener.failed!(uri, error, first);
      },
    },
  });
  const h = pipelineHandler(brokers, apiUrl, topics, { outputSchemas });
  const close = async () => {
    await h.close();
    await outputSchemas.close();
  };
  return { h, topics, reports, outputSchemas, close };
}

test('a version the bundle lacks, served by the repository: fetched once, undeclared fields dropped, validated; one InvalidOutputEvent', async () => {
  repository.requests.length = 0;
  const p = await pipelineWith('schemarepo.newer', repository.baseUri);
  try {
    const declared = eventOf(0, NEWER);
    declared.test_only_note = 'declared by 1.99.0 only';
    declared.undeclared_field = { anything: 1 };
    const invalid = eventOf(1, NEWER);
    invalid.test_only_note = 42;
    const first = await runOneBatch(brokers, p.h, p.topics, [declared, invalid], RECORD_TIME);
    const requestsAfterFirst = repository.requests.length;
    const second = await runOneBatch(brokers, p.h, p.topics, [eventOf(2, NEWER)], RECORD_TIME, 10);

    assert.equal(repository.requests.filter((path) => path === NEWER).length, 1, repository.requests.join());
    assert.equal(repository.requests.length, requestsAfterFirst, 'the second batch asks the repository nothing');
    assert.equal(p.outputSchemas.stats.compiles, 1);
    assert.deepEqual(p.reports, []);

    // The oracle: the published 1.2.0 plus the field the stand-in declares, compiled by ajv with ajv-formats.
    const published = pageChangeSchema(v('1.2.0'));
    const reference = {
      ...published,
      $id: NEWER,
      properties: { ...published.properties, test_only_note: (standInNewerVersion().properties as any).test_only_note },
    };
    const validate = compileReference(reference);
    const out = first.output.get(0)!.event;
    assert.equal(out.$schema, NEWER);
    assert.equal(out.test_only_note, 'declared by 1.99.0 only');
    assert.equal('undeclared_field' in out, false);
    assert.equal('user_central_id' in out.performer, false);
    assert.equal(out.revision.content_slots.main.content_body, saved[0]!.text);
    assert.deepEqual(out, declaredOnly(out, reference));
    assert.ok(validate(out), JSON.stringify(validate.errors));
    const later = second.output.get(10)!.event;
    assert.equal('user_central_id' in later.performer, false);
    assert.ok(validate(later), JSON.stringify(validate.errors));

    const error = first.errors.get(1)!.event;
    assert.equal(error.error_type, 'InvalidOutputEvent');
    assert.match(
      error.message,
      /1\.99\.0: \/test_only_note must be string \(schema path #\/properties\/test_only_note\/type\)/,
    );
  } finally {
    await p.close();
  }
});

test('the repository down: every event produced as it is, the version reported once, not asked again in the next batch', async () => {
  const down = await startSchemaRepository();
  await down.close();
  // Refused connections are retried until the budget ends: a short one; it ends the same way however fast.
  const p = await pipelineWith('schemarepo.down', down.baseUri, 300);
  try {
    const events = [eventOf(0, NEWER), eventOf(1, NEWER)];
    events[0].test_only_note = 'kept: nothing is dropped from a version that could not be read';
    const first = await runOneBatch(brokers, p.h, p.topics, events, RECORD_TIME);
    const second = await runOneBatch(brokers, p.h, p.topics, [eventOf(2, NEWER)], RECORD_TIME, 10);
    assert.equal(first.errors.size + second.errors.size, 0);
    assert.equal(second.output.size, 3, 'all three events produced');
    for (const [offset, { event }] of first.output) {
      assert.equal(event.$schema, NEWER);
      assert.equal(event.performer.user_central_id, 77921265, `offset ${offset}: produced as it is`);
      assert.equal(event.revision.content_slots.main.content_body, saved[offset]!.text);
    }
    assert.equal(first.output.get(0)!.event.test_only_note, events[0].test_only_note);
    assert.deepEqual(
      p.reports.map((r) => [r.uri, r.first]),
      [[NEWER, true]],
      'one report: the second batch falls in the back-off',
    );
    assert.match(p.reports[0]!.message, /ECONNREFUSED/);
  } finally {
    await p.close();
  }
});

test('a 404 and a document that is not a JSON Schema: produced as they are, each version reported once', async () => {
  const p = await pipelineWith('schemarepo.bad', repository.baseUri);
  try {
    const events = [eventOf(0, v('1.98.0')), eventOf(1, v('1.97.0')), eventOf(2, v('1.98.0'))];
    const { output, errors } = await runOneBatch(brokers, p.h, p.topics, events, RECORD_TIME);
    assert.equal(errors.size, 0);
    assert.deepEqual([...output.keys()].sort(), [0, 1, 2]);
    for (const { event } of output.values()) assert.equal(event.performer.user_central_id, 77921265);
    assert.deepEqual(p.reports.map((r) => r.uri).sort(), [v('1.97.0'), v('1.98.0')]);
    assert.match(p.reports.find((r) => r.uri === v('1.98.0'))!.message, /HTTP 404/);
    assert.match(p.reports.find((r) => r.uri === v('1.97.0'))!.message, /not a JSON Schema ajv compiles/);
  } finally {
    await p.close();
  }
});

test('a $schema that tries to leave the base: refused, no request made', async () => {
  repository.requests.length = 0;
  const p = await pipelineWith('schemarepo.escape', repository.baseUri);
  try {
    const escapes = [
      '/mediawiki/page/change/../../../private/1.0.0',
      `https://elsewhere.example${NEWER}`,
      '/mediawiki%2Fpage/change/1.99.0',
    ];
    const { output, errors } = await runOneBatch(
      brokers,
      p.h,
      p.topics,
      escapes.map((s, i) => eventOf(i, s)),
      RECORD_TIME,
    );
    // The input contract names mediawiki/page/change versions only: each is an InvalidEvent, enriched by nobody.
    assert.equal(output.size, 0);
    assert.deepEqual(
      [...errors.values()].map((e) => e.event.error_type),
      escapes.map(() => 'InvalidEvent'),
    );
    // Pinned the same way, the container refuses to start its batch, again without a request.
    const events = { ...p.h.deps.config.events, outputSchemaUri: escapes[0] };
    const pinned = createHandler(() => ({ ...p.h.deps, config: { ...p.h.deps.config, events } }));
    await assert.rejects(
      pinned({ eventSource: 'aws:kafka', records: {} } as never, lambdaContext()),
      /OUTPUT_SCHEMA_URI/,
    );
    assert.deepEqual(repository.requests, []);
  } finally {
    await p.close();
  }
});
