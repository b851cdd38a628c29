/**
 * How the project's Node.js functions are bundled: esbuild, ESM, minified, linked source maps,
 * and code splitting, so code that only some configurations reach (the AWS SDK clients and the
 * MSK IAM signer behind `await import()`) sits in chunks that a cold start neither reads nor parses.
 *
 * NodejsFunction cannot split: it always passes `--outfile`, and esbuild splits only into an
 * `--outdir` ("Must use "outdir" when code splitting is enabled"). So the asset is bundled here
 * with esbuild's API through the same local-bundling hook NodejsFunction uses, and the benchmark
 * builds with the very same {@link bundleFunction}.
 */
import { mkdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { AssetHashType, DockerImage } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { buildSync, type BuildOptions, type Metafile } from 'esbuild';

/** Repository root (this file is `infra/constructs/function-bundle.ts`). */
export const PROJECT_ROOT = join(import.meta.dirname, '..', '..');

/**
 * esbuild banner that gives each ESM output file a CommonJS `require`, needed by the CJS
 * dependencies (kafkajs and friends) that esbuild inlines.
 */
export const ESM_REQUIRE_BANNER =
  "import { createRequire } from 'module'; const require = createRequire(import.meta.url);";

/**
 * NODE_OPTIONS of the project's functions: none. `--enable-source-maps` cost about 10 ms CPU of every cold start
 * (bench, Lambda path: 128 ms with it against the 120 ms target) and makes each `Error.stack` read resolve the map,
 * while every error event carries a stack. The linked `index.mjs.map` ships beside the code, so a logged stack can
 * still be mapped offline; set `--enable-source-maps` through the function's environment to trade that back.
 */
export const FUNCTION_NODE_OPTIONS = '';

/**
 * esbuild options of every function bundle (entry and output directory aside).
 * The Node.js 24 runtime ships AWS SDK v3 "as a convenience"; the SDK is bundled so the function runs
 * the version it was tested with, as AWS advises in "Using the AWS SDK for JavaScript (v3) on AWS Lambda
 * Node.js runtimes" (https://github.com/aws/aws-sdk-js-v3/blob/main/supplemental-docs/AWS_LAMBDA.md) and
 * "Building Lambda functions with Node.js" > runtime-included SDK versions
 * (https://docs.aws.amazon.com/lambda/latest/dg/lambda-nodejs.html). Splitting keeps it out of the cold start.
 */
export const FUNCTION_BUILD_OPTIONS: Readonly<BuildOptions> = {
  bundle: true,
  platform: 'node',
  target: 'node24',
  format: 'esm',
  splitting: true,
  outExtension: { '.js': '.mjs' },
  chunkNames: 'chunks/[name]-[hash]',
  mainFields: ['module', 'main'],
  banner: { js: ESM_REQUIRE_BANNER },
  minify: true,
  // Linked: index.mjs.map plus the sourceMappingURL comment that --enable-source-maps reads.
  sourcemap: 'linked',
  sourcesContent: false,
  metafile: true,
  logLevel: 'warning',
  // undici 8 bundles two HTTP/1 parsers: llhttp (its default, as in Node itself) and the experimental Milo, used only
  // when UNDICI_USE_MILO is set. Its own `typeof esbuildDetection` guard (how Node core bundles undici) drops Milo's
  // WASM from the bundle: about 150 KB less to load at every cold start, for a parser this function never uses.
  define: { esbuildDetection: 'true' },
};

/** What {@link bundleFunction} wrote. */
export interface FunctionBundle {
  /** The entry file, `<outdir>/index.mjs` (Lambda handler `index.handler`). */
  readonly entryFile: string;
  readonly metafile: Metafile;
}

/** Bundles `entry` into `outdir` as `index.mjs` plus lazily imported chunks under `chunks/`. */
export function bundleFunction(entry: string, outdir: string): FunctionBundle {
  mkdirSync(outdir, { recursive: true });
  const options = { ...FUNCTION_BUILD_OPTIONS, entryPoints: { index: entry }, outdir, absWorkingDir: PROJECT_ROOT };
  const result = buildSync(options);
  return { entryFile: join(outdir, 'index.mjs'), metafile: result.metafile! };
}

/** Output files of a bundle that a cold start loads: the entry and the chunks it imports statically. */
export function coldStartFiles(metafile: Metafile): Array<{ file: string; bytes: number }> {
  const outputs = metafile.outputs;
  // Lazily imported chunks are entry points of their own in the metafile; the function's entry is index.mjs.
  const entry = Object.keys(outputs).find((f) => f === 'index.mjs' || f.endsWith('/index.mjs'));
  if (!entry) throw new Error('bundle has no index.mjs');
  const seen = new Set<string>();
  const visit = (file: string): void => {
    if (seen.has(file)) return;
    seen.add(file);
    for (const imp of outputs[file]?.imports ?? []) {
      if (imp.kind === 'import-statement' && !imp.external) visit(imp.path);
    }
  };
  visit(entry);
  return [...seen].map((file) => ({ file, bytes: outputs[file]!.bytes }));
}

/**
 * Lambda code bundled locally by {@link bundleFunction} at synth time. The asset hash is that of
 * the output, as NodejsFunction does. The Docker image is required by the API but never used:
 * local bundling always succeeds or throws (esbuild is a dev dependency).
 */
export function functionBundleCode(entry: string): lambda.Code {
  const relativeEntry = relative(PROJECT_ROOT, entry);
  return lambda.Code.fromAsset(PROJECT_ROOT, {
    assetHashType: AssetHashType.OUTPUT,
    bundling: {
      image: DockerImage.fromRegistry('public.ecr.aws/sam/build-nodejs24.x'),
      command: ['bash', '-c', `echo "bundle ${relativeEntry} locally with esbuild (npm ci)" >&2; exit 1`],
      local: {
        tryBundle(outputDir: string): boolean {
          bundleFunction(entry, outputDir);
          return true;
        },
      },
    },
  });
}
