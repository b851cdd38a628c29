/**
 * Adversarial Kafka record values for property-based tests of the batch pipeline, each
 * with what an independent oracle says must become of it. Values are raw bytes so that
 * invalid UTF-8, lone surrogates encoded as WTF-8, raw number tokens past 2^53 and own
 * `__proto__` keys reach the pipeline exactly as a hostile producer would write them.
 */
import { isUtf8 } from 'node:buffer';
import fc from 'fast-check';
import { pageChangeEvent } from '../events.js';

export type Expectation =
  /** Nothing more specific than the invariants (one outcome; correct enrichment or a schema-valid error event). */
  | { readonly kind: 'any' }
  | { readonly kind: 'error'; readonly type: string }
  | { readonly kind: 'enriched'; readonly passthrough: boolean };

export interface HostileRecord {
  /** Generator family, for counting and failure messages. */
  readonly label: string;
  readonly value: Buffer | null;
  readonly expect: Expectation;
}

/** Domains the test resolver allows (exactly these names; the allowlist also has `*.wikipedia.org`). */
export const ALLOWED_DOMAINS = ['dev.wiki.local', 'en.wikipedia.org', 'de.wikipedia.org'] as const;
export const TEST_ALLOWLIST = ['dev.wiki.local', '*.wikipedia.org'];

/** `meta.domain` values that must never be fetched. */
export const HOSTILE_DOMAINS = [
  'localhost',
  'localhost.',
  '127.0.0.1',
  '127.1',
  '0x7f000001',
  '2130706433',
  '0177.0.0.1',
  '[::1]',
  '::1',
  '::ffff:127.0.0.1',
  '[::ffff:127.0.0.1]',
  '169.254.169.254',
  'metadata.google.internal',
  'instance-data.ec2.internal',
  'fd00:ec2::254',
  '[fd00:ec2::254]',
  '10.0.0.1',
  '172.16.0.1',
  '172.31.255.255',
  '192.168.1.1',
  '0.0.0.0',
  'a@b',
  'en.wikipedia.org@127.0.0.1',
  '127.0.0.1@en.wikipedia.org',
  'en.wikipedia.org:8080',
  'en.wikipedia.org:@127.0.0.1',
  'en.wikipedia.org/../',
  'en.wikipedia.org/..%2f..%2f',
  '127.0.0.1/en.wikipedia.org',
  'en.wikipedia.org%2f127.0.0.1',
  'en%2ewikipedia%2eorg',
  '%31%32%37.0.0.1',
  'en.wikipedia.org.',
  'EN.WIKIPEDIA.ORG',
  'En.Wikipedia.Org',
  '\u0435n.wikipedia.org', // Cyrillic е
  'en.wikipedi\u0430.org', // Cyrillic а
  'en.wikipedia.org\u3002', // ideographic full stop
  'en\uff0ewikipedia\uff0eorg', // fullwidth full stop
  '\uff45n.wikipedia.org', // fullwidth e
  'en.wikipedia.org\r\nHost: 127.0.0.1',
  'en.wikipedia.org\nx',
  'en.wikipedia.org\u0000.evil.example',
  'en.wikipedia.org#@127.0.0.1',
  'en.wikipedia.org?@127.0.0.1',
  '127.0.0.1#.wikipedia.org',
  '127.0.0.1?.wikipedia.org',
  'en.wikipedia.org\\@127.0.0.1',
  '127.0.0.1.nip.io',
  'en.wikipedia.org.127.0.0.1.nip.io',
  'wikipedia.org.evil.example',
  'en.wikipedia.org.evil.example',
  'evilwikipedia.org',
  'wikipedia.org',
  '.wikipedia.org',
  '-en.wikipedia.org',
  ' en.wikipedia.org',
  'en.wikipedia.org ',
  'dev.wiki.local.evil.example',
  'xdev.wiki.local',
  '*.wikipedia.org',
  'en.*.org',
];

