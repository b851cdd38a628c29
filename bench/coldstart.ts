/** Cold start: size of the minified Lambda bundle and time for a fresh node to import it. */
import { spawnSync } from 'node:child_process';
import { gzipSync } from 'node:zlib';
import { readFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { pathToFileURL } from 'node:url';
import path from 'node:path';
import { DEFAULT_ENRICH_ENTRY, FUNCTION_NODE_OPTIONS } from '../infra/constructs/enrich-function.ts';
import { bundleFunction, coldStartFiles } from '../infra/constructs/function-bundle.ts';
import { BUILD_DIR, topContributors } from './build.js';
import { percentile } from './pipeline.js';

export interface ColdStartResult {
  bundleFile: string;
  /** What a cold start loads: the entry and the chunks it imports statically. */
  bundleBytes: number;
  /** Every output file, lazily imported chunks included. */
  assetBytes: number;
  bundleGzipBytes: number;
  topContributors: Array<{ name: string; bytes: number }>;
  runs: number;
  importMs: number[];
  importMsP50: number;
  importMsMax: number;
  processMsP50: number;
  emptyNodeProcessMsP50: number;
  nodeVersion: string;
}

export async function measureColdStart(runs: number): Promise<ColdStartResult> {
  // Built as the stack builds it (infra/constructs/function-bundle.ts), into a fresh directory.
  const dir = path.join(BUILD_DIR, 'handler');
  await rm(dir, { recursive: true, force: true });
  const b = bundleFunction(DEFAULT_ENRICH_ENTRY, dir);
  const cold = coldStartFiles(b.metafile);
  const url = pathToFileURL(b.entryFile).href;
  const script = `const t0 = performance.now(); const m = await import(${JSON.stringify(url)}); if (typeof m.handler !== 'function') throw new Error('no handler export'); process.stdout.write(String(performance.now() - t0));`;
  const importMs: number[] = [];
  const processMs: number[] = [];
  const emptyMs: number[] = [];
  // Env as the function sees it (the module reads nothing required at import time), with its NODE_OPTIONS.
  const env = {
    ...process.env,
    NODE_OPTIONS: FUNCTION_NODE_OPTIONS,
    AWS_LAMBDA_FUNCTION_NAME: 'bench',
    POWERTOOLS_SERVICE_NAME: 'bench',
  };
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { env, encoding: 'utf8' });
    processMs.push(performance.now() - t0);
    if (r.status !== 0) throw new Error(`importing the bundle failed: ${r.stderr}`);
    importMs.push(Number(r.stdout));
    const t1 = performance.now();
    spawnSync(process.execPath, ['-e', '0'], { env });
    emptyMs.push(performance.now() - t1);
  }
  return {
    bundleFile: b.entryFile,
    bundleBytes: cold.reduce((n, f) => n + f.bytes, 0),
    assetBytes: Object.entries(b.metafile.outputs).reduce((n, [f, o]) => n + (f.endsWith('.mjs') ? o.bytes : 0), 0),
    bundleGzipBytes: gzipSync(readFileSync(b.entryFile)).length,
    topContributors: topContributors({
      inputs: b.metafile.inputs,
      outputs: Object.fromEntries(cold.map((f) => [f.file, b.metafile.outputs[f.file]!])),
    }),
    runs,
    importMs: importMs.map((x) => Math.round(x * 10) / 10),
    importMsP50: percentile(importMs, 50),
    importMsMax: Math.max(...importMs),
    processMsP50: percentile(processMs, 50),
    emptyNodeProcessMsP50: percentile(emptyMs, 50),
    nodeVersion: process.version,
  };
}
