/**
 * The floor (issue 21): what the same bytes cost when each step that cannot be skipped runs once,
 * warm and synchronous, on the pages of the measured invocation. The wiki's own gzip responses are
 * fetched once (50 revisions a request, as the function asks) and then replayed through: input
 * base64 + JSON.parse, gunzip, bytes → string, response JSON.parse, sha1 of each content, the output
 * event stringified once, string → UTF-8, gzip level 1 of ~1 MiB record batches and their CRC32C.
 * Each step's figure is the fastest of several rounds, so JIT warm-up and GC of other steps stay out.
 */
import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import { gunzipSync, gzipSync } from 'node:zlib';
import { request } from 'undici';
import type { SeededRevision } from './seed.js';

const crc32C = createRequire(import.meta.url)('kafkajs/src/protocol/recordBatch/crc32C/index.js') as (
  b: Buffer,
) => number;

export interface FloorResult {
  events: number;
  /** ms per event of each step, and their sum. */
  steps: Record<string, number>;
  totalMs: number;
  /** UTF-8 bytes of content per event, and gzip ratio of the wiki's responses. */
  contentBytesPerEvent: number;
  responseGzipRatio: number;
}

interface ApiPage {
  revisions?: Array<{ revid: number; slots: Record<string, { content: string }> }>;
}

/** The wiki's responses for `revisions`, as the function asks for them (gzip, formatversion 2). */
async function fetchResponses(apiUrl: string, revisions: readonly SeededRevision[]): Promise<Buffer[]> {
  const distinct = [...new Set(revisions.map((r) => r.revId))];
  const out: Buffer[] = [];
  for (let i = 0; i < distinct.length; i += 50) {
    const url = new URL(apiUrl);
    const params = {
      action: 'query',
      prop: 'revisions',
      revids: distinct.slice(i, i + 50).join('|'),
      rvprop: 'ids|content|contentmodel|slotsha1|slotsize',
      rvslots: '*',
      formatversion: '2',
      format: 'json',
    };
    for (const [k, v] of Object.entries(params)) url.searchParams.set(k, v);
    const res = await request(url, { headers: { 'accept-encoding': 'gzip' } });
    const body = Buffer.from(await res.body.arrayBuffer());
    if (res.headers['content-encoding'] !== 'gzip') throw new Error('the bench proxy did not answer with gzip');
    out.push(body);
  }
  return out;
}

/**
 * CPU time one round of a step spans at least, ms. The kernel counts a thread's CPU time in scheduler ticks (a few
 * ms), so a round shorter than a tick reads 0 or a whole tick: `bench:quick`'s few events made 7 of 9 steps read
 * 0.0000. A round repeats the step until it spans many ticks, and counts its time per repetition.
 */
export const MIN_ROUND_CPU_MS = 100;

/**
 * Fastest of `rounds` rounds of `fn`, in ms of this thread's CPU time per call (on a shared machine wall time also
 * counts the time other processes hold the core); each round calls `fn` until it has spent `MIN_ROUND_CPU_MS`.
 */
export function fastest(rounds: number, fn: () => void): number {
  let best = Number.POSITIVE_INFINITY;
  for (let i = 0; i < rounds; i++) {
    const t0 = process.threadCpuUsage();
    let calls = 0;
    let spentMs = 0;
    do {
      fn();
      calls++;
      const t = process.threadCpuUsage(t0);
      spentMs = (t.user + t.system) / 1000;
    } while (spentMs < MIN_ROUND_CPU_MS);
    best = Math.min(best, spentMs / calls);
  }
  return best;
}

export async function measureFloor(
  apiUrl: string,
  revisions: readonly SeededRevision[],
  mskEvent: string,
  rounds = 7,
): Promise<FloorResult> {
  const responses = await fetchResponses(apiUrl, revisions);
  const values = Object.values(
    (JSON.parse(mskEvent) as { records: Record<string, Array<{ value: string }>> }).records,
  ).flatMap((rs) => rs.map((r) => r.value));
  const n = values.length;
  const inflated = responses.map((b) => gunzipSync(b));
  const texts = inflated.map((b) => b.toString('utf8'));
  const contentOf = new Map<number, string>();
  for (const t of texts)
    for (const p of (JSON.parse(t) as { query: { pages: ApiPage[] } }).query.pages)
      for (const r of p.revisions ?? []) contentOf.set(r.revid, r.slots.main!.content);
  const inputs = values.map((v) => JSON.parse(Buffer.from(v, 'base64').toString('utf8')) as Record<string, never>);
  const outputs = inputs.map((e, i) => {
    const content = contentOf.get(revisions[i]!.revId) ?? '';
    const revision = e.revision as { content_slots: { main: Record<string, unknown> } };
    return {
      ...e,
      revision: { ...revision, content_slots: { main: { ...revision.content_slots.main, content_body: content } } },
    };
  });
  const jsons = outputs.map((o) => JSON.stringify(o));
  const utf8 = jsons.map((j) => Buffer.from(j));
  const batches: Buffer[] = [];
  for (let i = 0, size = 0, from = 0; i <= utf8.length; i++) {
    if (i === utf8.length || size + utf8[i]!.length > 1024 * 1024) {
      if (i > from) batches.push(Buffer.concat(utf8.slice(from, i)));
      from = i;
      size = 0;
    }
    if (i < utf8.length) size += utf8[i]!.length;
  }
  const gzipped = batches.map((b) => gzipSync(b, { level: 1 }));
  const contents = revisions.map((r) => contentOf.get(r.revId) ?? '');
  let sink = 0;
  const steps: Record<string, number> = {
    'input base64 + JSON.parse': fastest(rounds, () => {
      for (const v of values) sink += JSON.parse(Buffer.from(v, 'base64').toString('utf8')).meta ? 1 : 0;
    }),
    'gunzip of responses': fastest(rounds, () => {
      for (const b of responses) sink += gunzipSync(b).length;
    }),
    'response bytes → string': fastest(rounds, () => {
      for (const b of inflated) sink += b.toString('utf8').length;
    }),
    'response JSON.parse': fastest(rounds, () => {
      for (const t of texts) sink += (JSON.parse(t) as { query: unknown }).query ? 1 : 0;
    }),
    'sha1 of content': fastest(rounds, () => {
      for (const c of contents) sink += createHash('sha1').update(c).digest('hex').length;
    }),
    'output JSON.stringify once': fastest(rounds, () => {
      for (const o of outputs) sink += JSON.stringify(o).length;
    }),
    'string → UTF-8': fastest(rounds, () => {
      for (const j of jsons) sink += Buffer.from(j).length;
    }),
    'gzip level 1': fastest(rounds, () => {
      for (const b of batches) sink += gzipSync(b, { level: 1 }).length;
    }),
    CRC32C: fastest(rounds, () => {
      for (const b of gzipped) sink += crc32C(b);
    }),
  };
  if (sink === 0) throw new Error('floor: nothing measured');
  for (const k of Object.keys(steps)) steps[k] = steps[k]! / n;
  const inflatedBytes = inflated.reduce((s, b) => s + b.length, 0);
  return {
    events: n,
    steps,
    totalMs: Object.values(steps).reduce((a, b) => a + b, 0),
    contentBytesPerEvent: contents.reduce((s, c) => s + Buffer.byteLength(c), 0) / n,
    responseGzipRatio: inflatedBytes / responses.reduce((s, b) => s + b.length, 0),
  };
}
