import assert from 'node:assert/strict';
import { test } from 'node:test';
import snappy from 'snappyjs';
import kafkajs, { CompressionTypes } from 'kafkajs';
import {
  compressionTypeFor,
  CorruptCompressedDataError,
  lz4Compress,
  lz4Decompress,
  registerKafkaCodecs,
  snappyCompress,
  snappyDecompress,
  zstdCompress,
  zstdDecompress,
} from '../../lib/kafka/kafka-codecs.js';

// Page-like text over several 32/64 KiB blocks, with non-ASCII and incompressible parts.
const text = Buffer.from(
  Array.from(
    { length: 4000 },
    (_, i) => `== Section ${i} == Zürich 東京 — ${(i * 7919).toString(36)} [[Link ${i % 97}]]\n`,
  ).join(''),
);

test('snappy: xerial framing (Java client) round-trips; raw snappy (librdkafka, kcat) is read', () => {
  const framed = snappyCompress(text);
  assert.equal(framed.subarray(0, 8).toString('latin1'), '\x82SNAPPY\x00');
  assert.ok(framed.length < text.length / 2);
  assert.deepEqual(snappyDecompress(framed), text);
  assert.deepEqual(snappyDecompress(Buffer.from(snappy.compress(text))), text);
  assert.throws(
    () => snappyDecompress(Buffer.concat([framed.subarray(0, 16), Buffer.from([0, 0, 0x7f, 0xff])])),
    CorruptCompressedDataError,
  );
});

test('lz4: frames of independent 64 KiB blocks (Kafka refuses dependent ones) round-trip', () => {
  const frame = lz4Compress(text);
  assert.equal(frame.readUInt32LE(0), 0x184d2204);
  assert.equal(frame[4]! & 0x20, 0x20, 'block independence flag');
  assert.equal((frame[5]! >> 4) & 7, 4, '64 KiB blocks');
  assert.ok(frame.length < text.length / 2);
  assert.deepEqual(lz4Decompress(frame), text);
  // Incompressible input is stored uncompressed, block by block.
  const noise = Buffer.from(Array.from({ length: 70_000 }, (_, i) => (i * 2654435761) >>> 24));
  assert.deepEqual(lz4Decompress(lz4Compress(noise)), noise);
  assert.deepEqual(lz4Decompress(lz4Compress(Buffer.alloc(0))), Buffer.alloc(0));
});

test('zstd: a frame written by the zstd tool is read (node:zlib)', async () => {
  // printf 'page text — Zürich 東京 %.0s' {1..40} | zstd -c | base64
  const frame = Buffer.from('KLUv/QRYLQEA6HBhZ2UgdGV4dCDigJQgWsO8cmljaCDmnbHkuqwgAQChAX7lBE5JLw4=', 'base64');
  assert.equal((await zstdDecompress(frame)).toString(), 'page text — Zürich 東京 '.repeat(40));
});

test('zstd: written and read by node:zlib, at the level asked for', async () => {
  assert.deepEqual(await zstdDecompress(await zstdCompress(text)), text);
  const fast = await zstdCompress(text, 1);
  const small = await zstdCompress(text, 19);
  assert.ok(small.length < fast.length, `level 19 (${small.length} B) smaller than level 1 (${fast.length} B)`);
  assert.equal(compressionTypeFor('zstd'), CompressionTypes.ZSTD);
});

test('registerKafkaCodecs installs every codec kafkajs lacks', async () => {
  registerKafkaCodecs();
  const codecs = kafkajs.CompressionCodecs as unknown as Record<
    number,
    () => { compress(e: { buffer: Buffer }): Promise<Buffer>; decompress(b: Buffer): Promise<Buffer> }
  >;
  for (const type of [CompressionTypes.Snappy, CompressionTypes.LZ4]) {
    const codec = codecs[type]!();
    assert.deepEqual(await codec.decompress(await codec.compress({ buffer: text })), text);
  }
  assert.equal(typeof codecs[CompressionTypes.ZSTD]!().decompress, 'function');
  assert.equal(compressionTypeFor('snappy'), CompressionTypes.Snappy);
  assert.equal(compressionTypeFor('none'), CompressionTypes.None);
});
