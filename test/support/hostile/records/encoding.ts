/** Records whose bytes are the hostility: titles from every plane, invalid UTF-8, text that is not JSON, no value. */
import { isUtf8 } from 'node:buffer';
import fc from 'fast-check';
import { baseEvent, expectationFor, type Expectation, type HostileRecord } from './oracle.js';
import { baseParamsArb } from './params.js';
import { hasLoneSurrogate, jsonStringBytes, titleArb, utf8, withRawAt } from './strings.js';

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

/** Titles from every plane, serialised three ways; raw lone surrogates are invalid UTF-8. */
export const unicodeTitles = fc
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
export const invalidUtf8 = fc.oneof(
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

export const notJson = fc
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

export const empty = fc.constantFrom<HostileRecord>(
  { label: 'null-value', value: null, expect: { kind: 'error', type: 'InvalidJson' } },
  { label: 'empty-value', value: Buffer.alloc(0), expect: { kind: 'error', type: 'InvalidJson' } },
);
