/**
 * Output schema versions the bundle lacks, resolved at run time from a schema repository (the local
 * stand-in, scripts/lib/schema-repository.ts, over real HTTP): fetched and compiled once per version
 * per container, counted; failures reported once, backed off, never thrown at the pipeline; `$schema`
 * and `$ref` URIs that could leave the configured base refused without a request.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { NO_DEADLINE } from '../../lib/core/deadline.js';
import { InvalidOutputEventError } from '../../lib/pipeline/errors.js';
import { conformToOutputSchema } from '../../lib/pipeline/output-schema.js';
import { outputSchemaResolver } from '../../lib/schema-repository/output-schema-resolver.js';
import type { SchemaRepositoryConfig } from '../../lib/settings/config.js';
import { repositoryPathOf, UnsafeSchemaUriError } from '../../lib/schemas/schema-document.js';
import { ConfigurationError, readSettings } from '../../lib/settings/catalogue.js';
import {
  type SchemaRepository,
  STAND_IN_VERSION,
  standInNewerVersion,
  startSchemaRepository,
} from '../../scripts/lib/schema-repository.js';
import { enrichObservability } from '../../lib/pipeline/observability.js';
import { testSchemaRepositoryConfig } from '../support/enrich-harness.js';
import { pageChangeEvent } from '../../scripts/lib/page-change-events.js';

const v = (version: string) => `/mediawiki/page/change/${version}`;
const NEWER = v(STAND_IN_VERSION);

let repository: SchemaRepository;
before(async () => {
  const newer = standInNewerVersion();
  repository = await startSchemaRepository({
    documents: {
      [NEWER]: newer,
      [v('1.97.0')]: { $id: v('1.97.0'), type: 'banana' },
      [v('1.96.0')]: { ...newer, $id: v('1.96.0'), properties: { x: { $ref: '/../../escape/1.0.0' } } },
      [v('1.95.0')]: { ...newer, $id: v('1.95.0'), properties: { x: { $ref: 'http://elsewhere.example/x/1.0.0' } } },
    },
  });
});
after(() => repository.close());

/**
 * A resolver against the stand-in (or `bases`), recording what it reports, on a clock the test moves.
 * The time budget is long: no outcome here may depend on how fast the machine is.
 */
function resolverFor(bases = [repository.baseUri], config: Partial<SchemaRepositoryConfig> = {}) {
  repository.requests.length = 0;
  repository.fault = undefined;
  const clock = { now: 1_000_000 };
  const reports: Array<{ uri: string; first: boolean; message: string }> = [];
  const settings = testSchemaRepositoryConfig(bases, { retryIntervalMs: 60_000, timeoutMs: 60_000, ...config });
  const resolver = outputSchemaResolver(settings, {
    now: () => clock.now,
    listener: { failed: (uri, error, first) => reports.push({ uri, first, message: error.message }) },
  });
  return { resolver, clock, reports };
}

function eventOf(schema: string): any {
  const e: any = pageChangeEvent({ content: 'abc', schema });
  e.revision.content_slots.main.content_body = 'abc';
  return e;
}

