/**
 * Kafka record-batch compression codecs for kafkajs, which ships only gzip. Lambda's event
 * source mapping reads whatever producers used, so every consumer of this project (local
 * event source mapping, replay, test helpers) and the function's producer must too:
 * gzip, snappy, lz4 and zstd, mixed in one topic.
 *
 * Pure JavaScript where Node has no codec, so the Lambda bundle needs no native addon:
 * - snappy: `snappyjs`; raw blocks (librdkafka, kcat) and xerial framing (the Java client) are
 *   read, xerial framing is written (what Java consumers expect first).
 * - lz4: `lz4js`, the LZ4 frame format Kafka uses since message format v2 (KIP-57).
 * - zstd: `node:zlib` (libzstd, in Node since 22.15; the project runs on Node 24, as Lambda's nodejs24.x).
 * - gzip: kafkajs' own (node:zlib); `useGzipLevel` (the producer) installs one at a level of its choice.
 */
import * as zlib from 'node:zlib';
import { promisify } from 'node:util';
import kafkajs, { CompressionTypes } from 'kafkajs';
import snappy from 'snappyjs';
import lz4 from 'lz4js';
import xxh32Module from 'lz4js/xxh32.js';

/** The names `KAFKA_COMPRESSION` accepts. */
export const KAFKA_COMPRESSION_NAMES = ['gzip', 'snappy', 'lz4', 'zstd', 'none'] as const;
export type KafkaCompressionName = (typeof KAFKA_COMPRESSION_NAMES)[number];

/** kafkajs' codec interface: `compress` gets the encoder of the uncompressed record set. */
export interface KafkaCodec {
  compress(encoder: { buffer: Buffer }): Promise<Buffer>;
  decompress(buffer: Buffer): Promise<Buffer>;
}

const gzipAsync = promisify(zlib.gzip);
const unzipAsync = promisify(zlib.unzip);
const zstdCompressAsync = promisify(zlib.zstdCompress);
const zstdDecompressAsync = promisify(zlib.zstdDecompress);

// --- snappy ---------------------------------------------------------------------------------

/** Magic of the xerial snappy-java stream format: 0x82 "SNAPPY" 0x00. */
const XERIAL_MAGIC = Buffer.from([0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00]);
const XERIAL_HEADER_BYTES = 16; // magic, version (int32), minimum compatible version (int32)
/** snappy-java's default block size: the Java client reads blocks of any size. */
const XERIAL_BLOCK_BYTES = 32 * 1024;

export class CorruptCompressedDataError extends Error {
  override readonly name = 'CorruptCompressedDataError';
}

export function snappyDecompress(input: Buffer): Buffer {
  if (input.length < XERIAL_HEADER_BYTES || !input.subarray(0, XERIAL_MAGIC.length).equals(XERIAL_MAGIC)) {
    return Buffer.from(snappy.uncompress(input));
  }
  const blocks: Buffer[] = [];
  for (let pos = XERIAL_HEADER_BYTES; pos < input.length; ) {
    if (pos + 4 > input.length) throw new CorruptCompressedDataError('xerial snappy: truncated block length');
    const size = input.readInt32BE(pos);
    pos += 4;
    if (size < 0 || pos + size > input.length)
      throw new CorruptCompressedDataError('xerial snappy: block past the end');
    blocks.push(Buffer.from(snappy.uncompress(input.subarray(pos, pos + size))));
    pos += size;
  }
  return Buffer.concat(blocks);
}

export function snappyCompress(input: Buffer): Buffer {
  const header = Buffer.alloc(XERIAL_HEADER_BYTES);
  XERIAL_MAGIC.copy(header);
  header.writeInt32BE(1, 8);
  header.writeInt32BE(1, 12);
  const parts: Buffer[] = [header];
  for (let pos = 0; pos < input.length; pos += XERIAL_BLOCK_BYTES) {
    const block = Buffer.from(snappy.compress(input.subarray(pos, pos + XERIAL_BLOCK_BYTES)));
    const size = Buffer.alloc(4);
    size.writeInt32BE(block.length);
    parts.push(size, block);
  }
  return Buffer.concat(parts);
}

const xxh32 = xxh32Module.hash;

// --- lz4 ------------------------------------------------------------------------------------

export function lz4Decompress(input: Buffer): Buffer {
  const out = lz4.decompress(input) as Uint8Array | number[];
  return Buffer.from(out as Uint8Array);
}

/** LZ4 frame flags: version 01, independent blocks (Kafka's broker refuses dependent ones). */
const LZ4_MAGIC = 0x184d2204;
const LZ4_FLG = 0x40 | 0x20;
/** Block maximum size 64 KiB (BD id 4), as Kafka's Java producer writes. */
const LZ4_BD = 4 << 4;
const LZ4_BLOCK_BYTES = 64 * 1024;
const lz4HashTable = new Uint32Array(1 << 16);
const lz4BlockBuf = new Uint8Array(lz4.compressBound(LZ4_BLOCK_BYTES));

