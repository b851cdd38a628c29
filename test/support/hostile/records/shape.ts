/** Events of the wrong shape: fields of the wrong type or out of bounds, whole values that are not events, missing fields. */
import fc from 'fast-check';
import { baseEvent, type Expectation, type HostileRecord } from './oracle.js';
import { baseParamsArb } from './params.js';
import { utf8 } from './strings.js';
import { nodesOf, parentOf } from './surgery.js';

const REQUIRED = new Set([
  '$schema',
  'meta',
  'dt',
  'wiki_id',
  'page_change_kind',
  'page',
  'revision',
  'meta.stream',
  'meta.domain',
  'page.page_id',
  'page.page_title',
  'revision.rev_id',
  'revision.content_slots.main.slot_role',
]);

/** Schema-typed fields and values that break the type or a bound. */
const WRONG: Record<string, readonly unknown[]> = {
  $schema: [
    1,
    null,
    '',
    '/mediawiki/page/change/2.0.0',
    '/mediawiki/page/change/1.2',
    'mediawiki/page/change/1.2.0',
    '/mediawiki/page/change/1.2.0\n',
    ['/mediawiki/page/change/1.2.0'],
  ],
  dt: [0, null, '', true, {}, 'x'.repeat(129)],
  wiki_id: [1, null, '', [], { toString: 'x' }, 'w'.repeat(256)],
  changelog_kind: ['upsert', '', 1, null, 'DELETE'],
  page_change_kind: [null, '', 7, 'k'.repeat(65), ['edit']],
  meta: [null, 'meta', 1, [], true],
  'meta.stream': [null, '', 1, {}, []],
  'meta.domain': [null, '', 1, {}, ['en.wikipedia.org'], 'a'.repeat(254), false],
  'meta.id': [1, null, {}, []],
  'meta.dt': [1, null, {}],
  page: [null, 'page', 1, [], false],
  'page.page_id': ['10', -1, 1.5, null, true, [], {}, 2 ** 53, 1e300],
  'page.page_title': [null, '', 1, [], {}, false],
  'page.namespace_id': ['0', 0.5, null, true, {}],
  revision: [null, 'rev', 1, [], true],
  'revision.rev_id': ['1', -1, 0.5, null, false, [], {}, 2 ** 53, 2 ** 64, Number.MAX_VALUE],
  'revision.is_content_visible': ['true', 1, 0, null, [], {}],
  'revision.content_slots': [[], 'main', 1, null, true],
  'revision.content_slots.main': ['wikitext', 1, null, [], true],
  'revision.content_slots.main.slot_role': [null, '', 1, 'other', 'MAIN', {}],
  'revision.content_slots.main.content_sha1': [1, null, {}, []],
  'revision.content_slots.main.content_size': [-1, 1.5, '5', null, 2 ** 53],
  'revision.content_slots.main.content_body': [1, null, {}, []],
  'revision.content_slots.main.content_model': [1, null, {}],
};

export const wrongType = fc
  .tuple(baseParamsArb, fc.constantFrom(...Object.keys(WRONG)), fc.nat())
  .map(([p, field, n]): HostileRecord => {
    const event = baseEvent({ ...p, contentMeta: field.includes('content_slots') ? 'match' : p.contentMeta });
    const path = field.split('.');
    const values = WRONG[field]!;
    parentOf(event, path)[path.at(-1)!] = values[n % values.length];
    return { label: 'wrong-type', value: utf8(event), expect: { kind: 'error', type: 'InvalidEvent' } };
  });

export const wholeValueWrongType = fc
  .oneof(
    fc.jsonValue().map((v) => JSON.stringify(v)),
    fc.constantFrom('null', 'true', '0', '""', '[]', '[{}]', '"{\\"$schema\\":1}"', '{"$schema":{}}'),
  )
  .map((text): HostileRecord => {
    const parsed = JSON.parse(text);
    const isObject = parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed);
    const expect: Expectation =
      !isObject || !('$schema' in parsed) ? { kind: 'error', type: 'InvalidEvent' } : { kind: 'any' };
    return { label: 'json-not-an-event', value: utf8(text), expect };
  });

export const missingField = fc.tuple(baseParamsArb, fc.nat()).map(([p, n]): HostileRecord => {
  const event = baseEvent({ ...p, contentMeta: p.contentMeta === 'none' ? 'match' : p.contentMeta });
  const paths = nodesOf(event).filter((x) => x.path.length > 0);
  const { path } = paths[n % paths.length]!;
  delete parentOf(event, path)[path.at(-1)!];
  const required = REQUIRED.has(path.join('.'));
  return {
    label: `missing-field${required ? '-required' : ''}`,
    value: utf8(event),
    expect: required ? { kind: 'error', type: 'InvalidEvent' } : { kind: 'any' },
  };
});
