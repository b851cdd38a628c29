/**
 * Real esbuild bundling (local esbuild, no Docker): a tiny fixture entry through the `entry` override,
 * and the real enrichment handler when `functions/page-content-change-enrich/handler.ts` exists.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { DEFAULT_ENRICH_ENTRY, ESM_REQUIRE_BANNER } from '../../infra/constructs/enrich-function.ts';
import { enrichFunction, synth, type Synth } from './helpers.ts';

/** The bundled asset directory of the enrichment function. */
function enrichAsset(s: Synth): { dir: string; code: string } {
  const assembly = s.app.synth();
  const { resource } = enrichFunction(s.template);
  assert.equal(resource.Properties.Handler, 'index.handler');
  const s3Key: string = resource.Properties.Code.S3Key;
  assert.match(s3Key, /^[0-9a-f]{64}\.zip$/, 'function code is a file asset');
  const dir = join(assembly.directory, `asset.${s3Key.replace(/\.zip$/, '')}`);
  assert.ok(existsSync(dir), `${dir} exists`);
  const index = join(dir, 'index.mjs');
  assert.ok(existsSync(index), `${index} exists (ESM output)`);
  assert.ok(existsSync(`${index}.map`), 'source map emitted next to the bundle');
  return { dir, code: readFileSync(index, 'utf8') };
}

describe('esbuild bundling', () => {
  test('entry override: minified ESM bundle with the createRequire banner and a source map', () => {
    const s = synth('example-msk-iam', {}, { enrichFunctionCode: undefined, enrichFunctionEntry: join(import.meta.dirname, 'fixtures', 'stub-handler.ts') });
    const { code } = enrichAsset(s);
    assert.ok(code.startsWith(ESM_REQUIRE_BANNER), 'banner gives the ESM bundle a CommonJS require');
    assert.match(code, /export\s*\{/, 'ESM export');
    assert.ok(code.split('\n').length < 10, 'minified');
    assert.match(code, /sourceMappingURL=index\.mjs\.map/);
    assert.equal(enrichFunction(s.template).resource.Properties.Runtime, 'nodejs22.x');
  });

  test('real handler bundle', { skip: existsSync(DEFAULT_ENRICH_ENTRY) ? false : `${DEFAULT_ENRICH_ENTRY} does not exist yet; skipping the real bundle` }, () => {
    const s = synth('example-msk-iam', {}, { enrichFunctionCode: undefined });
    const { dir, code } = enrichAsset(s);
    assert.ok(code.startsWith(ESM_REQUIRE_BANNER));
    assert.ok(statSync(join(dir, 'index.mjs')).size > 10_000, 'dependencies (kafkajs, powertools) are bundled');
    assert.match(code, /kafkajs|KafkaJS/i, 'kafkajs is inlined');
  });
});