/** The fake wiki: revisions 1..40 exist, 41..60 do not. */
export const TABLE: ReadonlyMap<number, string> = new Map(
  Array.from({ length: 40 }, (_, i) => {
    const id = i + 1;
    const samples = [
      'plain',
      'Grüße 🌍 日本語',
      'עברית ‮ RTL',
      '𝔘𝔫𝔦𝔠𝔬𝔡𝔢 e\u0301',
      '',
      '{{tpl}} [[link]] <ref/>',
      '\u0000\u0001 ctrl',
      '\ufeffBOM',
    ];
    return [id, `${samples[id % samples.length]} #${id}`];
  }),
);
export const MAX_REV_ID = 60;

export interface BaseParams {
  revId: number;
  pageId: number;
  domain: string;
  kind: string;
  visible: boolean;
  contentMeta: 'none' | 'match' | 'mismatch';
  title: string;
  wikiId: string;
}

/** The oracle for a well-formed event. */
export function expectationFor(
  p: Pick<BaseParams, 'revId' | 'domain' | 'kind' | 'visible' | 'contentMeta'>,
): Expectation {
  if (p.domain === 'canary' || p.kind === 'delete' || !p.visible) return { kind: 'enriched', passthrough: true };
  if (!(ALLOWED_DOMAINS as readonly string[]).includes(p.domain)) return { kind: 'error', type: 'DomainNotAllowed' };
  if (!TABLE.has(p.revId)) return { kind: 'error', type: 'RevisionMissing' };
  if (p.contentMeta === 'mismatch') return { kind: 'error', type: 'ContentIntegrityMismatch' };
  return { kind: 'enriched', passthrough: false };
}

export function baseEvent(p: BaseParams): Record<string, any> {
  const content =
    p.contentMeta === 'none'
      ? undefined
      : p.contentMeta === 'match'
        ? (TABLE.get(p.revId) ?? 'absent')
        : 'not the stored text';
  return pageChangeEvent({
    revId: p.revId,
    pageId: p.pageId,
    domain: p.domain,
    kind: p.kind,
    contentVisible: p.visible,
    content,
    title: p.title,
    wikiId: p.wikiId,
  });
}

// ---------------------------------------------------------------- strings

const lone = fc.constantFrom('\ud800', '\udbff', '\udc00', '\udfff', '\udc00\ud800', 'a\ud83d', '\ude00b');
const nonchars = fc.constantFrom(
  '\ufffe',
  '\uffff',
  '\ufdd0',
  '\ufdef',
  '\u{1fffe}',
  '\u{1ffff}',
  '\u{10fffe}',
  '\u{10ffff}',
  '\u{effff}',
);
/** One code point from each of the 17 planes (many unassigned, all valid scalar values). */
const planes = fc.integer({ min: 0, max: 16 }).chain((plane) =>
  fc
    .integer({ min: plane === 0 ? 0x20 : plane * 0x10000, max: plane * 0x10000 + 0xffff })
    .filter((cp) => cp < 0xd800 || cp > 0xdfff)
    .map((cp) => String.fromCodePoint(cp)),
);
const oddities = fc.constantFrom(
  '\u0000',
  '\u001f',
  '\u007f',
  '\u0085',
  '\u2028',
  '\u2029',
  '\u202e',
  '\u200d',
  '\ufeff',
  '"',
  '\\',
  '</script>',
  '%00',
  '\r\n',
);

export const titleArb: fc.Arbitrary<string> = fc
  .array(
    fc.oneof(
      fc.string({ unit: 'binary', maxLength: 8 }),
      lone,
      nonchars,
      planes,
      oddities,
      fc.string({ unit: 'grapheme', maxLength: 6 }),
    ),
    { minLength: 1, maxLength: 6 },
  )
  .map((parts) => parts.join(''))
  .filter((s) => s.length > 0);

const hasLoneSurrogate = (s: string) =>
  /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/.test(s);

/**
 * A JSON string literal as bytes. `wtf8`: every code point raw, lone surrogates as the 3-byte
 * sequences UTF-8 forbids (ED A0 80..); `escaped`: everything outside ASCII as \uXXXX.
 */
