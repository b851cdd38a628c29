/** Parameters of a well-formed event drawn from hostile strings and domains, and the valid records built from them. */
import fc from 'fast-check';
import { domainArb } from './domains.js';
import { baseEvent, expectationFor, MAX_REV_ID, type BaseParams, type HostileRecord } from './oracle.js';
import { titleArb, utf8 } from './strings.js';

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

export const valid = baseParamsArb.map(
  (p): HostileRecord => ({ label: 'valid', value: utf8(baseEvent(p)), expect: expectationFor(p) }),
);
