/**
 * Checks of what the pipeline made of a record: error events against the error/2.1.0
 * schema (the reference copy when present, else the embedded copy below) and carrying the
 * record, and enriched events against the input they came from.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { Ajv } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { declaredOnly, pageChangeSchema, referenceValidator } from '../output-schema-oracle.js';

/** error/2.1.0 as published (descriptions and examples dropped). */
const EMBEDDED_ERROR_SCHEMA = {
  $id: '/error/2.1.0',
  type: 'object',
  additionalProperties: false,
  required: ['$schema', 'dt', 'emitter_id', 'message', 'meta'],
  properties: {
    $schema: { type: 'string' },
    dt: { type: 'string', format: 'date-time', maxLength: 128 },
    emitter_id: { type: 'string' },
    error_type: { type: 'string' },
    errored_schema_uri: { type: 'string' },
    errored_stream_name: { type: 'string' },
    message: { type: 'string' },
    meta: {
      type: 'object',
      required: ['stream'],
      properties: {
        domain: { type: 'string', minLength: 1 },
        dt: { type: 'string', format: 'date-time', maxLength: 128 },
        id: { type: 'string' },
        request_id: { type: 'string' },
        stream: { type: 'string', minLength: 1 },
        uri: { type: 'string', format: 'uri-reference', maxLength: 8192 },
      },
    },
    raw_event: { type: 'string' },
    stack: { type: 'string' },
    triggered_by: { type: 'string' },
  },
};

const REFERENCE = new URL('../../../../shared/reference/schemas/error-2.1.0.json', import.meta.url);

function errorSchema(): object {
  if (!existsSync(REFERENCE)) return EMBEDDED_ERROR_SCHEMA;
  const { $schema: _drop, examples: _ex, ...schema } = JSON.parse(readFileSync(REFERENCE, 'utf8'));
  return schema;
}

const addFormats = ((addFormatsModule as any).default ?? addFormatsModule) as (ajv: Ajv) => Ajv;
const ajv = new Ajv({ strict: false, allErrors: true });
addFormats(ajv);
export const validateErrorEvent = ajv.compile(errorSchema());

export const RAW_MAX_CHARS = 256 * 1024;

export const EVENTS = {
  outputStream: 'mediawiki.page_content_change.v1',
  errorStream: 'mw_page_content_change_enrich.error',
  errorSchemaUri: '/error/2.1.0',
  emitterId: 'hostile-test',
};

/** The stable error types docs/record-journey.md documents (plus none: `Unexpected*` is not stable). */
export const KNOWN_ERROR_TYPES = new Set([
  'InvalidJson',
  'InvalidEvent',
  'DomainNotAllowed',
  'RevisionMissing',
  'ContentHidden',
  'ContentIntegrityMismatch',
  'MediaWikiNetworkError',
  'MediaWikiHttpNoContent',
  'MediaWikiHttpRedirect',
  'MediaWikiHttpClientError',
  'MediaWikiHttpServerError',
  'MediaWikiMaxlag',
  'MediaWikiApiError',
  'MessageTooLarge',
  'InvalidOutputEvent',
]);

const fatal = new TextDecoder('utf-8', { fatal: true });

/**
 * Asserts `raw_event` is the record: its text (whole, or a prefix with the total length when
 * truncated), or `base64:` of its bytes when they are not UTF-8, or empty for an empty value.
 */
export function assertCarriesRecord(rawEvent: string, value: Buffer | null, where: string): void {
  if (value === null || value.length === 0) {
    assert.equal(rawEvent, '', `${where}: empty record, empty raw_event`);
    return;
  }
  let text: string | undefined;
  try {
    text = fatal.decode(value);
  } catch {
    text = undefined;
  }
  if (text !== undefined) {
    if (text.length <= RAW_MAX_CHARS) {
      assert.ok(rawEvent === text, `${where}: raw_event is not the record text`);
      return;
    }
    assert.ok(
      rawEvent.startsWith(text.slice(0, RAW_MAX_CHARS)),
      `${where}: truncated raw_event is not a prefix of the record`,
    );
    assert.ok(rawEvent.length < RAW_MAX_CHARS + 100, `${where}: raw_event of ${rawEvent.length} chars is not bounded`);
    assert.ok(
      rawEvent.includes(String(text.length)),
      `${where}: truncated raw_event does not say how long the record was`,
    );
    return;
  }
  assert.ok(
    rawEvent.startsWith('base64:'),
    `${where}: non-UTF-8 record must be carried as base64, got ${JSON.stringify(rawEvent.slice(0, 40))}`,
  );
  const b64 = /^base64:([A-Za-z0-9+/=]*)/.exec(rawEvent)![1]!;
  const carried = Buffer.from(b64, 'base64');
  if (carried.length === value.length) {
    assert.ok(carried.equals(value), `${where}: base64 raw_event differs from the record bytes`);
    return;
  }
  assert.ok(
    carried.length > 0 && value.subarray(0, carried.length).equals(carried),
    `${where}: truncated base64 raw_event is not a prefix of the record`,
  );
  assert.ok(
    rawEvent.includes(String(value.length)),
    `${where}: truncated base64 raw_event does not say how long the record was`,
  );
}

