/**
 * Real esbuild bundling (local esbuild, no Docker): a tiny fixture entry through the `entry` override,
 * and the real enrichment handler when `functions/page-content-change-enrich/handler.ts` exists.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, join, relative, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, test } from 'node:test';
import { DEFAULT_ENRICH_ENTRY, ESM_REQUIRE_BANNER } from '../../infra/constructs/enrich-function.ts';
import { FUNCTION_BUILD_OPTIONS } from '../../infra/constructs/function-bundle.ts';
import { kafkaEsmEventFor } from '../../scripts/lib/esm-event.ts';
import { EXAMPLE_ENVIRONMENTS, enrichFunction, ROOT, synth, type Synth } from './helpers.ts';
import { STAND_IN_VERSION, standInNewerVersion, startSchemaRepository } from '../../scripts/lib/schema-repository.ts';

/** Entry file plus the chunks it imports statically: what a cold start reads and parses. */
function coldStartCode(dir: string): string {
  const seen = new Set<string>();
  const visit = (file: string): string => {
    if (seen.has(file)) return '';
    seen.add(file);
    const code = readFileSync(file, 'utf8');
    // esbuild's minified static imports of chunks: import{...}from"./chunks/x.mjs" (dynamic ones are import("..."))
    const imports = [...code.matchAll(/from\s*"(\.\/chunks\/[^"]+\.mjs)"/g)].map((m) => join(dir, m[1]!));
    return code + imports.map(visit).join('');
  };
  return visit(join(dir, 'index.mjs'));
}

/** Runs an ES module script in a fresh Node.js process; resolves with its stdout when it exits 0. */
function runScript(script: string, env: NodeJS.ProcessEnv): Promise<string> {
  return new Promise<string>((resolve, reject) => {
    const args = ['--input-type=module', '-e', script];
    const child = spawn(process.execPath, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr = (stderr + d).slice(-4000)));
    child.on('exit', (code) => {
      if (code === 0) resolve(stdout);
      else reject(new Error(`bundle exited ${code}: ${stderr}`));
    });
  });
}

/** What every run of the bundle has in its environment: quiet logs, no metrics, a short Kafka connect timeout. */
const bundleEnv = {
  PATH: process.env.PATH ?? '',
  KAFKA_CONNECTION_TIMEOUT_MS: '500',
  POWERTOOLS_LOG_LEVEL: 'ERROR',
  POWERTOOLS_METRICS_DISABLED: 'true',
};

/**
 * The bundled handler, in a fresh process with `env`, invoked on one record that is not JSON: its
 * response, or `<error name>: <message>` when the invocation throws.
 */
