/** Content windows (issue 25 §1), pure: how a batch is cut so that no window's content exceeds the budget. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import {
  type ContentWindow,
  contentWindows,
  declaredContentBytes,
  HeldContent,
  UNDECLARED_REVISION_BYTES,
  type WindowedRevision,
} from '../../lib/pipeline/content-window.js';
import type { PageChangeEvent } from '../../lib/pipeline/page-change.js';
import { contentBudgetBytes, readSettings } from '../../lib/settings/catalogue.js';

const MiB = 1024 * 1024;
const rev = (revId: number, bytes: number, domain = 'en.wikipedia.org'): WindowedRevision => ({ domain, revId, bytes });

/** Distinct revisions of a window and their declared bytes. */
function revisionsOf(records: ReadonlyArray<WindowedRevision | undefined>, w: ContentWindow) {
  const distinct = new Map<string, number>();
  for (const r of records.slice(w.start, w.end)) if (r) distinct.set(`${r.domain}/${r.revId}`, r.bytes);
  return [...distinct.values()];
}

test('windows follow batch order, cover every record once, and fit the budget', () => {
  const records = [rev(1, 400), undefined, rev(2, 700), rev(3, 100), undefined, rev(4, 1000), rev(5, 1)];
  assert.deepEqual(contentWindows(records, 1000), [
    { start: 0, end: 2, bytes: 400 },
    { start: 2, end: 5, bytes: 800 },
    { start: 5, end: 6, bytes: 1000 },
    { start: 6, end: 7, bytes: 1 },
  ]);
});

test('a revision larger than the whole budget is fetched alone, in a window of its own', () => {
  const records = [rev(1, 10), rev(2, 5 * MiB), rev(3, 10)];
  assert.deepEqual(contentWindows(records, MiB), [
    { start: 0, end: 1, bytes: 10 },
    { start: 1, end: 2, bytes: 5 * MiB },
    { start: 2, end: 3, bytes: 10 },
  ]);
});

test('a revision twice in a window counts once; the same id on another wiki is another revision', () => {
  const records = [rev(1, 600), rev(1, 600), rev(1, 600, 'de.wikipedia.org')];
  assert.deepEqual(contentWindows(records, 1000), [
    { start: 0, end: 2, bytes: 600 },
    { start: 2, end: 3, bytes: 600 },
  ]);
});

test('records that fetch nothing cost nothing: a batch without revisions is one window, an empty batch none', () => {
  assert.deepEqual(contentWindows([undefined, undefined], 1), [{ start: 0, end: 2, bytes: 0 }]);
  assert.deepEqual(contentWindows([], 1), []);
});

test('any batch the mapping can send (10,000 records, 0 B–2 MiB a slot, several slots): windows fit the budget', () => {
  const slotBytes = fc.oneof(fc.integer({ min: 0, max: 2 * MiB }), fc.integer({ min: 0, max: 20_000 }));
  // A pool of revisions (each with one size), and a batch of records drawing from it or fetching nothing.
  const revision = fc.record({
    domain: fc.constantFrom('en.wikipedia.org', 'www.wikidata.org', 'commons.wikimedia.org'),
    bytes: fc.array(slotBytes, { minLength: 1, maxLength: 3 }).map((slots) => slots.reduce((a, b) => a + b, 0)),
  });
  const batch = fc
    .array(revision, { minLength: 1, maxLength: 300 })
    .chain((pool) =>
      fc
        .array(fc.option(fc.integer({ min: 0, max: pool.length - 1 }), { freq: 8 }), { maxLength: 10_000, size: 'max' })
        .map((picks) => picks.map((i) => (i === null ? undefined : { ...pool[i]!, revId: i }))),
    );
  fc.assert(
    fc.property(batch, fc.integer({ min: 1, max: 128 * MiB }), (records, budget) => {
      const windows = contentWindows(records, budget);
      let next = 0;
      for (const w of windows) {
        assert.equal(w.start, next, 'consecutive, in batch order');
        assert.ok(w.end > w.start, 'no empty window');
        next = w.end;
        const sizes = revisionsOf(records, w);
        assert.equal(
          w.bytes,
          sizes.reduce((a, b) => a + b, 0),
        );
        assert.ok(w.bytes <= budget || sizes.length === 1, `window of ${sizes.length} revisions, ${w.bytes} B`);
      }
      assert.equal(next, records.length, 'every record is in a window');
    }),
    { numRuns: 30 },
  );
});

const eventWith = (revision: Record<string, unknown>) => ({ revision: { rev_id: 1, ...revision } }) as PageChangeEvent;

test("a revision's declared bytes: its slots' content_size, else rev_size, else 2 MiB a slot", () => {
  const slot = (role: string, size?: number) => ({
    slot_role: role,
    ...(size === undefined ? {} : { content_size: size }),
  });
  const twoSlots = { main: slot('main', 11_000), mediainfo: slot('mediainfo', 500) };
  assert.equal(declaredContentBytes(eventWith({ content_slots: twoSlots, rev_size: 1 })), 11_500);
  assert.equal(declaredContentBytes(eventWith({ content_slots: { main: slot('main') }, rev_size: 42 })), 42);
  assert.equal(declaredContentBytes(eventWith({ rev_size: 0 })), 0);
  assert.equal(declaredContentBytes(eventWith({})), UNDECLARED_REVISION_BYTES);
  const oneUnsized = { main: slot('main', 7), mediainfo: slot('mediainfo') };
  assert.equal(declaredContentBytes(eventWith({ content_slots: oneUnsized })), 7 + UNDECLARED_REVISION_BYTES);
  assert.equal(UNDECLARED_REVISION_BYTES, 2 * MiB, "MediaWiki's default $wgMaxArticleSize");
});

test('the budget is a share of the function memory Lambda states, unless CONTENT_BUDGET_BYTES sets it', () => {
  const budget = (env: Record<string, string>) => contentBudgetBytes(readSettings(env));
  assert.equal(budget({ AWS_LAMBDA_FUNCTION_MEMORY_SIZE: '512' }), 64 * MiB);
  assert.equal(budget({ AWS_LAMBDA_FUNCTION_MEMORY_SIZE: '1024' }), 128 * MiB);
  assert.equal(budget({}), budget({ AWS_LAMBDA_FUNCTION_MEMORY_SIZE: '512' }), 'outside Lambda: 512 MB assumed');
  assert.equal(budget({ AWS_LAMBDA_FUNCTION_MEMORY_SIZE: '512', CONTENT_BUDGET_BYTES: '1000' }), 1000);
  assert.throws(() => budget({ CONTENT_BUDGET_BYTES: '0' }), /CONTENT_BUDGET_BYTES/);
});

test('held content counts what arrived and was not released, and keeps its peak', () => {
  const held = new HeldContent();
  held.add(300);
  held.add(200);
  held.release(500);
  held.add(400);
  assert.equal(held.held, 400);
  assert.equal(held.peak, 500);
});