/** Parses and checks one error message; returns the error event. */
export function assertErrorEvent(
  messageValue: string,
  recordValue: Buffer | null,
  where: string,
  opts: { allowUnexpected?: boolean } = {},
): any {
  const e = JSON.parse(messageValue);
  assert.ok(
    validateErrorEvent(e) as boolean,
    `${where}: not an error/2.1.0 event: ${JSON.stringify(validateErrorEvent.errors)}`,
  );
  assert.equal(e.$schema, EVENTS.errorSchemaUri, where);
  assert.equal(e.meta.stream, EVENTS.errorStream, where);
  assert.equal(e.emitter_id, EVENTS.emitterId, where);
  assert.equal(typeof e.error_type, 'string', where);
  assert.ok(e.message.length > 0, `${where}: empty message`);
  if (!opts.allowUnexpected)
    assert.ok(KNOWN_ERROR_TYPES.has(e.error_type), `${where}: unstable error_type ${e.error_type}: ${e.message}`);
  assertCarriesRecord(e.raw_event, recordValue, where);
  return e;
}

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

/**
 * An enriched (or passed-through) event is the input with output meta and, when fetched,
 * the table's content in the main slot, less the fields the version it names does not declare
 * (all kept for a version without a schema); nothing else changed, and it conforms to that version. Compares by serialisation
 * so structures nested deeper than assert.deepEqual can recurse still compare.
 */
export function assertCorrectEnrichment(
  out: any,
  key: string | null,
  event: any,
  expected: { content?: string; passthrough: boolean },
  where: string,
): void {
  assert.equal(key, JSON.stringify({ wiki_id: event.wiki_id, page_id: event.page.page_id }), `${where}: message key`);
  const schema = pageChangeSchema(event.$schema);
  const input = schema ? declaredOnly(event, schema) : event;
  if (schema) {
    const validate = referenceValidator(event.$schema);
    assert.ok(
      validate(out),
      `${where}: output does not conform to ${event.$schema}: ${JSON.stringify(validate.errors)}`,
    );
  }
  assert.deepEqual(Object.keys(out), Object.keys(input), `${where}: top-level fields`);
  for (const k of Object.keys(input)) {
    if (k === 'meta' || k === 'revision') continue;
    assert.ok(same(out[k], input[k]), `${where}: field ${k} changed`);
  }
  assert.equal(out.meta.stream, EVENTS.outputStream, where);
  assert.match(out.meta.id, /^[0-9a-f-]{36}$/, where);
  assert.ok(!Number.isNaN(Date.parse(out.meta.dt)), where);
  for (const k of Object.keys(input.meta))
    if (!['stream', 'id', 'dt'].includes(k)) assert.ok(same(out.meta[k], input.meta[k]), `${where}: meta.${k} changed`);
  for (const k of Object.keys(input.revision))
    if (k !== 'content_slots') assert.ok(same(out.revision[k], input.revision[k]), `${where}: revision.${k} changed`);
  if (expected.passthrough) {
    assert.ok(
      same(out.revision.content_slots, input.revision.content_slots),
      `${where}: passthrough changed content_slots`,
    );
    return;
  }
  assert.equal(typeof expected.content, 'string', `${where}: enriched a revision that is not in the table`);
  assert.deepEqual(Object.keys(out.revision.content_slots), ['main'], `${where}: slots`);
  const main = out.revision.content_slots.main;
  assert.ok(main.content_body === expected.content, `${where}: content_body is not the table's content`);
  assert.equal(main.slot_role, 'main', where);
  const inMain = input.revision.content_slots?.main;
  // A slot the API created carries the fetched size; a slot from the event keeps what it had (verified when present).
  if (!inMain || inMain.content_size !== undefined)
    assert.equal(main.content_size, Buffer.byteLength(expected.content!, 'utf8'), `${where}: content_size`);
  if (inMain)
    for (const k of Object.keys(inMain))
      if (k !== 'content_body') assert.ok(same(main[k], inMain[k]), `${where}: slot field ${k} changed`);
}