async function invokeBundle(dir: string, env: NodeJS.ProcessEnv): Promise<unknown> {
  const record = { topic: 'mediawiki.page_change.v1', partition: 0, offset: 7, key: null, value: 'not json' };
  const script = `const { handler } = await import(${JSON.stringify(pathToFileURL(join(dir, 'index.mjs')).href)});
    const context = { awsRequestId: 'r', getRemainingTimeInMillis: () => 60000 };
    const r = await handler(${JSON.stringify(kafkaEsmEventFor([record]))}, context).catch((e) => e.name + ': ' + e.message);
    process.stdout.write(JSON.stringify(r)); process.exit(0);`;
  return JSON.parse(await runScript(script, env));
}

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
    const s = synth(
      'example-msk-iam',
      {},
      { enrichFunctionCode: undefined, enrichFunctionEntry: join(import.meta.dirname, 'fixtures', 'stub-handler.ts') },
    );
    const { code } = enrichAsset(s);
    assert.ok(code.startsWith(ESM_REQUIRE_BANNER), 'banner gives the ESM bundle a CommonJS require');
    assert.match(code, /export\s*\{/, 'ESM export');
    assert.ok(code.split('\n').length < 10, 'minified');
    assert.match(code, /sourceMappingURL=index\.mjs\.map/);
    assert.equal(enrichFunction(s.template).resource.Properties.Runtime, 'nodejs24.x');
  });

  test('real handler bundle', {
    skip: existsSync(DEFAULT_ENRICH_ENTRY)
      ? false
      : `${DEFAULT_ENRICH_ENTRY} does not exist yet; skipping the real bundle`,
  }, () => {
    const s = synth('example-msk-iam', {}, { enrichFunctionCode: undefined });
    const { dir, code } = enrichAsset(s);
    assert.ok(code.startsWith(ESM_REQUIRE_BANNER));
    assert.ok(statSync(join(dir, 'index.mjs')).size > 10_000, 'dependencies (kafkajs, powertools) are bundled');
    assert.match(code, /kafkajs|KafkaJS/i, 'kafkajs is inlined');
  });

  const noEntry = { skip: !existsSync(DEFAULT_ENRICH_ENTRY) };

  test('real handler bundle: AWS SDK clients in lazily imported chunks, cold start code ≤ 1 MB', noEntry, () => {
    const { dir } = enrichAsset(synth('example-msk-iam', {}, { enrichFunctionCode: undefined }));
    const chunks = readdirSync(join(dir, 'chunks')).filter((f) => f.endsWith('.mjs'));
    assert.ok(chunks.length > 0, 'code splitting wrote chunks');
    for (const chunk of chunks) {
      // Inlined CommonJS code in a chunk calls require(): every output file needs the banner.
      const code = readFileSync(join(dir, 'chunks', chunk), 'utf8');
      assert.ok(code.startsWith(ESM_REQUIRE_BANNER), `${chunk} has the banner`);
    }
    const cold = coldStartCode(dir);
    assert.ok(Buffer.byteLength(cold) <= 1024 * 1024, `cold start code is ${Buffer.byteLength(cold)} B`);
    // The packages' names are in their user-agent code; the entry names only the commands it destructures.
    const all = chunks.map((c) => readFileSync(join(dir, 'chunks', c), 'utf8')).join('');
    for (const name of ['client-secrets-manager', 'client-kafka', 'aws-msk-iam-sasl-signer-js']) {
      assert.ok(!cold.includes(name), `${name} is not loaded at cold start`);
      assert.ok(all.includes(name), `${name} is in a lazily imported chunk`);
    }
  });

  test('real handler bundle: only what ships — no development stand-in, tool or test code', noEntry, () => {
    const { dir } = enrichAsset(synth('example-msk-iam', {}, { enrichFunctionCode: undefined }));
    const maps = readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.mjs.map'));
    // Sources relative to the project root (a checkout's own path may contain `infra/`, `test/`, ...).
    const sources = maps.flatMap((m) =>
      ((JSON.parse(readFileSync(join(dir, m), 'utf8')).sources as string[]) ?? []).map((src) =>
        relative(ROOT, resolve(dirname(join(dir, m)), src)),
      ),
    );
    const own = sources.filter((src) => !src.includes('node_modules'));
    assert.ok(
      own.some((src) => src.endsWith('lib/pipeline/process-batch.ts')),
      'the source maps name the project files',
    );
    const strays = own.filter((src) => /(^|\/)(scripts|test|bench|infra)\//.test(src));
    assert.deepEqual(strays, [], 'local event source mapping, file/memory sinks, ESM event builder stay out');
  });

  test('real handler bundle: the lazily loaded Secrets Manager client reads the SCRAM secret', noEntry, async () => {
    const { dir } = enrichAsset(synth('example-msk-iam', {}, { enrichFunctionCode: undefined }));
    const calls: Array<{ target: string | undefined; body: string }> = [];
    // Stands in for Secrets Manager (AWS_ENDPOINT_URL_SECRETS_MANAGER): the SDK chunk must load, sign and send.
    const server = createServer((req, res) => {
      let body = '';
      req.on('data', (d) => (body += d));
      req.on('end', () => {
        calls.push({ target: req.headers['x-amz-target'] as string | undefined, body });
        res.setHeader('content-type', 'application/x-amz-json-1.1');
        const secret = JSON.stringify({ username: 'u', password: 'p' });
        res.end(JSON.stringify({ Name: 'scram', SecretString: secret }));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const closedPort = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    try {
      const secretArn = 'arn:aws:secretsmanager:us-east-1:111122223333:secret:bench-scram-AbCdEf';
      const env = {
        ...bundleEnv,
        NODE_OPTIONS: '--enable-source-maps',
        AWS_REGION: 'us-east-1',
        AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE',
        AWS_SECRET_ACCESS_KEY: 'secret',
        AWS_ENDPOINT_URL_SECRETS_MANAGER: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
        KAFKA_BROKERS: `127.0.0.1:${closedPort}`,
        KAFKA_AUTH: 'scram',
        KAFKA_SASL_SECRET_ARN: secretArn,
      };
      // A record that is not JSON becomes an error event, so the sink connects (and reads the SCRAM secret first).
      const out = await invokeBundle(dir, env);
      assert.equal(calls[0]?.target, 'secretsmanager.GetSecretValue');
      assert.equal(JSON.parse(calls[0]!.body).SecretId, secretArn);
      // The broker is unreachable, so the error event goes back for redelivery rather than being lost.
      const failure = { itemIdentifier: { partition: 'mediawiki.page_change.v1-0', offset: 7 } };
      assert.deepEqual(out, { batchItemFailures: [failure] });
    } finally {
      server.close();
    }
  });
});

describe('output schemas the bundle lacks: ajv and the YAML parser load on first use only', () => {
  const noEntry = { skip: !existsSync(DEFAULT_ENRICH_ENTRY) };

  test('ajv and yaml sit in lazily imported chunks, out of the cold start code', noEntry, () => {
    const { dir } = enrichAsset(synth('example-msk-iam', {}, { enrichFunctionCode: undefined }));
    const cold = coldStartCode(dir);
    const lazy = readdirSync(join(dir, 'chunks'))
      .filter((c) => c.endsWith('.mjs'))
      .map((c) => readFileSync(join(dir, 'chunks', c), 'utf8'))
      .join('');
    // One message each library's own code holds: ajv's schema registry, yaml's parser.
    for (const text of ['schema with key or id', 'Implicit map keys need to be followed by map values']) {
      assert.ok(!cold.includes(text), `${text}: not in the cold start code`);
      assert.ok(lazy.includes(text), `${text}: in a lazily imported chunk`);
    }
  });

  test(
    'the bundle fetches a pinned version from the schema repository, parses its YAML and compiles it',
    noEntry,
    async () => {
      const { dir } = enrichAsset(synth('example-msk-iam', {}, { enrichFunctionCode: undefined }));
      const uri = `/mediawiki/page/change/${STAND_IN_VERSION}`;
      const repository = await startSchemaRepository({ documents: { [uri]: standInNewerVersion() } });
      try {
        const env = { ...bundleEnv, KAFKA_BROKERS: '127.0.0.1:9', EVENT_SCHEMA_BASE_URIS: repository.baseUri };
        // The broker is unreachable: the record is listed for redelivery, after the pinned version resolved.
        const resolved = await invokeBundle(dir, { ...env, OUTPUT_SCHEMA_URI: uri });
        assert.deepEqual(resolved, {
          batchItemFailures: [{ itemIdentifier: { partition: 'mediawiki.page_change.v1-0', offset: 7 } }],
        });
        assert.equal(repository.requests[0], uri, 'the version itself, at its extensionless (YAML) path');
        assert.ok(
          repository.requests.slice(1).every((p) => p.startsWith('/fragment/')),
          repository.requests.join(),
        );
        const missing = await invokeBundle(dir, { ...env, OUTPUT_SCHEMA_URI: '/mediawiki/page/change/1.98.0' });
        assert.match(
          String(missing),
          /^ConfigurationError: OUTPUT_SCHEMA_URI \/mediawiki\/page\/change\/1\.98\.0 .*HTTP 404/,
        );
      } finally {
        await repository.close();
      }
    },
  );
});

describe('one Node.js major: the runtime the tests run on is the runtime Lambda runs', () => {
  // "Lambda runtimes" (https://docs.aws.amazon.com/lambda/latest/dg/lambda-runtimes.html): nodejs24.x is Node.js 24.
  test('every synthesized function, the esbuild target and this test process share one Node.js major', () => {
    const major = process.versions.node.split('.')[0];
    const runtimes = new Set<string>();
    for (const env of EXAMPLE_ENVIRONMENTS) {
      const resources = synth(env).template.findResources('AWS::Lambda::Function');
      for (const fn of Object.values(resources)) runtimes.add(fn.Properties.Runtime);
    }
    assert.deepEqual([...runtimes], [`nodejs${major}.x`], 'tests run on the Node.js of every deployed function');
    assert.equal(FUNCTION_BUILD_OPTIONS.target, `node${major}`, 'esbuild targets the same major');
  });
});
