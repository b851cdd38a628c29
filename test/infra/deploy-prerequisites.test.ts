/**
 * What a first deploy on a fresh account meets, each against the AWS page it follows: reserved concurrency the
 * account may not have, records older than the maximum age on a new consumer group; and how a user's own
 * environment is found and reported when it is wrong.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { Annotations, Match } from 'aws-cdk-lib/assertions';
import { ConfigError } from '../../infra/config/config.ts';
import { configFromContext, listEnvironments, loadEnvironmentFile } from '../../infra/config/environment-files.ts';
import type { PipelineStack } from '../../infra/stack/pipeline-stack.ts';
import { EXAMPLE_ENVIRONMENTS, enrichFunction, eventSourceMapping, ROOT, runCdkApp, synth } from './helpers.ts';

const warnings = (stack: PipelineStack, pattern: RegExp) =>
  Annotations.fromStack(stack).findWarning('*', Match.stringLikeRegexp(pattern.source));

describe('A fresh account: no reserved concurrency unless the environment sets it', () => {
  // AWS, "Configuring reserved concurrency" (https://docs.aws.amazon.com/lambda/latest/dg/configuration-concurrency.html):
  // at most the unreserved account concurrency minus 100 can be reserved; "Lambda quotas"
  // (https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html): new accounts have reduced quotas.
  test('the examples reserve nothing, for the enrichment and the redrive function alike', () => {
    for (const env of EXAMPLE_ENVIRONMENTS) {
      const s = synth(env, { redriveFunction: 'true' });
      for (const [id, fn] of Object.entries(s.template.findResources('AWS::Lambda::Function'))) {
        assert.equal(fn.Properties.ReservedConcurrentExecutions, undefined, `${env}: ${id}`);
      }
      assert.equal(warnings(s.stack, /reservedConcurrentExecutions/).length, 0, env);
    }
  });

  test('a reservation the environment sets is kept, and synth warns with the account quota it needs', () => {
    const s = synth('example-msk-iam', { reservedConcurrency: '20' });
    assert.equal(enrichFunction(s.template).resource.Properties.ReservedConcurrentExecutions, 20);
    const found = warnings(s.stack, /reservedConcurrentExecutions 20/);
    assert.equal(found.length, 1);
    assert.match(String(found[0]!.entry.data), /at least 120/);
    assert.match(String(found[0]!.entry.data), /Configuring reserved concurrency/);
    assert.match(String(found[0]!.entry.data), /Lambda quotas/);
  });
});

describe('Records older than the maximum age: examples keep every record they start at', () => {
  // AWS, "Configuring error handling controls for Kafka event sources"
  // (https://docs.aws.amazon.com/lambda/latest/dg/kafka-retry-configurations.html): records past the maximum record
  // age go to the on-failure destination without invoking the function.
  test('no example pairs TRIM_HORIZON with a finite maximum record age', () => {
    for (const env of EXAMPLE_ENVIRONMENTS) {
      const s = synth(env);
      const esm = eventSourceMapping(s.template);
      if (esm.StartingPosition === 'TRIM_HORIZON') assert.equal(esm.MaximumRecordAgeInSeconds, undefined, env);
      assert.equal(warnings(s.stack, /TRIM_HORIZON with maxRecordAge/).length, 0, env);
    }
  });

  test('TRIM_HORIZON with a finite maximum age synthesizes with a warning naming the page; LATEST does not warn', () => {
    const finite = synth('example-msk-iam', { maxRecordAgeSeconds: '86400' });
    const found = warnings(finite.stack, /TRIM_HORIZON with maxRecordAge/);
    assert.equal(found.length, 1);
    assert.match(String(found[0]!.entry.data), /Configuring error handling controls for Kafka event sources/);
    const latest = synth('example-msk-iam', { maxRecordAgeSeconds: '86400', startingPosition: 'LATEST' });
    assert.equal(warnings(latest.stack, /TRIM_HORIZON with maxRecordAge/).length, 0);
  });
});

describe('A user environment: where it goes, and what a mistake in it prints', () => {
  test('infra/environments/local/<name>.json is found by -c env=<name> and is gitignored', () => {
    const dir = mkdtempSync(join(tmpdir(), 'mw-enrich-envs-'));
    try {
      mkdirSync(join(dir, 'local'));
      writeFileSync(join(dir, 'example.json'), JSON.stringify({ region: 'us-east-1' }));
      writeFileSync(join(dir, 'local', 'my-env.json'), JSON.stringify({ region: 'eu-west-1' }));
      assert.deepEqual(listEnvironments(dir), ['example', 'my-env']);
      assert.equal(loadEnvironmentFile('my-env', dir).region, 'eu-west-1');
      writeFileSync(join(dir, 'local', 'example.json'), '{}');
      assert.throws(() => loadEnvironmentFile('example', dir), /ambiguous/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    const ignored = spawnSync('git', ['check-ignore', '-q', 'infra/environments/local/my-env.json'], { cwd: ROOT });
    assert.equal(ignored.status, 0, 'git ignores infra/environments/local/');
    assert.match(readFileSync(join(ROOT, '.gitignore'), 'utf8'), /^infra\/environments\/local\/$/m);
  });

  test('every bad infrastructure and function key is reported at once', () => {
    const context: Record<string, string> = {
      env: 'example-msk-iam',
      timeoutSeconds: '900',
      mwApiBatchSize: '600',
      batchSize: '0',
    };
    assert.throws(
      () => configFromContext((key) => context[key]),
      (e: unknown) =>
        e instanceof ConfigError &&
        /3 configuration problems/.test(e.message) &&
        /timeoutSeconds/.test(e.message) &&
        /mwApiBatchSize/.test(e.message) &&
        /batchSize must be/.test(e.message),
    );
    const badValues: Record<string, string> = { env: 'example-msk-iam', batchSize: 'many', dashboard: 'yes' };
    assert.throws(
      () => configFromContext((key) => badValues[key]),
      (e: unknown) => e instanceof ConfigError && /batchSize=many/.test(e.message) && /dashboard=yes/.test(e.message),
    );
  });

  test('an unknown key in the environment file (a typo) is reported with the bad values beside it, not alone', () => {
    const dir = mkdtempSync(join(tmpdir(), 'mw-enrich-envs-'));
    try {
      const example = JSON.parse(readFileSync(join(ROOT, 'infra/environments/example-msk-iam.json'), 'utf8'));
      const file = join(dir, 'typo.json');
      writeFileSync(file, JSON.stringify({ ...example, batchSise: 100, batchSize: 0, timeoutSeconds: 900 }));
      assert.throws(
        () => configFromContext((key) => (key === 'env' ? 'typo' : undefined), dir),
        (e: unknown) =>
          e instanceof ConfigError &&
          /3 configuration problems/.test(e.message) &&
          e.message.includes(`${file}: unknown configuration keys batchSise`) &&
          /batchSize must be/.test(e.message) &&
          /timeoutSeconds/.test(e.message),
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('the CDK app prints a configuration error alone, without a stack trace, and exits 2', () => {
    const context = { env: 'example-msk-iam', timeoutSeconds: '900', mwApiBatchSize: '600' };
    const run = runCdkApp(context);
    assert.equal(run.status, 2, run.stderr);
    assert.match(
      run.stderr,
      /^Configuration error: 2 configuration problems:\n {2}timeoutSeconds .*\n {2}mwApiBatchSize/,
    );
    assert.doesNotMatch(run.stderr, /\n\s+at /, 'no stack trace');
  });
});
