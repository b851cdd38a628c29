/**
 * Checks the local-MediaWiki test support against a real wiki, and pins down the API shapes
 * the enrichment code relies on (formatversion=2): stored text byte for byte, `texthidden`,
 * and `badrevids` after a page deletion.
 */
import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import {
  anonymousQuery,
  createRevision,
  deletePage,
  ensureMediaWiki,
  hideRevisionContent,
  revisionContent,
  uniqueTitle,
} from '../support/mediawiki.js';

const REV_QUERY = { prop: 'revisions', rvprop: 'ids|content|contentmodel|sha1|size', rvslots: 'main' };

before(async () => {
  await ensureMediaWiki();
});

test('local MediaWiki: create, read back, hide content, delete', { timeout: 120_000 }, async () => {
  const title = uniqueTitle('Support');
  const text1 = 'Grüße 🌍 日本語\n\nSecond line with a tab\tand ünïcödé.';
  const rev1 = await createRevision(title, text1, 'first');

  assert.equal(rev1.text, text1);
  assert.equal(await revisionContent(rev1.revId), text1);
  assert.equal(rev1.size, Buffer.byteLength(text1, 'utf8'));
  // The API's sha1 is the hex SHA-1 of the UTF-8 content.
  const { createHash } = await import('node:crypto');
  assert.equal(rev1.sha1Hex, createHash('sha1').update(text1, 'utf8').digest('hex'));

  const rev2 = await createRevision(title, `${text1}\nmore`, 'second');
  assert.equal(rev2.pageId, rev1.pageId);
  assert.ok(rev2.revId > rev1.revId);

  // Hidden content: anonymous readers get texthidden + sha1hidden and no content/sha1.
  await hideRevisionContent(rev1.revId);
  const hidden = await anonymousQuery({ ...REV_QUERY, revids: rev1.revId });
  const hiddenRev = hidden.query.pages[0].revisions[0];
  assert.equal(hiddenRev.revid, rev1.revId);
  assert.equal(hiddenRev.sha1hidden, true);
  assert.equal(hiddenRev.sha1, undefined);
  assert.equal(hiddenRev.size, rev1.size);
  assert.equal(hiddenRev.slots.main.texthidden, true);
  assert.equal(hiddenRev.slots.main.content, undefined);
  // The admin still reads it (deletedtext right).
  assert.equal(await revisionContent(rev1.revId), text1);

  // Deleted page: every revision id comes back under badrevids, exactly like a never-existing id.
  await deletePage(title);
  const gone = await anonymousQuery({ ...REV_QUERY, revids: `${rev1.revId}|${rev2.revId}` });
  assert.equal(gone.query.pages, undefined);
  assert.deepEqual(gone.query.badrevids, {
    [rev1.revId]: { revid: rev1.revId, missing: true },
    [rev2.revId]: { revid: rev2.revId, missing: true },
  });
});

test('local MediaWiki: normalisation on save is visible in the returned text', async () => {
  const title = uniqueTitle('Support');
  // MediaWiki trims trailing whitespace and converts \r\n to \n before storing.
  const rev = await createRevision(title, 'line one\r\nline two  \n\n');
  assert.equal(rev.text, 'line one\nline two');
  assert.equal(await revisionContent(rev.revId), rev.text);
  await deletePage(title);
});
