/** Own `__proto__` / `constructor` / `prototype` (and friends) keys at every object level. */
import fc from 'fast-check';
import { baseEvent, expectationFor, type HostileRecord } from './oracle.js';
import { baseParamsArb } from './params.js';
import { utf8 } from './strings.js';
import { defineOwn, nodesOf, type Path } from './surgery.js';

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

/** Own `__proto__` / `constructor` / `prototype` (and friends) at every object level. */
export const protoKeys = fc
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
