/** esbuild bundles of the bench's own child processes (the function itself: infra/constructs/function-bundle.ts). */
import { build, type Metafile } from 'esbuild';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { ESM_REQUIRE_BANNER } from '../infra/constructs/function-bundle.ts';
import { REPO_ROOT } from './env.js';
export const BUILD_DIR = path.join(REPO_ROOT, '.local', 'bench-build');

export interface BundleResult {
  file: string;
  bytes: number;
  metafile: Metafile;
}

/** Bundles a bench child (unminified, node24) so that it runs on plain node, without the tsx loader. */
export async function bundle(entry: string, outName: string): Promise<BundleResult> {
  await mkdir(BUILD_DIR, { recursive: true });
  const outfile = path.join(BUILD_DIR, outName);
  const result = await build({
    entryPoints: [path.join(REPO_ROOT, entry)],
    outfile,
    bundle: true,
    platform: 'node',
    target: 'node24',
    format: 'esm',
    mainFields: ['module', 'main'],
    banner: { js: ESM_REQUIRE_BANNER },
    metafile: true,
    logLevel: 'silent',
  });
  const bytes =
    result.metafile.outputs[path.relative(process.cwd(), outfile)]?.bytes ??
    Object.values(result.metafile.outputs)[0]!.bytes;
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
  return [...byName]
    .map(([name, bytes]) => ({ name, bytes }))
    .sort((a, b) => b.bytes - a.bytes)
    .slice(0, n);
}
