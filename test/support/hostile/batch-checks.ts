/**
 * What the hostile-input tests share: the limits and topic of their batches, the check that no
 * prototype was polluted, fc.check with a readable failure, and a well-formed base event.
 */
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { BaseParams } from './records.js';

export const MAX_MESSAGE_BYTES = 1_000_000;
export const TOPIC = 'mediawiki.page_change.v1';

const PROTOTYPES: Array<[string, object]> = [
  ['Object.prototype', Object.prototype],
  ['Array.prototype', Array.prototype],
  ['Function.prototype', Function.prototype],
  ['String.prototype', String.prototype],
];
const pristine = new Map(
  PROTOTYPES.map(([name, proto]) => [name, Reflect.ownKeys(proto).map(String).sort().join(',')]),
);

export function assertNoPollution(where: string): void {
  for (const [name, proto] of PROTOTYPES) {
    assert.equal(
      Reflect.ownKeys(proto).map(String).sort().join(','),
      pristine.get(name),
      `${where}: ${name} gained or lost properties`,
    );
  }
  const probe: any = {};
  for (const k of ['polluted', '__proto__polluted', 'slot_role'])
    assert.equal(probe[k], undefined, `${where}: {}.${k} is defined`);
  assert.equal(Object.getPrototypeOf(probe), Object.prototype, where);
}

/** fc.assert, but a failure reports the seed, the records' labels and the first broken invariant, not megabytes of counterexample. */
export async function check<T>(property: fc.IAsyncProperty<T>, params: fc.Parameters<T>): Promise<void> {
  const out = await fc.check(property, {
    seed: process.env.HOSTILE_SEED ? Number(process.env.HOSTILE_SEED) : undefined,
    ...params,
  });
  if (!out.failed) return;
  const labels = JSON.stringify(out.counterexample, (k, v) => (k === 'value' || k === 'expect' ? undefined : v)).slice(
    0,
    1500,
  );
  const err = out.errorInstance as Error | undefined;
  throw new Error(
    `property failed (seed ${out.seed}, path ${out.counterexamplePath}, HOSTILE_SEED=${out.seed} to replay): ${err?.message ?? err}\ncounterexample without values: ${labels}`,
    { cause: err },
  );
}

export const fixedBase: BaseParams = {
  revId: 3,
  pageId: 10,
  domain: 'dev.wiki.local',
  kind: 'edit',
  visible: true,
  contentMeta: 'match',
  title: 'T',
  wikiId: 'devwiki',
};
