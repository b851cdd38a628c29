/**
 * Enrichment against a real MediaWiki (installed and started by scripts/mediawiki):
 * the enriched events carry the wiki's stored content byte for byte, and deleted or
 * suppressed revisions become the right error events.
 */
import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import {
  createRevision,
  deletePage,
  ensureMediaWiki,
  hideRevisionContent,
  revisionContent,
  uniqueTitle,
} from '../support/mediawiki.js';
import { pageChangeEvent } from '../../scripts/lib/page-change-events.js';
import { enrichBatch, TEST_DOMAIN } from '../support/enrich-harness.js';

let apiUrl: string;
const pages: Array<{ pageId: number; revId: number; text: string }> = [];

before(async () => {
  ({ apiUrl } = await ensureMediaWiki());
  const texts = [
    'plain ASCII wikitext',
    'Grüße 🌍 日本語 — ünïcödé',
    `== Big ==\n${'Lorem ipsum dolor sit amet. '.repeat(8000)}`,
    '𝔘𝔫𝔦𝔠𝔬𝔡𝔢 𐍈 and combining e\u0301',
  ];
  for (const text of texts) pages.push(await createRevision(uniqueTitle('Enrich'), text));
});

const eventFor = (
  p: { pageId: number; revId: number; text: string },
  extra: Parameters<typeof pageChangeEvent>[0] = {},
) => pageChangeEvent({ domain: TEST_DOMAIN, pageId: p.pageId, revId: p.revId, content: p.text, ...extra });

test('enriched events carry the stored content byte for byte', async () => {
  const { messages, result } = await enrichBatch(
    apiUrl,
    pages.map((p) => eventFor(p)),
  );
  assert.deepEqual(result.response.batchItemFailures, []);
  assert.equal(messages.length, pages.length);
  for (const [i, m] of messages.entries()) {
    assert.equal(m.kind, 'output', JSON.stringify(m.event.message));
    const stored = await revisionContent(pages[i]!.revId);
    assert.ok(
      Buffer.from(m.event.revision.content_slots.main.content_body, 'utf8').equals(Buffer.from(stored, 'utf8')),
      `page ${i}`,
    );
  }
});

test('events without slot metadata get slots created from the API, sha1 in base 36', async () => {
  const p = pages[1]!;
  const e = pageChangeEvent({ domain: TEST_DOMAIN, pageId: p.pageId, revId: p.revId });
  const { messages } = await enrichBatch(apiUrl, [e]);
  const slot = messages[0]!.event.revision.content_slots.main;
  assert.equal(slot.content_body, p.text);
  assert.equal(slot.content_model, 'wikitext');
  assert.equal(slot.content_size, Buffer.byteLength(p.text));
  assert.match(slot.content_sha1, /^[0-9a-z]{31}$/);
});

test('one request per 50 revisions, not one per event; repeated revisions fetched once', async () => {
  const created = [];
  for (let i = 0; i < 60; i++) created.push(await createRevision(uniqueTitle('Batch'), `batch page ${i} ü`));
  const values = [...created, ...created.slice(0, 20)].map((p) => eventFor(p));
  const { messages, stats } = await enrichBatch(apiUrl, values);
  assert.equal(messages.filter((m) => m.kind === 'output').length, 80);
  assert.equal(stats.requests, 2);
  const single = await enrichBatch(apiUrl, values.slice(0, 10), { api: { revisionsPerRequest: 1 } });
  assert.equal(single.stats.requests, 10, 'the one-revid-per-request baseline');
});

test('a deleted page is RevisionMissing after retries; hidden content is ContentHidden at once', async () => {
  const gone = await createRevision(uniqueTitle('Deleted'), 'soon deleted');
  await deletePage(await titleOf(gone.pageId));
  const first = await createRevision(uniqueTitle('Hidden'), 'to be suppressed');
  const title = await titleOf(first.pageId);
  await createRevision(title, 'current visible text');
  await hideRevisionContent(first.revId);
  const { messages, stats } = await enrichBatch(apiUrl, [eventFor(gone), eventFor(first)], { api: { maxRetries: 2 } });
  const byRev = Object.fromEntries(messages.map((m) => [m.offset, m.event]));
  assert.equal(byRev[0].error_type, 'RevisionMissing');
  assert.match(byRev[0].message, /after 2 retries/);
  assert.equal(byRev[1].error_type, 'ContentHidden');
  assert.equal(JSON.parse(byRev[1].raw_event).revision.rev_id, first.revId);
  assert.equal(stats.requests, 3, 'one request for both, then two retries for the missing one only');
});

test('a response split by the API result size limit is followed with continue', async () => {
  const big = [];
  for (let i = 0; i < 5; i++) {
    const text = Array.from({ length: 28000 }, (_, n) => `// ${i}:${n} ${'ü'.repeat(20)} lorem ipsum`).join('\n');
    big.push(await createRevision(`User:Admin/${uniqueTitle('big').replaceAll(' ', '-')}.js`, text));
  }
  const { messages, stats } = await enrichBatch(
    apiUrl,
    big.map((p) => pageChangeEvent({ domain: TEST_DOMAIN, pageId: p.pageId, revId: p.revId, content: p.text })),
  );
  assert.ok(stats.requests >= 2, `expected a continuation, got ${stats.requests} request(s)`);
  for (const [i, m] of messages.entries()) {
    assert.equal(m.kind, 'output', m.event.message);
    assert.equal(m.event.revision.content_slots.main.content_body, big[i]!.text);
  }
});

async function titleOf(pageId: number): Promise<string> {
  const { anonymousQuery } = await import('../support/mediawiki.js');
  const r = await anonymousQuery({ pageids: pageId, formatversion: 2 });
  return r.query.pages[0].title;
}
