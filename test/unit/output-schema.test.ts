/**
 * The shipped output schemas and what the pipeline does with them: the materialized schemas are
 * upstream's, the committed validators are what the script generates and decide as ajv compiling
 * the reference schemas does, and conforming drops exactly what a version does not declare.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import fc from 'fast-check';
import addFormatsModule from 'ajv-formats';
import { Ajv } from 'ajv';
import { InvalidOutputEventError } from '../../lib/pipeline/errors.js';
import { ConfigurationError } from '../../lib/settings/catalogue.js';
import { isDateTime, isUriReference } from '../../lib/schemas/output-formats.js';
import { OUTPUT_SCHEMAS } from '../../lib/schemas/page-change-output.js';
import { conformToOutputSchema, pinnedOutputSchema } from '../../lib/pipeline/output-schema.js';
import { outputTimestamp } from '../../lib/pipeline/kafka-timestamp.js';
import {
  generateOutputValidatorSource,
  materialize,
  OUTPUT_VALIDATOR_FILE,
  SCHEMA_DIR,
} from '../../scripts/materialize-schemas.js';
import { pageChangeEvent } from '../../scripts/lib/page-change-events.js';
import { declaredOnly, pageChangeSchema, referenceValidator } from '../support/output-schema-oracle.js';
import { referenceDir } from '../support/reference.js';

const VERSIONS = ['1.0.0', '1.1.0', '1.2.0'];
const uriOf = (v: string) => `/mediawiki/page/change/${v}`;

test('the project ships mediawiki/page/change 1.0.0 to 1.2.0, each equal to the published schema', () => {
  for (const v of VERSIONS) assert.ok(OUTPUT_SCHEMAS.has(uriOf(v)), v);
  for (const v of VERSIONS) {
    const reference = new URL(`schemas/mediawiki-page-change-${v}.json`, referenceDir());
    if (!existsSync(reference)) continue;
    const shipped = JSON.parse(readFileSync(join(SCHEMA_DIR, `${v}.json`), 'utf8'));
    assert.deepEqual(shipped, JSON.parse(readFileSync(reference, 'utf8')), v);
  }
});

test('the committed validators are what scripts/materialize-schemas.ts generates now (npm run schemas:materialize)', async () => {
  const source = readFileSync(OUTPUT_VALIDATOR_FILE, 'utf8');
  assert.equal(source, await generateOutputValidatorSource());
  assert.doesNotMatch(source, /from ['"]ajv|require\(/);
});

test('materialize resolves $refs of a checkout (fragments, pointers into them, the document itself)', async () => {
  const checkout = mkdtempSync(join(tmpdir(), 'schemas-checkout-'));
  const write = (path: string, yaml: string) => {
    mkdirSync(join(checkout, 'jsonschema', path, '..'), { recursive: true });
    writeFileSync(join(checkout, 'jsonschema', `${path}.yaml`), yaml);
  };
  write('fragment/thing/1.0.0', 'type: object\ndefinitions:\n  id: { type: integer, minimum: 0 }\n');
  write(
    'mediawiki/page/change/9.0.0',
    [
      '$id: /mediawiki/page/change/9.0.0',
      'type: object',
      'properties:',
      '  thing: { $ref: /fragment/thing/1.0.0, description: here }',
      "  thing_id: { $ref: '/fragment/thing/1.0.0#/definitions/id' }",
      "  again: { $ref: '#/properties/thing_id' }",
    ].join('\n'),
  );
  assert.deepEqual(await materialize(checkout, '9.0.0'), {
    $id: '/mediawiki/page/change/9.0.0',
    type: 'object',
    properties: {
      thing: { type: 'object', definitions: { id: { type: 'integer', minimum: 0 } }, description: 'here' },
      thing_id: { type: 'integer', minimum: 0 },
      again: { type: 'integer', minimum: 0 },
    },
  });
});

test('the precompiled validators decide as ajv with ajv-formats compiling the published schema', () => {
  const values = fc.oneof(
    fc.constantFrom(0, -1, 1.5, 2 ** 53, null, true, [], {}, '', 'x', '2026-11-25T10:00:00Z', '2026-02-30T10:00:00Z'),
    // ajv-formats takes `"` in a uri-reference, RFC 3986 does not (see the formats test).
    fc.string().filter((s) => !s.includes('"')),
    fc.integer(),
  );
  const paths = [
    ['dt'],
    ['changelog_kind'],
    ['page_change_kind'],
    ['meta', 'dt'],
    ['meta', 'uri'],
    ['page', 'page_id'],
    ['page', 'page_title'],
    ['performer', 'groups'],
    ['performer', 'user_id'],
    ['revision', 'rev_id'],
    ['revision', 'rev_dt'],
    ['revision', 'content_slots', 'main', 'content_size'],
    ['revision', 'content_slots', 'main', 'content_body'],
    ['prior_state'],
  ];
  fc.assert(
    fc.property(
      fc.constantFrom(...VERSIONS),
      fc.array(fc.tuple(fc.nat(paths.length - 1), values, fc.boolean()), { maxLength: 3 }),
      (version, edits) => {
        const e: any = pageChangeEvent({ content: 'abc', schema: uriOf(version) });
        e.revision.content_slots.main.content_body = 'abc';
        for (const [p, value, remove] of edits) {
          const path = paths[p]!;
          const parent = path.slice(0, -1).reduce((o: any, k) => (o && typeof o === 'object' ? o[k] : undefined), e);
          if (parent === null || typeof parent !== 'object') continue;
          if (remove) delete parent[path.at(-1)!];
          else parent[path.at(-1)!] = value;
        }
        const schema = OUTPUT_SCHEMAS.get(uriOf(version))!;
        assert.equal(schema.validate(e), referenceValidator(uriOf(version))(e), JSON.stringify(edits));
      },
    ),
    { numRuns: Number(process.env.VALIDATOR_RUNS ?? 1000) },
  );
});

test('formats: date-time and uri-reference agree with ajv-formats on real and broken values', () => {
  const addFormats = ((addFormatsModule as any).default ?? addFormatsModule) as (ajv: Ajv) => Ajv;
  const ajv = addFormats(new Ajv());
  const dateTime = ajv.compile({ type: 'string', format: 'date-time' });
  const uri = ajv.compile({ type: 'string', format: 'uri-reference' });
  const dates = ['2025-10-29T11:05:04.238793Z', '2024-02-29T00:00:00+01:00', '2023-02-29T00:00:00Z', '2025-10-29'];
  dates.push('2025-13-01T00:00:00Z', '2025-10-29T24:00:00Z', '2025-10-29T11:05:00', 'x', '2025-10-29 11:05:00z');
  for (const d of dates) assert.equal(isDateTime(d), dateTime(d), d);
  const uris = ['https://en.wikipedia.org/wiki/Anees_(musician)', '/wiki/Foo%20bar', 'a b', 'https://x/é', '%zz', ''];
  uris.push(']', 'a[b', 'http://[::1]/x', 'http://u@[2001:db8::7]:80/x?y#z');
  for (const u of uris) assert.equal(isUriReference(u), uri(u), u);
  // The one difference: RFC 3986 has no `"` in any part of a URI; ajv-formats lets it through.
  assert.equal(isUriReference('/wiki/"quoted"'), false);
});

test('conforming keeps the named version, drops what it does not declare (per path), and the result validates', () => {
  for (const version of VERSIONS) {
    const e: any = pageChangeEvent({ content: 'abc', schema: uriOf(version) });
    e.undeclared = { a: 1 };
    e.performer.user_central_id = 7;
    e.revision.content_slots.main.content_body = 'abc';
    e.revision.content_slots.main.extra = true;
    e.meta.open_field = 'meta declares no additionalProperties: kept';
    const expected = declaredOnly(e, pageChangeSchema(uriOf(version)));
    const result = conformToOutputSchema(e);
    assert.deepEqual(e, expected, version);
    assert.equal(e.meta.open_field, 'meta declares no additionalProperties: kept');
    assert.deepEqual([...result.dropped].sort(), [
      'performer.user_central_id',
      'revision.content_slots.*.extra',
      'undeclared',
    ]);
    assert.equal(result.schemaUri, uriOf(version));
    assert.equal(result.unknownVersion, false);
    assert.ok(referenceValidator(uriOf(version))(e), JSON.stringify(referenceValidator(uriOf(version)).errors));
  }
});

test('a version the project does not ship (the real enwiki sample, 1.3.0) goes out with every field', () => {
  const sample = JSON.parse(readFileSync(new URL('samples/enwiki-page-change-edit.json', referenceDir()), 'utf8'));
  const before = JSON.stringify(sample);
  const result = conformToOutputSchema(sample);
  assert.deepEqual(result, { schemaUri: '/mediawiki/page/change/1.3.0', dropped: [], unknownVersion: true });
  assert.equal(JSON.stringify(sample), before);
});

test('a pinned version: 1.3.0 input is projected onto it, names it and conforms; an unshipped pin is refused', () => {
  const sample = JSON.parse(readFileSync(new URL('samples/enwiki-page-change-edit.json', referenceDir()), 'utf8'));
  const result = conformToOutputSchema(sample, uriOf('1.2.0'));
  assert.equal(sample.$schema, uriOf('1.2.0'));
  assert.ok(result.dropped.includes('performer.user_central_id'), result.dropped.join());
  assert.ok(result.dropped.includes('revision.editor.user_central_id'), result.dropped.join());
  assert.ok(referenceValidator(uriOf('1.2.0'))(sample));
  assert.throws(() => pinnedOutputSchema(uriOf('1.3.0')), ConfigurationError);
  assert.equal(pinnedOutputSchema(undefined), undefined);
});

test('an event that cannot conform throws InvalidOutputEvent naming the path in the whole schema', () => {
  const e: any = pageChangeEvent({ content: 'abc' });
  e.revision.content_slots.main.content_size = -1;
  assert.throws(
    () => conformToOutputSchema(e),
    (err: Error) =>
      err instanceof InvalidOutputEventError &&
      err.message.includes('/mediawiki/page/change/1.2.0') &&
      err.message.includes(
        '#/properties/revision/properties/content_slots/additionalProperties/properties/content_size/minimum',
      ),
  );
  const missing: any = pageChangeEvent({ schema: uriOf('1.1.0') });
  delete missing.performer; // required in 1.1.0, optional from 1.2.0
  assert.throws(
    () => conformToOutputSchema(missing),
    /must have required property 'performer' \(schema path #\/required\)/,
  );
});

test('Kafka timestamp: the event dt; the input record timestamp when dt is not a date; none with produce', () => {
  assert.equal(outputTimestamp({ dt: '2026-11-25T10:00:00Z' }, { timestamp: 5 }), Date.parse('2026-11-25T10:00:00Z'));
  assert.equal(outputTimestamp({ dt: 'yesterday' }, { timestamp: 5 }), 5);
  assert.equal(outputTimestamp({ dt: undefined as unknown as string }, { timestamp: 5 }), 5);
  assert.equal(outputTimestamp({ dt: 'yesterday' }, {}), undefined);
  assert.equal(outputTimestamp({ dt: '2026-11-25T10:00:00Z' }, { timestamp: 5 }, 'produce'), undefined);
});
