/**
 * Adversarial Kafka record values for property-based tests of the batch pipeline, each
 * with what an independent oracle says must become of it. Values are raw bytes so that
 * invalid UTF-8, lone surrogates encoded as WTF-8, raw number tokens past 2^53 and own
 * `__proto__` keys reach the pipeline exactly as a hostile producer would write them.
 *
 * Each kind of hostility has its own module under records/; this one mixes them into one
 * arbitrary and re-exports what the tests use.
 */
import fc from 'fast-check';
import { empty, invalidUtf8, notJson, unicodeTitles } from './records/encoding.js';
import type { HostileRecord } from './records/oracle.js';
import { valid } from './records/params.js';
import { protoKeys } from './records/prototype.js';
import { bigNumbers } from './records/numbers.js';
import { missingField, wholeValueWrongType, wrongType } from './records/shape.js';
import { deep, huge } from './records/size.js';

export { ALLOWED_DOMAINS, HOSTILE_DOMAINS, TEST_ALLOWLIST } from './records/domains.js';
export {
  baseEvent,
  expectationFor,
  MAX_REV_ID,
  TABLE,
  type BaseParams,
  type Expectation,
  type HostileRecord,
} from './records/oracle.js';
export { baseParamsArb } from './records/params.js';
export { DEEP_FORMS, deepRecord, HUGE_FORMS, hugeRecord, type DeepForm, type HugeForm } from './records/size.js';
export { jsonStringBytes, titleArb } from './records/strings.js';

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
