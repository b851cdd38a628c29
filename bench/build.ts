/** esbuild bundles: the Lambda handler (as the CDK stack bundles it) and the bench's memory child. */
import { build, type Metafile } from 'esbuild';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { REPO_ROOT } from './env.js';

/** Same banner as infra/constructs/enrich-function.ts (ESM_REQUIRE_BANNER). */
export const ESM_REQUIRE_BANNER = "import { createRequire } from 'module'; const require = createRequire(import.meta.url);";
export const BUILD_DIR = path.join(REPO_ROOT, '.local', 'bench-build');

export interface BundleResult {
  file: string;
  bytes: number;
  metafile: Metafile;
}

export async function bundle(entry: string, outName: string, opts: { minify: boolean; target: string }): Promise<BundleResult> {
  await mkdir(BUILD_DIR, { recursive: true });
  const outfile = path.join(BUILD_DIR, outName);
  const result = await build({
    entryPoints: [path.join(REPO_ROOT, entry)],
    outfile,
    bundle: true,
    platform: 'node',
    target: opts.target,
    format: 'esm',
    minify: opts.minify,
    mainFields: ['module', 'main'],
    banner: { js: ESM_REQUIRE_BANNER },
    metafile: true,
    logLevel: 'silent',
  });
  const bytes = result.metafile.outputs[path.relative(process.cwd(), outfile)]?.bytes ?? Object.values(result.metafile.outputs)[0]!.bytes;
  return { file: outfile, bytes, metafile: result.metafile };
}

/** Biggest contributors to a bundle, by package (node_modules/<pkg>) or project directory. */
export function topContributors(meta: Metafile, n = 8): Array<{ name: string; bytes: number }> {
  const byName = new Map<string, number>();
  for (const output of Object.values(meta.outputs)) {
    for (const [input, info] of Object.entries(output.inputs)) {
      const m = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(input);
      const name = m ? m[1]! : input.split('/').slice(0, 1).join('/');
      byName.set(name, (byName.get(name) ?? 0) + info.bytesInOutput);
    }
  }
  return [...byName].map(([name, bytes]) => ({ name, bytes })).sort((a, b) => b.bytes - a.bytes).slice(0, n);
}