/**
 * Writes an LZ4 frame of independent 64 KiB blocks with `lz4js`'s block compressor: `lz4js`'s own
 * frame writer links its blocks, which Kafka's broker rejects ("Dependent block stream is unsupported").
 */
export function lz4Compress(input: Buffer): Buffer {
  const parts: Buffer[] = [];
  const header = Buffer.alloc(7);
  header.writeUInt32LE(LZ4_MAGIC, 0);
  header[4] = LZ4_FLG;
  header[5] = LZ4_BD;
  header[6] = (xxh32(0, header, 4, 2) >>> 8) & 0xff;
  parts.push(header);
  for (let pos = 0; pos < input.length; pos += LZ4_BLOCK_BYTES) {
    const length = Math.min(LZ4_BLOCK_BYTES, input.length - pos);
    lz4HashTable.fill(0); // a fresh table per block keeps every match inside the block
    const size = lz4.compressBlock(input, lz4BlockBuf, pos, length, lz4HashTable);
    const sizeField = Buffer.alloc(4);
    if (size === 0 || size >= length) {
      sizeField.writeUInt32LE((0x80000000 | length) >>> 0);
      parts.push(sizeField, input.subarray(pos, pos + length));
    } else {
      sizeField.writeUInt32LE(size);
      parts.push(sizeField, Buffer.from(lz4BlockBuf.subarray(0, size)));
    }
  }
  parts.push(Buffer.alloc(4)); // end mark
  return Buffer.concat(parts);
}

// --- gzip -----------------------------------------------------------------------------------

/**
 * Output buffer of one gzip call: as large as the input (level 1 rarely grows text), so that the
 * thread pool compresses a record batch in one trip instead of one per 16 KiB of output, each a
 * hop back to the main thread.
 */
export function gzipChunkBytes(inputBytes: number): number {
  return Math.max(zlib.constants.Z_DEFAULT_CHUNK, inputBytes + 1024);
}

/** kafkajs keeps one process-wide gzip codec; this replaces it with one at the given level. */
export function useGzipLevel(level: number): void {
  kafkajs.CompressionCodecs[CompressionTypes.GZIP] = () => ({
    compress: (encoder: { buffer: Buffer }) =>
      gzipAsync(encoder.buffer, { level, chunkSize: gzipChunkBytes(encoder.buffer.length) }),
    decompress: (buffer: Buffer) => unzipAsync(buffer),
  });
}

// --- zstd -----------------------------------------------------------------------------------

export async function zstdDecompress(input: Buffer): Promise<Buffer> {
  return zstdDecompressAsync(input);
}

export async function zstdCompress(input: Buffer, level = 1): Promise<Buffer> {
  return zstdCompressAsync(input, { params: { [zlib.constants.ZSTD_c_compressionLevel]: level } });
}

// --- registration ---------------------------------------------------------------------------

export interface KafkaCodecOptions {
  /**
   * zstd level when writing (1 fastest … 19). Level 1, as for gzip: on page content it costs 25–40%
   * less CPU than level 3 for 8–10% more bytes, and producing bounds throughput (bench/codecs.ts).
   * @default 1
   */
  readonly zstdLevel?: number;
}

const wrap =
  (compress: (b: Buffer) => Buffer | Promise<Buffer>, decompress: (b: Buffer) => Buffer | Promise<Buffer>) =>
  (): KafkaCodec => ({
    compress: async (encoder) => compress(encoder.buffer),
    decompress: async (buffer) => decompress(buffer),
  });

/**
 * Installs snappy, lz4 and zstd into kafkajs' process-wide codec table, so every kafkajs client
 * in the process reads (and can write) them. Idempotent; gzip is left to kafkajs / `useGzipLevel`.
 */
export function registerKafkaCodecs(opts: KafkaCodecOptions = {}): void {
  const codecs = kafkajs.CompressionCodecs as Record<number, () => KafkaCodec>;
  codecs[CompressionTypes.Snappy] = wrap(snappyCompress, snappyDecompress);
  codecs[CompressionTypes.LZ4] = wrap(lz4Compress, lz4Decompress);
  codecs[CompressionTypes.ZSTD] = wrap((b) => zstdCompress(b, opts.zstdLevel ?? 1), zstdDecompress);
}

/** The kafkajs compression type for a `KAFKA_COMPRESSION` name (registering the codecs it needs). */
export function compressionTypeFor(name: KafkaCompressionName): CompressionTypes {
  registerKafkaCodecs();
  const types: Record<KafkaCompressionName, CompressionTypes> = {
    gzip: CompressionTypes.GZIP,
    snappy: CompressionTypes.Snappy,
    lz4: CompressionTypes.LZ4,
    zstd: CompressionTypes.ZSTD,
    none: CompressionTypes.None,
  };
  return types[name];
}

export function isKafkaCompressionName(value: string): value is KafkaCompressionName {
  return (KAFKA_COMPRESSION_NAMES as readonly string[]).includes(value);
}