export function jsonStringBytes(s: string, mode: 'wtf8' | 'escaped'): Buffer {
  const out: number[] = [0x22];
  const pushAscii = (t: string) => {
    for (const ch of t) out.push(ch.charCodeAt(0));
  };
  for (let i = 0; i < s.length; i++) {
    const unit = s.charCodeAt(i);
    let cp = unit;
    if (unit >= 0xd800 && unit <= 0xdbff && i + 1 < s.length) {
      const next = s.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) cp = 0x10000 + ((unit - 0xd800) << 10) + (next - 0xdc00);
    }
    if (cp === 0x22) pushAscii('\\"');
    else if (cp === 0x5c) pushAscii('\\\\');
    else if (cp < 0x20 || (mode === 'escaped' && cp > 0x7e)) {
      if (cp > 0xffff)
        pushAscii(
          `\\u${unit.toString(16).padStart(4, '0')}\\u${s
            .charCodeAt(i + 1)
            .toString(16)
            .padStart(4, '0')}`,
        );
      else pushAscii(`\\u${cp.toString(16).padStart(4, '0')}`);
    } else if (cp < 0x80) out.push(cp);
    else if (cp < 0x800) out.push(0xc0 | (cp >> 6), 0x80 | (cp & 0x3f));
    else if (cp < 0x10000)
      out.push(0xe0 | (cp >> 12), 0x80 | ((cp >> 6) & 0x3f), 0x80 | (cp & 0x3f)); // lone surrogates land here: WTF-8
    else out.push(0xf0 | (cp >> 18), 0x80 | ((cp >> 12) & 0x3f), 0x80 | ((cp >> 6) & 0x3f), 0x80 | (cp & 0x3f));
    if (cp > 0xffff) i++;
  }
  out.push(0x22);
  return Buffer.from(out);
}

/** Serialises `obj` with the string at the marker replaced by raw bytes. */
function withRawAt(obj: unknown, marker: string, raw: Buffer): Buffer {
  const text = JSON.stringify(obj);
  const at = text.indexOf(JSON.stringify(marker));
  if (at < 0) throw new Error(`marker ${marker} not found`);
  return Buffer.concat([
    Buffer.from(text.slice(0, at)),
    raw,
    Buffer.from(text.slice(at + JSON.stringify(marker).length)),
  ]);
}

const utf8 = (v: unknown) => Buffer.from(typeof v === 'string' ? v : JSON.stringify(v), 'utf8');

// ---------------------------------------------------------------- object surgery

type Path = Array<string>;

function nodesOf(
  root: unknown,
  path: Path = [],
  out: Array<{ path: Path; value: unknown }> = [],
): Array<{ path: Path; value: unknown }> {
  out.push({ path, value: root });
  if (root !== null && typeof root === 'object')
    for (const [k, v] of Object.entries(root)) nodesOf(v, [...path, k], out);
  return out;
}

function parentOf(root: any, path: Path): any {
  let node = root;
  for (const k of path.slice(0, -1)) node = node[k];
  return node;
}

function defineOwn(obj: any, key: string, value: unknown): void {
  Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
}

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

const PROTO_KEYS = [
  '__proto__',
  'constructor',
  'prototype',
  'hasOwnProperty',
  'toString',
  'valueOf',
  'toJSON',
  '__defineGetter__',
  'isPrototypeOf',
];
const PROTO_VALUES: readonly unknown[] = [
  { polluted: 'yes' },
  { prototype: { polluted: 'yes' } },
  { __proto__polluted: 'yes', constructor: { prototype: { polluted: 'yes' } } },
  'polluted',
  1,
  null,
  [],
  [{ polluted: 'yes' }],
  { slot_role: '__proto__' },
];

/** Raw JSON number tokens for integer fields; the oracle is what JSON.parse makes of them. */
const NUMBER_TOKENS = [
  '9007199254740991',
  '9007199254740992',
  '9007199254740993',
  '18446744073709551615',
  '18446744073709551616',
  '123456789012345678901234567890',
  '1e21',
  '2e53',
  '1e308',
  '1e309',
  '-1e309',
  '1e-400',
  '-0',
  '0.0',
  '1.0',
  '1E1',
  '0.1e1',
  '4.9e-324',
  '-1',
  '1.5',
  '9007199254740991.5',
  '00',
  '+1',
  '.5',
  '1.',
  'NaN',
  'Infinity',
  '-Infinity',
  '0x10',
  '1_000',
  '1e',
  '--1',
];
const ID_FIELDS: Array<{ path: Path; kind: 'id' | 'int' }> = [
  { path: ['revision', 'rev_id'], kind: 'id' },
  { path: ['page', 'page_id'], kind: 'id' },
  { path: ['page', 'namespace_id'], kind: 'int' },
  { path: ['revision', 'content_slots', 'main', 'content_size'], kind: 'id' },
];

