import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { test } from 'node:test';
import { contentSha1Base36, sha1Base36ToHex, sha1HexToBase36 } from '../../lib/mediawiki/sha1.js';

test("empty text has MediaWiki's well-known base-36 sha1", () => {
  assert.equal(contentSha1Base36(''), 'phoiac9h4m842xq45sp7s6u21eteeq1');
});

test('hex and base 36 convert both ways, padded to 31 and 40 characters', () => {
  for (const text of ['a', 'Grüße 🌍', 'x'.repeat(10_000)]) {
    const hex = createHash('sha1').update(text, 'utf8').digest('hex');
    const b36 = sha1HexToBase36(hex);
    assert.equal(b36.length, 31);
    assert.equal(sha1Base36ToHex(b36), hex);
  }
  assert.equal(sha1HexToBase36('0000000000000000000000000000000000000001'), `${'0'.repeat(30)}1`);
});
