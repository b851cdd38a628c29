/**
 * `npx tsx bench/codecs.ts [--events N] [--batch N]`: bytes and CPU per enriched event for each
 * Kafka codec the project can write (KAFKA_COMPRESSION) and read (local ESM, test consumers),
 * on page content: the bench's generated wikitext pages (the sizes `npm run bench` seeds) and
 * the demo wiki's pages (samples/wiki). Events are compressed in produce requests of `--batch`
 * events, as kafkaSink sends them. CPU is process CPU time (user + system) per event.
 */
import { parseArgs } from 'node:util';
import { gzipSync, gunzipSync } from 'node:zlib';
import { pageChangeEvent } from '../test/support/events.js';
import {
  lz4Compress,
  lz4Decompress,
  snappyCompress,
  snappyDecompress,
  zstdCompress,
  zstdDecompress,
} from '../lib/kafka/kafka-codecs.js';
import { logNormalSize, prng, wikitext } from './content.js';

const { values } = parseArgs({
  options: { events: { type: 'string', default: '600' }, batch: { type: 'string', default: '100' } },
});
const EVENTS = Number(values.events);
const BATCH = Number(values.batch);

function enrichedEvent(i: number, content: string): string {
  const e = pageChangeEvent({
    domain: 'en.wikipedia.org',
    pageId: 1000 + i,
    revId: 5000 + i,
    content,
    title: `Page_${i}`,
  }) as Record<string, any>;
  e.revision.content_slots.main.content_body = content;
  return JSON.stringify(e);
}

function benchPages(): string[] {
  const rand = prng(42);
  return Array.from({ length: EVENTS }, (_, i) => {
    const size = logNormalSize(rand, 16_000, 0.65, 2_000, 50_000);
    return enrichedEvent(i, wikitext(prng(Math.floor(rand() * 2 ** 31)), size, rand() < 0.15, `Bench page ${i}`));
  });
}

/** The same sizes, every page non-ASCII (Cyrillic, CJK, Greek words: more bytes per character). */
function nonAsciiPages(): string[] {
  const rand = prng(43);
  return Array.from({ length: EVENTS }, (_, i) => {
    const size = logNormalSize(rand, 16_000, 0.65, 2_000, 50_000);
    return enrichedEvent(i, wikitext(prng(Math.floor(rand() * 2 ** 31)), size, true, `Bench page ${i}`));
  });
}

/** Record-batch payload of `events` (value bytes plus a rough per-record overhead, as in Kafka). */
function batches(events: string[]): Buffer[] {
  const out: Buffer[] = [];
  for (let i = 0; i < events.length; i += BATCH) out.push(Buffer.from(events.slice(i, i + BATCH).join('\u0000')));
  return out;
}

async function cpuMsAsync(fn: () => Promise<void>): Promise<number> {
  const start = process.cpuUsage();
  await fn();
  const d = process.cpuUsage(start);
  return (d.user + d.system) / 1000;
}

interface Row {
  codec: string;
  impl: string;
  bytesPerEvent: number;
  ratio: number;
  compressMs: number;
  decompressMs: number;
}

async function measure(name: string, events: string[]): Promise<Row[]> {
  const input = batches(events);
  const raw = input.reduce((n, b) => n + b.length, 0);
  const rows: Row[] = [];
  const reps = 3;
  const add = async (
    codec: string,
    impl: string,
    c: (b: Buffer) => Buffer | Promise<Buffer>,
    d: (b: Buffer) => Buffer | Promise<Buffer>,
  ) => {
    let out: Buffer[] = [];
    for (const b of input) out.push(await c(b)); // warm-up, and the bytes
    let comp = Infinity;
    let decomp = Infinity;
    for (let r = 0; r < reps; r++) {
      comp = Math.min(
        comp,
        await cpuMsAsync(async () => {
          out = [];
          for (const b of input) out.push(await c(b));
        }),
      );
      decomp = Math.min(
        decomp,
        await cpuMsAsync(async () => {
          for (const b of out) await d(b);
        }),
      );
    }
    for (let i = 0; i < out.length; i++)
      if (!(await d(out[i]!)).equals(input[i]!)) throw new Error(`${codec}: round trip differs`);
    const bytes = out.reduce((n, b) => n + b.length, 0);
    rows.push({
      codec,
      impl,
      bytesPerEvent: bytes / events.length,
      ratio: bytes / raw,
      compressMs: comp / events.length,
      decompressMs: decomp / events.length,
    });
  };
  await add(
    'none',
    '-',
    (b) => b,
    (b) => b,
  );
  await add(
    'gzip -1',
    'node:zlib (KAFKA_GZIP_LEVEL=1)',
    (b) => gzipSync(b, { level: 1 }),
    (b) => gunzipSync(b),
  );
  await add(
    'gzip -6',
    'node:zlib (zlib default)',
    (b) => gzipSync(b, { level: 6 }),
    (b) => gunzipSync(b),
  );
  await add('snappy', 'snappyjs (pure JS)', snappyCompress, snappyDecompress);
  await add('lz4', 'lz4js (pure JS)', lz4Compress, lz4Decompress);
  await add('zstd -1', 'node:zlib (KAFKA_COMPRESSION=zstd)', (b) => zstdCompress(b, 1), zstdDecompress);
  await add('zstd -3', 'node:zlib', (b) => zstdCompress(b, 3), zstdDecompress);
  console.error(
    `${name}: ${events.length} events, ${(raw / events.length).toFixed(0)} B/event uncompressed, batches of ${BATCH}`,
  );
  return rows;
}

function table(rows: Row[]): string {
  const head =
    '| codec | implementation | Kafka bytes/event | ratio | compress CPU ms/event | decompress CPU ms/event |\n' +
    '|---|---|---:|---:|---:|---:|';
  return [
    head,
    ...rows.map(
      (r) =>
        `| ${r.codec} | ${r.impl} | ${Math.round(r.bytesPerEvent).toLocaleString('en')} | ${r.ratio.toFixed(2)} | ` +
        `${Number.isNaN(r.compressMs) ? '—' : r.compressMs.toFixed(3)} | ${r.decompressMs.toFixed(3)} |`,
    ),
  ].join('\n');
}

for (const [name, events] of [
  ['bench pages (generated wikitext, median 16 KB, 15% non-ASCII)', benchPages()],
  ['the same sizes, every page non-ASCII', nonAsciiPages()],
] as const) {
  const rows = await measure(name, events);
  console.log(`\n${name}, Node ${process.versions.node}\n\n${table(rows)}`);
}
