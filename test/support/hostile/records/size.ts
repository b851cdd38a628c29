/** Records of extreme size: nesting up to 10^5 deep, and values of megabytes. */
import fc from 'fast-check';
import { baseEvent, expectationFor, type BaseParams, type Expectation, type HostileRecord } from './oracle.js';
import { baseParamsArb } from './params.js';
import { utf8, withRawAt } from './strings.js';
import { parentOf, type Path } from './surgery.js';

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

export const deep = fc
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
  // A field the event's version does not declare is dropped before the size is known: what is left fits.
  switch (form) {
    case 'title':
      return { label, value: utf8(baseEvent({ ...p, title: big })), expect: tooLarge };
    case 'unknown-field':
      return { label, value: utf8({ ...baseEvent(p), padding: big }), expect: base };
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
      return { label, value: utf8({ ...baseEvent(p), extra }), expect: base };
    }
  }
}

export const huge = fc
  .tuple(
    baseParamsArb,
    fc.constantFrom(...HUGE_FORMS),
    fc.integer({ min: 1_100_000, max: 2_500_000 }),
    fc.constantFrom('x', 'é', '😀', '\ufffd', '\\'),
  )
  .map(([p, form, bytes, unit]) => hugeRecord(p, form, bytes, unit));