test('a version the bundle lacks: fetched with its $refs and compiled once per container, then conformed to like a shipped one', async () => {
  const { resolver } = resolverFor();
  try {
    await Promise.all([resolver.prepare([NEWER, NEWER], NO_DEADLINE), resolver.prepare([NEWER], NO_DEADLINE)]);
    await resolver.prepare([NEWER, v('1.2.0')], NO_DEADLINE);
    assert.equal(resolver.stats.compiles, 1);
    assert.equal(repository.requests.filter((p) => p === NEWER).length, 1, repository.requests.join());
    const fragments = repository.requests.filter((p) => p.startsWith('/fragment/'));
    assert.ok(fragments.length > 0, 'the stand-in version names its fragments by $ref');
    assert.equal(new Set(fragments).size, fragments.length, 'each fragment fetched once');
    assert.equal(resolver.stats.fetches, repository.requests.length);

    const e = eventOf(NEWER);
    e.test_only_note = 'declared by the newer version only';
    e.performer.user_central_id = 7;
    const result = conformToOutputSchema(e, undefined, resolver);
    assert.deepEqual(result, { schemaUri: NEWER, dropped: ['performer.user_central_id'], unknownVersion: false });
    assert.equal(e.test_only_note, 'declared by the newer version only');
    e.test_only_note = 42;
    assert.throws(
      () => conformToOutputSchema(e, undefined, resolver),
      (err: Error) =>
        err instanceof InvalidOutputEventError &&
        /must be string \(schema path #\/properties\/test_only_note\/type\)/.test(err.message),
    );
  } finally {
    await resolver.close();
  }
});

test('shipped versions never ask the repository', async () => {
  const { resolver } = resolverFor();
  await resolver.prepare([v('1.0.0'), v('1.1.0'), v('1.2.0')], NO_DEADLINE);
  assert.deepEqual(repository.requests, []);
  assert.equal(resolver.get(v('1.2.0'))?.uri, v('1.2.0'));
  await resolver.close();
});

test('404, a document that is not JSON Schema, an HTML page: produced as is, one report per version, back-off', async () => {
  const { resolver, clock, reports } = resolverFor();
  repository.fault = (path) =>
    path === v('1.94.0') ? { status: 200, body: '<html><body>Oops</body></html>' } : undefined;
  const failing = [v('1.98.0'), v('1.97.0'), v('1.94.0')];
  await resolver.prepare(failing, NO_DEADLINE);
  await resolver.prepare(failing, NO_DEADLINE);
  assert.deepEqual(
    repository.requests,
    failing,
    'one request each: none is retried, none asked again while backing off',
  );
  assert.deepEqual(
    reports.map((r) => [r.uri, r.first]),
    failing.map((uri) => [uri, true]),
  );
  assert.match(reports[0]!.message, /HTTP 404/);
  assert.match(reports[1]!.message, /not a JSON Schema ajv compiles/);
  assert.match(reports[2]!.message, /not a JSON Schema object/);
  for (const uri of failing) {
    const e = eventOf(uri);
    e.performer.user_central_id = 7;
    assert.deepEqual(conformToOutputSchema(e, undefined, resolver), {
      schemaUri: uri,
      dropped: [],
      unknownVersion: true,
    });
    assert.equal(e.performer.user_central_id, 7);
  }
  clock.now += 60_000; // the first back-off is the retry interval
  await resolver.prepare([v('1.98.0')], NO_DEADLINE);
  assert.equal(repository.requests.length, 4, 'asked again after the back-off');
  assert.equal(reports.at(-1)!.first, false, 'reported, not warned about again');
  clock.now += 60_000; // the second back-off is twice as long
  await resolver.prepare([v('1.98.0')], NO_DEADLINE);
  assert.equal(repository.requests.length, 4);
  clock.now += 60_000;
  await resolver.prepare([v('1.98.0')], NO_DEADLINE);
  assert.equal(repository.requests.length, 5);
  assert.equal(resolver.stats.failures, 5);
  await resolver.close();
});

test('retries as the MediaWiki client does: a 503 and a dropped connection are asked again, a 404 is final; then the next base', async () => {
  const { resolver, reports } = resolverFor([`${repository.baseUri}/missing`, repository.baseUri]);
  let answers = 0;
  repository.fault = (path) => {
    if (!path.startsWith('/missing')) return undefined;
    answers++;
    return answers === 1 ? { status: 503 } : answers === 2 ? 'drop' : undefined; // then the stand-in's own 404
  };
  await resolver.prepare([NEWER], NO_DEADLINE);
  assert.deepEqual(reports, []);
  assert.equal(resolver.get(NEWER)?.uri, NEWER);
  assert.deepEqual(
    repository.requests.filter((p) => p.endsWith(NEWER)),
    [`/missing${NEWER}`, `/missing${NEWER}`, `/missing${NEWER}`, NEWER],
  );
  await resolver.close();
});

test('the repository down: reported once, produced as is, never thrown', async () => {
  const down = await startSchemaRepository();
  const base = down.baseUri;
  await down.close();
  // Refused connections are retried until the budget ends: a short one, whatever it allows ends the same way.
  const { resolver, reports } = resolverFor([base], { timeoutMs: 300 });
  await resolver.prepare([NEWER], NO_DEADLINE);
  await resolver.prepare([NEWER], NO_DEADLINE);
  assert.equal(reports.length, 1);
  assert.match(reports[0]!.message, /ECONNREFUSED/);
  assert.equal(conformToOutputSchema(eventOf(NEWER), undefined, resolver).unknownVersion, true);
  await resolver.close();
});

test('a $schema or $ref that could leave the base is refused without a request', async () => {
  const { resolver, reports } = resolverFor();
  const escapes = [
    '/mediawiki/page/change/../../../etc/1.0.0',
    '/mediawiki/page/change/%2e%2e/1.0.0',
    '/mediawiki%2Fpage/change/1.0.0',
    'https://elsewhere.example/mediawiki/page/change/1.2.0',
    '//elsewhere.example/mediawiki/page/change/1.2.0',
    '/mediawiki/page/change/1.2.0?x=1',
    '/mediawiki/page/change/1.2.0#x',
    '/mediawiki/page/change/latest',
    '/mediawiki/page/change/1.2.0/',
    'mediawiki/page/change/1.2.0',
    '/mediawiki/page/change/1.2.0\n',
    '/mediawiki/./change/1.2.0',
  ];
  for (const uri of escapes) assert.throws(() => repositoryPathOf(uri), UnsafeSchemaUriError, uri);
  await resolver.prepare(escapes, NO_DEADLINE);
  await resolver.prepare(escapes, NO_DEADLINE);
  assert.deepEqual(repository.requests, []);
  assert.deepEqual(
    reports.map((r) => r.uri),
    escapes,
    'each refused once, for good',
  );
  await assert.rejects(resolver.require(escapes[0]!, NO_DEADLINE), ConfigurationError);
  assert.deepEqual(repository.requests, []);

  // A served document whose $ref would leave the base: only the document itself was requested.
  await resolver.prepare([v('1.96.0'), v('1.95.0')], NO_DEADLINE);
  assert.deepEqual(repository.requests, [v('1.96.0'), v('1.95.0')]);
  assert.match(reports.at(-2)!.message, /is not a schema repository path/);
  assert.match(reports.at(-1)!.message, /is not a schema repository path/);
  await resolver.close();
});

test('a pinned version the bundle lacks is fetched when required, with no back-off; one it cannot fetch fails loudly', async () => {
  const { resolver } = resolverFor();
  assert.equal((await resolver.require(NEWER, NO_DEADLINE)).uri, NEWER);
  assert.equal((await resolver.require(v('1.2.0'), NO_DEADLINE)).uri, v('1.2.0'));
  await assert.rejects(resolver.require(v('1.98.0'), NO_DEADLINE), (err: Error) => {
    return (
      err instanceof ConfigurationError &&
      /OUTPUT_SCHEMA_URI \/mediawiki\/page\/change\/1\.98\.0 .*HTTP 404/.test(err.message)
    );
  });
  await assert.rejects(resolver.require(v('1.98.0'), NO_DEADLINE), ConfigurationError);
  assert.equal(repository.requests.filter((p) => p === v('1.98.0')).length, 2, 'each invocation asks again');
  const e = eventOf(v('1.0.0'));
  assert.equal(conformToOutputSchema(e, NEWER, resolver).schemaUri, NEWER);
  assert.equal(e.$schema, NEWER);
  await resolver.close();
});

test('JSON documents are read as well as YAML ones', async () => {
  const { resolver } = resolverFor();
  const json = JSON.stringify({ ...standInNewerVersion(), $id: v('1.93.0') });
  repository.fault = (path) => (path === v('1.93.0') ? { status: 200, body: json } : undefined);
  await resolver.prepare([v('1.93.0')], NO_DEADLINE);
  assert.equal(resolver.get(v('1.93.0'))?.uri, v('1.93.0'));
  await resolver.close();
});

test('EVENT_SCHEMA_BASE_URIS: Wikimedia by default; http(s) base URIs only', () => {
  assert.deepEqual(readSettings({}).EVENT_SCHEMA_BASE_URIS, [
    'https://schema.wikimedia.org/repositories/primary/jsonschema',
  ]);
  const two = 'https://mirror.example/jsonschema, http://127.0.0.1:8080/schemas';
  assert.deepEqual(readSettings({ EVENT_SCHEMA_BASE_URIS: two }).EVENT_SCHEMA_BASE_URIS, [
    'https://mirror.example/jsonschema',
    'http://127.0.0.1:8080/schemas',
  ]);
  for (const bad of [
    '/jsonschema',
    'ftp://mirror.example/x',
    'https://mirror.example/x?y=1',
    'https://u:p@mirror.example/',
  ]) {
    assert.throws(() => readSettings({ EVENT_SCHEMA_BASE_URIS: bad }), /EVENT_SCHEMA_BASE_URIS/, bad);
  }
});

test('observability: every failed resolution counts in SchemaResolutionFailures; the first of a version is one warning', () => {
  const lines: string[] = [];
  const writes = [process.stdout, process.stderr].map((stream) => {
    const write = stream.write;
    stream.write = ((chunk: string | Uint8Array) => lines.push(String(chunk)) > 0) as typeof stream.write;
    return () => (stream.write = write);
  });
  const { metrics, schemaResolutionListener } = enrichObservability(readSettings({}));
  try {
    metrics.clearMetrics();
    schemaResolutionListener.failed!(NEWER, new Error('HTTP 404'), true);
    schemaResolutionListener.failed!(NEWER, new Error('HTTP 404'), false);
    const emf = metrics.serializeMetrics() as unknown as Record<string, unknown>;
    assert.deepEqual(emf.SchemaResolutionFailures, [1, 1]);
    metrics.clearMetrics();
  } finally {
    for (const restore of writes) restore();
  }
  const warnings = lines.filter((l) => l.includes('output schema not resolved'));
  assert.equal(warnings.length, 1, lines.join(''));
  assert.match(warnings[0]!, /1\.99\.0/);
});