const INVALID_UTF8: readonly number[][] = [
  [0x80],
  [0xbf],
  [0xc0, 0x80],
  [0xc1, 0xbf],
  [0xe0, 0x80, 0x80],
  [0xe0, 0x9f, 0xbf],
  [0xed, 0xa0, 0x80],
  [0xed, 0xbf, 0xbf],
  [0xed, 0xa0, 0xbd, 0xed, 0xb8, 0x80],
  [0xf0, 0x80, 0x80, 0x80],
  [0xf4, 0x90, 0x80, 0x80],
  [0xf5, 0x80, 0x80, 0x80],
  [0xf8, 0x88, 0x80, 0x80, 0x80],
  [0xfc, 0x84, 0x80, 0x80, 0x80, 0x80],
  [0xfe],
  [0xff],
  [0xff, 0xfe],
  [0xe2, 0x82],
  [0xf0, 0x9f, 0x98],
  [0xc3],
  [0xc3, 0x28],
  [0xa0, 0xa1],
];

// ---------------------------------------------------------------- arbitraries

const domainArb = fc.oneof(
  { weight: 8, arbitrary: fc.constantFrom(...ALLOWED_DOMAINS) },
  { weight: 1, arbitrary: fc.constant('canary') },
  { weight: 3, arbitrary: fc.constantFrom(...HOSTILE_DOMAINS) },
);

export const baseParamsArb: fc.Arbitrary<BaseParams> = fc.record({
  revId: fc.integer({ min: 1, max: MAX_REV_ID }),
  pageId: fc.oneof(fc.integer({ min: 0, max: 1000 }), fc.constant(2 ** 53 - 1)),
  domain: domainArb,
  kind: fc.constantFrom('edit', 'edit', 'create', 'delete', 'move', 'undelete', 'visibility_change'),
  visible: fc.oneof({ weight: 5, arbitrary: fc.constant(true) }, { weight: 1, arbitrary: fc.constant(false) }),
  contentMeta: fc.constantFrom('none', 'match', 'match', 'mismatch'),
  title: fc.oneof(
    { weight: 3, arbitrary: fc.constantFrom('Main_Page', 'Test_page', 'Ünïcödé_🌍') },
    { weight: 2, arbitrary: titleArb },
  ),
  wikiId: fc.oneof({ weight: 4, arbitrary: fc.constantFrom('devwiki', 'enwiki') }, { weight: 1, arbitrary: titleArb }),
});

const valid = baseParamsArb.map(
  (p): HostileRecord => ({ label: 'valid', value: utf8(baseEvent(p)), expect: expectationFor(p) }),
);

/** Titles from every plane, serialised three ways; raw lone surrogates are invalid UTF-8. */
const unicodeTitles = fc
  .tuple(
    baseParamsArb,
    titleArb,
    fc.constantFrom('stringify', 'wtf8', 'escaped') as fc.Arbitrary<'stringify' | 'wtf8' | 'escaped'>,
  )
  .map(([p, title, mode]): HostileRecord => {
    const params = { ...p, title };
    const marker = '\u0001TITLE\u0001';
    const event = baseEvent({ ...params, title: marker });
    const value =
      mode === 'stringify' ? utf8(baseEvent(params)) : withRawAt(event, marker, jsonStringBytes(title, mode));
    const broken = mode === 'wtf8' && hasLoneSurrogate(title);
    return {
      label: `unicode-title-${mode}`,
      value,
      expect: broken ? { kind: 'error', type: 'InvalidJson' } : expectationFor(params),
    };
  });

