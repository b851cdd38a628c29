/** Cold start: size of the minified Lambda bundle and time for a fresh node to import it. */
import { spawnSync } from 'node:child_process';
import { gzipSync } from 'node:zlib';
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { bundle, topContributors } from './build.js';
import { percentile } from './pipeline.js';

export interface ColdStartResult {
  bundleFile: string;
  bundleBytes: number;
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
  const b = await bundle('functions/page-content-change-enrich/handler.ts', 'handler/index.mjs', { minify: true, target: 'node22' });
  const url = pathToFileURL(b.file).href;
  const script = `const t0 = performance.now(); const m = await import(${JSON.stringify(url)}); if (typeof m.handler !== 'function') throw new Error('no handler export'); process.stdout.write(String(performance.now() - t0));`;
  const importMs: number[] = [];
  const processMs: number[] = [];
  const emptyMs: number[] = [];
  // Env as the function sees it (the module reads nothing required at import time).
  const env = { ...process.env, NODE_OPTIONS: '', AWS_LAMBDA_FUNCTION_NAME: 'bench', POWERTOOLS_SERVICE_NAME: 'bench' };
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
    bundleFile: b.file,
    bundleBytes: b.bytes,
    bundleGzipBytes: gzipSync(readFileSync(b.file)).length,
    topContributors: topContributors(b.metafile),
    runs,
    importMs: importMs.map((x) => Math.round(x * 10) / 10),
    importMsP50: percentile(importMs, 50),
    importMsMax: Math.max(...importMs),
    processMsP50: percentile(processMs, 50),
    emptyNodeProcessMsP50: percentile(emptyMs, 50),
    nodeVersion: process.version,
  };
}
