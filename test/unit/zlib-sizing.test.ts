/** Output sizing of the zlib calls on the hot path (issue 21): one trip to the thread pool, the same bytes. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { gunzipSync, gzipSync } from 'node:zlib';
import { gzipChunkBytes } from '../../lib/kafka/kafka-codecs.js';
import { inflatedChunkBytes, parseApiResponse } from '../../lib/mediawiki/action-api-response.js';

const answer = (content: string) => ({
  query: { pages: [{ pageid: 1, revisions: [{ revid: 7, slots: { main: { content } } }] }] },
});

test('a gzip answer inflates into one buffer of the size its trailer states, and parses', async () => {
  const json = JSON.stringify(answer('Grüße 🌍 '.repeat(20_000)));
  const gz = gzipSync(json);
  assert.equal(inflatedChunkBytes(gz), Buffer.byteLength(json) + 1);
  assert.deepEqual(await parseApiResponse(gz, 'gzip', 'wiki.test'), JSON.parse(json));
});

test('a trailer that lies or a tiny body only changes the buffer size, never the result', async () => {
  const json = JSON.stringify(answer('x'.repeat(100_000)));
  for (const stated of [0, 5, 2 ** 32 - 1]) {
    const gz = gzipSync(json);
    gz.writeUInt32LE(stated, gz.length - 4); // ISIZE is checked by zlib only against the real length mod 2^32
    const chunk = inflatedChunkBytes(gz);
    assert.ok(chunk >= 16 * 1024 && chunk <= 8 * 1024 * 1024, `chunk ${chunk} for stated ${stated}`);
  }
  assert.equal(inflatedChunkBytes(Buffer.from([0x1f, 0x8b])), 16 * 1024);
  await assert.rejects(parseApiResponse(Buffer.from([0x1f, 0x8b]), 'gzip', 'wiki.test'));
});

test('gzip output buffers hold a whole record batch, and the bytes round-trip', () => {
  const batch = Buffer.from('{"content":"wikitext [[link]] {{template}}"}\n'.repeat(30_000));
  const chunkSize = gzipChunkBytes(batch.length);
  assert.ok(chunkSize > batch.length);
  assert.equal(gzipChunkBytes(10), 16 * 1024);
  assert.deepEqual(gunzipSync(gzipSync(batch, { level: 1, chunkSize })), batch);
});