/** Valid events with an invalid UTF-8 sequence spliced in anywhere; and random bytes. */
const invalidUtf8 = fc.oneof(
  fc.tuple(baseParamsArb, fc.constantFrom(...INVALID_UTF8), fc.nat()).map(([p, seq, at]): HostileRecord => {
    const bytes = utf8(baseEvent(p));
    const i = at % (bytes.length + 1);
    const value = Buffer.concat([bytes.subarray(0, i), Buffer.from(seq), bytes.subarray(i)]);
    return {
      label: 'invalid-utf8-spliced',
      value,
      expect: isUtf8(value) ? { kind: 'any' } : { kind: 'error', type: 'InvalidJson' },
    };
  }),
  fc.uint8Array({ minLength: 1, maxLength: 300 }).map((a): HostileRecord => {
    const value = Buffer.from(a);
    return {
      label: 'random-bytes',
      value,
      expect: isUtf8(value) ? { kind: 'any' } : { kind: 'error', type: 'InvalidJson' },
    };
  }),
);

const wrongType = fc
  .tuple(baseParamsArb, fc.constantFrom(...Object.keys(WRONG)), fc.nat())
  .map(([p, field, n]): HostileRecord => {
    const event = baseEvent({ ...p, contentMeta: field.includes('content_slots') ? 'match' : p.contentMeta });
    const path = field.split('.');
    const values = WRONG[field]!;
    parentOf(event, path)[path.at(-1)!] = values[n % values.length];
    return { label: 'wrong-type', value: utf8(event), expect: { kind: 'error', type: 'InvalidEvent' } };
  });

const wholeValueWrongType = fc
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

