/**
 * Where the CPU goes, all threads: a function process runs the Lambda path's batch under
 * `perf record -F 1999 -g -k mono` with `--perf-basic-prof` (JS symbols), on an unminified build of the
 * same bundle. Samples inside the warm batch invocations are sorted into phases by their stack
 * (thread name, then the first rule whose pattern matches a frame), and each phase's share of samples
 * is turned into ms per event with the process.cpuUsage of the same invocations. `--cpu-prof` would see
 * only the main thread, while zlib's pool, GC and JIT threads run a large share of the work.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { buildSync } from 'esbuild';
import { DEFAULT_ENRICH_ENTRY } from '../infra/constructs/enrich-function.ts';
import { FUNCTION_BUILD_OPTIONS, PROJECT_ROOT } from '../infra/constructs/function-bundle.ts';
import { BUILD_DIR } from './build.js';
import { type LambdaPathContext, type LambdaPathOptions, lambdaSetup } from './lambda-path.js';
import { n, table } from './report.js';
import type { SeededRevision } from './seed.js';

/** Main thread: [phase, pattern] matched anywhere in a sample's stack, in this order (callers that own their callees' time). */
const OWNER_RULES: Array<[string, RegExp]> = [
  [
    'GC (main thread)',
    /Heap::CollectGarbage|Scavenger|MarkCompact|PerformGarbageCollection|IncrementalMarking|MinorMS/,
  ],
  ['JIT and parsing (main thread)', /Compiler::|Maglev|Turbofan|Parser::|Sparkplug|Baseline|Deoptimiz/],
  ['size check', /enrichedMessageSize|serializedBytes/],
  ['CRC32C', /crc32C/i],
  ['kafkajs encoding', /Encoder|ensureAvailable|writeVar|writeInt|writeBytes|writeBuffer|writeArray|RecordBatch/],
];
/** Main thread: [phase, pattern] of the frame nearest the leaf that matches one. */
const LEAF_RULES: Array<[string, RegExp]> = [
  ['kernel (page faults, I/O)', /\[kernel\.kallsyms\]/],
  ['JSON.stringify', /JsonStringif/],
  ['JSON.parse', /JsonParse/],
  ['bytes → string', /Utf8Decoder|utf8Slice|StringBytes::Encode|NewStringFromUtf8|convert_utf8_to_utf16/],
  ['string → UTF-8', /WriteUtf8|utf8Write|byteLengthUtf8|Utf8Length|StringBytes::Write|Utf8::Encode/],
  ['sha1', /SHA1|sha1_block|EVP_Digest|Hash::HashUpdate/],
  ['HTTP (undici, llhttp)', /llhttp|undici/],
  ['zlib calls on the main thread', /ZlibContext|node:zlib/],
];

export function phaseOf(thread: string, frames: string[]): string {
  const all = frames.join('\n');
  if (thread === 'libuv-worker')
    return /deflate/i.test(all)
      ? 'gzip (libuv pool)'
      : /inflate/i.test(all)
        ? 'gunzip (libuv pool)'
        : 'libuv pool, other';
  if (thread === 'V8Worker')
    return /Heap|GC|Scaveng|Mark|Sweep|Evacuat|Compact/.test(all)
      ? 'GC (background)'
      : /Compil|Turbofan|Maglev|Optimiz|Pipeline|Sparkplug|Baseline/.test(all)
        ? 'JIT (background)'
        : 'V8 background, other';
  if (thread !== 'MainThread') return `other threads (${thread})`;
  const owner = OWNER_RULES.find(([, re]) => re.test(all));
  if (owner) return owner[0];
  for (const frame of frames) {
    const leaf = LEAF_RULES.find(([, re]) => re.test(frame));
    if (leaf) return leaf[0];
  }
  return 'other JS and runtime (main thread)';
}

export interface ProfileResult {
  phases: Array<{ phase: string; samples: number; msPerEvent: number }>;
  report: string[];
}

export async function profileLambdaPath(
  ctx: LambdaPathContext,
  seeded: readonly SeededRevision[],
  opts: LambdaPathOptions,
  outDir: string,
): Promise<ProfileResult | undefined> {
  if (spawnSync('perf', ['--version']).status !== 0) {
    ctx.log('profile: perf is not installed (Debian: linux-perf); no profile');
    return undefined;
  }
  const outdir = path.join(BUILD_DIR, 'profile-function');
  buildSync({
    ...FUNCTION_BUILD_OPTIONS,
    minify: false,
    sourcemap: false,
    entryPoints: { index: DEFAULT_ENRICH_ENTRY },
    outdir,
    absWorkingDir: PROJECT_ROOT,
  });
  const setup = await lambdaSetup(ctx, seeded, {
    ...opts,
    bundleFile: path.join(outdir, 'index.mjs'),
    execArgv: [...(opts.execArgv ?? []), '--perf-basic-prof'],
  });
  const data = path.join(outDir, 'perf.data');
  const batches = 1 + opts.repeats;
  ctx.log(`profile: perf record of ${batches} × ${opts.events} events`);
  const wrapper = ['perf', 'record', '-q', '-F', '1999', '-g', '-k', 'mono', '-o', data, '--'];
  const warm = [setup.one, setup.one, setup.one];
  const report = await setup.child('profile', [setup.one, ...warm, ...Array(batches).fill(setup.batch)], wrapper);
  const windows = report.invocations.slice(1 + warm.length + 1); // the warm batches
  const script = execFileSync('perf', ['script', '-i', data, '-F', 'comm,tid,time,ip,sym,dso'], {
    maxBuffer: 2 ** 31 - 1,
    stdio: ['ignore', 'pipe', 'ignore'],
  }).toString('latin1');
  const counts = new Map<string, number>();
  let total = 0;
  for (const sample of script.split('\n\n')) {
    const head = /^\s*(\S+)\s+\d+\s+([\d.]+):/.exec(sample);
    if (!head) continue;
    const ms = Number(head[2]) * 1000;
    if (!windows.some((w) => ms >= w.monoStartMs && ms <= w.monoEndMs)) continue;
    const phase = phaseOf(head[1]!, sample.trim().split('\n').slice(1));
    counts.set(phase, (counts.get(phase) ?? 0) + 1);
    total++;
  }
  const cpuMs = windows.reduce((s, w) => s + w.cpuMs, 0);
  const events = windows.reduce((s, w) => s + w.events, 0);
  const phases = [...counts]
    .map(([phase, samples]) => ({ phase, samples, msPerEvent: (samples / total) * (cpuMs / events) }))
    .sort((a, b) => b.samples - a.samples);
  const rows = phases.map((p) => [p.phase, n(p.samples), n(p.msPerEvent, 4)]);
  const lines = [
    `Profile: perf record -F 1999 -g of all threads, ${windows.length} warm invocations of ${opts.events} events ` +
      `(${n(cpuMs / events, 3)} ms CPU/event by process.cpuUsage, ${n(total)} samples)`,
    table(['phase', 'samples', 'ms/event'], rows),
  ];
  await writeFile(path.join(outDir, 'profile.txt'), `${lines.join('\n')}\n`);
  return { phases, report: lines };
}