const missingField = fc.tuple(baseParamsArb, fc.nat()).map(([p, n]): HostileRecord => {
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

/** Own `__proto__` / `constructor` / `prototype` (and friends) at every object level. */
const protoKeys = fc
  .tuple(
    baseParamsArb,
    fc.array(fc.tuple(fc.nat(), fc.constantFrom(...PROTO_KEYS), fc.nat()), { minLength: 1, maxLength: 6 }),
    fc.boolean(),
  )
  .map(([p, inserts, everywhere]): HostileRecord => {
    const event = baseEvent({ ...p, contentMeta: p.contentMeta === 'none' ? 'match' : p.contentMeta });
    const objects = nodesOf(event).filter(
      (x) => x.value !== null && typeof x.value === 'object' && !Array.isArray(x.value),
    );
    let intoSlots = false;
    const put = (node: { path: Path; value: unknown }, key: string, value: unknown) => {
      if (node.path.at(-1) === 'content_slots') intoSlots = true;
      // A fresh copy per site: the same object twice would still serialise, but keep trees independent.
      defineOwn(node.value, key, JSON.parse(JSON.stringify(value)));
    };
    if (everywhere) {
      // Every level except the slot map itself (a key there is a slot, covered by the other branch).
      for (const node of objects)
        if (node.path.at(-1) !== 'content_slots')
          for (const key of ['__proto__', 'constructor', 'prototype']) put(node, key, PROTO_VALUES[0]);
    } else {
      for (const [at, key, v] of inserts)
        put(objects[at % objects.length]!, key, PROTO_VALUES[v % PROTO_VALUES.length]);
    }
    // Unknown keys are ignored by the tolerant reader; in content_slots they are slots and break the event.
    return {
      label: `proto-keys${everywhere ? '-every-level' : ''}`,
      value: utf8(event),
      expect: intoSlots ? { kind: 'any' } : expectationFor(p),
    };
  });

const bigNumbers = fc
  .tuple(
    baseParamsArb,
    fc.constantFrom(...ID_FIELDS),
    fc.oneof(
      fc.constantFrom(...NUMBER_TOKENS),
      fc.bigInt({ min: 2n ** 53n, max: 2n ** 128n }).map(String),
      fc.double().map((d) => JSON.stringify(d)),
    ),
  )
  .map(([p, field, token]): HostileRecord => {
    const event = baseEvent({ ...p, contentMeta: 'match' });
    const marker = '\u0001NUM\u0001';
    parentOf(event, field.path)[field.path.at(-1)!] = marker;
    const value = withRawAt(event, marker, Buffer.from(token));
    let parsed: unknown;
    try {
      parsed = JSON.parse(token);
    } catch {
      return { label: 'number-token-not-json', value, expect: { kind: 'error', type: 'InvalidJson' } };
    }
    const n = parsed as number;
    // Known gap (reported): the validator accepts a literal past the double range (1e309 → ±Infinity) as an
    // integer where no bound applies (namespace_id), and the output then carries null. See hostile-input.test.ts.
    if (field.kind === 'int' && typeof n === 'number' && !Number.isFinite(n))
      return { label: 'number-nonfinite-unbounded', value, expect: { kind: 'any' } };
    const ok =
      typeof n === 'number' &&
      Number.isInteger(n) &&
      (field.kind === 'int' || (n >= 0 && n <= Number.MAX_SAFE_INTEGER));
    if (!ok) return { label: 'number-out-of-range', value, expect: { kind: 'error', type: 'InvalidEvent' } };
    if (field.path.join('.') === 'page.namespace_id')
      return { label: 'number-in-range', value, expect: expectationFor({ ...p, contentMeta: 'match' }) };
    return { label: 'number-in-range', value, expect: { kind: 'any' } };
  });

export type DeepForm = 'top-array' | 'top-object' | 'unclosed' | 'extra-field' | 'in-meta' | 'in-slot' | 'mixed';
export const DEEP_FORMS: readonly DeepForm[] = [
  'top-array',
  'top-object',
  'unclosed',
  'extra-field',
  'in-meta',
  'in-slot',
  'mixed',
];

/** A deeply nested record value; the nesting is built as text so no JS recursion is involved. */
export function deepRecord(p: BaseParams, form: DeepForm, depth: number): HostileRecord {
  const arrays = `${'['.repeat(depth)}${']'.repeat(depth)}`;
  const mixed = `${'[{"a":'.repeat(depth)}0${'}]'.repeat(depth)}`;
  const label = `deep-${form}-${depth}`;
  const splice = (path: Path, raw: string) => {
    const event = baseEvent({ ...p, contentMeta: 'match' });
    const marker = '\u0001DEEP\u0001';
    parentOf(event, [...path, 'deep']).deep = marker;
    return withRawAt(event, marker, Buffer.from(raw));
  };
  switch (form) {
    case 'top-array':
      return { label, value: Buffer.from(arrays), expect: { kind: 'error', type: 'InvalidEvent' } };
    case 'top-object':
      return {
        label,
        value: Buffer.from(`${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`),
        expect: { kind: 'error', type: 'InvalidEvent' },
      };
    case 'unclosed':
      return { label, value: Buffer.from('['.repeat(depth)), expect: { kind: 'error', type: 'InvalidJson' } };
    case 'extra-field':
      return { label, value: splice([], arrays), expect: { kind: 'any' } };
    case 'in-meta':
      return { label, value: splice(['meta'], mixed), expect: { kind: 'any' } };
    case 'in-slot':
      return { label, value: splice(['revision', 'content_slots', 'main'], arrays), expect: { kind: 'any' } };
    case 'mixed':
      return { label, value: splice([], mixed), expect: { kind: 'any' } };
  }
}

const deep = fc
  .tuple(baseParamsArb, fc.constantFrom(...DEEP_FORMS), fc.constantFrom(100, 1_000, 10_000, 100_000))
  .map(([p, form, depth]) => deepRecord(p, form, depth));

export type HugeForm = 'title' | 'unknown-field' | 'garbage' | 'json-string' | 'invalid-utf8' | 'domain' | 'many-keys';
export const HUGE_FORMS: readonly HugeForm[] = [
  'title',
  'unknown-field',
  'garbage',
  'json-string',
  'invalid-utf8',
  'domain',
  'many-keys',
];

/** A record of megabytes. The output topic limit in these tests is 1,000,000 bytes. */
export function hugeRecord(p: BaseParams, form: HugeForm, bytes: number, unit: string): HostileRecord {
  const big = unit.repeat(Math.ceil(bytes / Buffer.byteLength(unit)));
  const label = `huge-${form}`;
  const base = expectationFor(p);
  const tooLarge: Expectation = base.kind === 'enriched' ? { kind: 'error', type: 'MessageTooLarge' } : base;
  switch (form) {
    case 'title':
      return { label, value: utf8(baseEvent({ ...p, title: big })), expect: tooLarge };
    case 'unknown-field':
      return { label, value: utf8({ ...baseEvent(p), padding: big }), expect: tooLarge };
    case 'garbage':
      return { label, value: utf8(`{${big}`), expect: { kind: 'error', type: 'InvalidJson' } };
    case 'json-string':
      return { label, value: utf8(JSON.stringify(big)), expect: { kind: 'error', type: 'InvalidEvent' } };
    case 'invalid-utf8':
      return { label, value: Buffer.alloc(bytes, 0xff), expect: { kind: 'error', type: 'InvalidJson' } };
    case 'domain':
      return { label, value: utf8(baseEvent({ ...p, domain: big })), expect: { kind: 'error', type: 'InvalidEvent' } };
    case 'many-keys': {
      const extra: Record<string, number> = {};
      for (let i = 0; i < bytes / 16; i++) extra[`k${i}`] = i;
      return { label, value: utf8({ ...baseEvent(p), extra }), expect: tooLarge };
    }
  }
}

const huge = fc
  .tuple(
    baseParamsArb,
    fc.constantFrom(...HUGE_FORMS),
    fc.integer({ min: 1_100_000, max: 2_500_000 }),
    fc.constantFrom('x', 'é', '😀', '\ufffd', '\\'),
  )
  .map(([p, form, bytes, unit]) => hugeRecord(p, form, bytes, unit));

const notJson = fc
  .oneof(
    fc.string({ unit: 'binary', maxLength: 100 }),
    fc.constantFrom(
      '',
      ' ',
      '{',
      '}',
      '{"$schema":',
      'undefined',
      "{'a':1}",
      '{"a":1,}',
      '[1,]',
      '\ufeff{}',
      '{"a":1}{"b":2}',
      '/* */{}',
      'nul',
      '"\\x41"',
      '"\\ud800"',
      '{"__proto__":1}',
    ),
    fc.tuple(baseParamsArb, fc.nat()).map(([p, n]) => {
      const text = JSON.stringify(baseEvent(p));
      return text.slice(0, n % text.length);
    }),
  )
  .map((text): HostileRecord => {
    let expect: Expectation;
    const value = Buffer.from(text, 'utf8');
    try {
      // What a UTF-8 decoder makes of the bytes (lone surrogates became U+FFFD, a leading BOM is dropped).
      const v = JSON.parse(new TextDecoder().decode(value));
      expect =
        v === null || typeof v !== 'object' || Array.isArray(v) || !('$schema' in v)
          ? { kind: 'error', type: 'InvalidEvent' }
          : { kind: 'any' };
    } catch {
      expect = { kind: 'error', type: 'InvalidJson' };
    }
    return { label: 'not-json', value, expect };
  });

const empty = fc.constantFrom<HostileRecord>(
  { label: 'null-value', value: null, expect: { kind: 'error', type: 'InvalidJson' } },
  { label: 'empty-value', value: Buffer.alloc(0), expect: { kind: 'error', type: 'InvalidJson' } },
);

/** One adversarial record; `heavy` adds deep and huge records at the given weights (per mille). */
export function hostileRecordArb(
  opts: { deepPerMille?: number; hugePerMille?: number } = {},
): fc.Arbitrary<HostileRecord> {
  const deepW = opts.deepPerMille ?? 10;
  const hugeW = opts.hugePerMille ?? 4;
  return fc.oneof(
    { weight: 150, arbitrary: valid },
    { weight: 120, arbitrary: unicodeTitles },
    { weight: 120, arbitrary: invalidUtf8 },
    { weight: 120, arbitrary: wrongType },
    { weight: 50, arbitrary: wholeValueWrongType },
    { weight: 100, arbitrary: missingField },
    { weight: 120, arbitrary: protoKeys },
    { weight: 120, arbitrary: bigNumbers },
    { weight: 60, arbitrary: notJson },
    { weight: 10, arbitrary: empty },
    ...(deepW > 0 ? [{ weight: deepW, arbitrary: deep }] : []),
    ...(hugeW > 0 ? [{ weight: hugeW, arbitrary: huge }] : []),
  );
}
