/**
 * The function through Lambda's own runtime (scripts/lambda-runtime/): AWS's Runtime Interface Emulator and
 * aws-lambda-ric running the `cdk synth` asset, with the template's environment, memory size and timeout.
 *
 * - `npm run invoke -- --runtime lambda` on the samples writes the same events as the in-process path, byte for
 *   byte except meta.dt and meta.id (each run's own), and the template's KAFKA_TOPIC_PREFIX and OUTPUT_TOPIC decide
 *   where they go (the real broker, the demo wiki);
 * - a handler that allocates past its memory size is killed by the kernel and reported as Runtime.OutOfMemory
 *   ("Configure Lambda function memory"); one that runs past its timeout is reported as a timeout ("Configure Lambda
 *   function timeout"), and either sandbox is gone while a function error keeps its sandbox warm.
 *
 * No assertion depends on time: the hanging handler never returns, the allocating one never stops.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { memoryCgroupSupport } from '../../scripts/lambda-runtime/memory-cgroup.js';
import { reservePort } from '../../scripts/lambda-runtime/emulator.js';
import { LambdaSandbox, type LambdaFunctionDefinition } from '../../scripts/lambda-runtime/sandbox.js';
import { consumeAll, ensureKafka, REPO_ROOT, uniqueTopicName } from '../../scripts/kafka/broker.js';

interface Run {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

function run(args: string[], env: NodeJS.ProcessEnv): Promise<Run> {
  const child = spawn(join(REPO_ROOT, 'node_modules', '.bin', 'tsx'), ['scripts/invoke.ts', ...args], {
    cwd: REPO_ROOT,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
}

/** A line as written, with meta.dt and meta.id blanked; the line must re-serialize to itself (so nothing else moved). */
function withoutRunFields(line: string): string {
  const event = JSON.parse(line) as { meta: Record<string, unknown> };
  assert.equal(JSON.stringify(event), line, 'events are compact JSON that re-serializes byte for byte');
  event.meta.dt = '(dt)';
  event.meta.id = '(id)';
  return JSON.stringify(event);
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

const lines = (path: string) =>
  readFileSync(path, 'utf8')
    .split('\n')
    .filter((l) => l.length > 0);

describe('invoke --runtime lambda: the synthesized asset on the samples', () => {
  const demoWikiDir = join(REPO_ROOT, '.local', 'mediawiki-demo');
  let demoWikiWasRunning = false;
  let env: NodeJS.ProcessEnv;
  let brokers: string[];
  const out = mkdtempSync(join(tmpdir(), 'lambda-runtime-'));

  before(async () => {
    brokers = (await ensureKafka()).brokers;
    const pidFile = join(demoWikiDir, 'server.pid');
    demoWikiWasRunning = existsSync(pidFile) && alive(Number(readFileSync(pidFile, 'utf8')));
    env = {
      ...process.env,
      // The demo wiki (it holds the samples' revisions) on a port of its own, beside the suite's wiki.
      MW_DIR: demoWikiDir,
      MW_PORT: String(await reservePort()),
      KAFKA_BROKERS: brokers.join(','),
      // The template's emitter is the environment's; the in-process run is given the same one.
      EMITTER_ID: 'mw-page-content-change-enrich.local-dev',
      POWERTOOLS_LOG_LEVEL: 'WARN',
    };
    for (const k of [
      'KAFKA_TOPIC_PREFIX',
      'OUTPUT_TOPIC',
      'ERROR_TOPIC',
      'MW_API_URL_TEMPLATE',
      'MW_API_ALLOWED_DOMAINS',
    ]) {
      delete env[k];
    }
  });

  after(async () => {
    if (demoWikiWasRunning) return;
    await new Promise((resolve) =>
      spawn('bash', ['scripts/mediawiki/stop.sh'], { cwd: REPO_ROOT, env, stdio: 'ignore' }).on('close', resolve),
    );
  });

  test('same events as the in-process path except meta.dt/meta.id, to the topics the template names', async () => {
    const inProcess = await run(
      [
        '--event',
        'samples/msk-event.json',
        '--demo-wiki',
        '--out',
        join(out, 'node.jsonl'),
        '--errors',
        join(out, 'node-errors.jsonl'),
      ],
      env,
    );
    assert.equal(inProcess.code, 0, inProcess.stderr);

    const prefix = `${uniqueTopicName('rt')}.`;
    const outputTopic = 'runtime.custom.output';
    const viaRuntime = await run(
      [
        ...['--event', 'samples/msk-event.json', '--demo-wiki', '--runtime', 'lambda'],
        ...['--out', join(out, 'lambda.jsonl'), '--errors', join(out, 'lambda-errors.jsonl')],
        ...['-c', `kafkaTopicPrefix=${prefix}`, '-c', `outputTopic=${outputTopic}`],
      ],
      env,
    );
    assert.equal(viaRuntime.code, 0, viaRuntime.stderr);
    assert.equal(viaRuntime.stdout, inProcess.stdout, 'the same partial batch response');
    assert.match(
      viaRuntime.stderr,
      /^REPORT RequestId: \S+\tDuration: [\d.]+ ms\tBilled Duration: \d+ ms\tMemory Size: 512 MB\tMax Memory Used: \d+ MB\tInit Duration: [\d.]+ ms$/m,
    );

    const expected = lines(join(out, 'node.jsonl'));
    assert.equal(expected.length, 3, 'the samples enrich against the demo wiki');
    assert.deepEqual(
      lines(join(out, 'lambda.jsonl')).map(withoutRunFields).sort(),
      expected.map(withoutRunFields).sort(),
    );
    assert.deepEqual(lines(join(out, 'lambda-errors.jsonl')), lines(join(out, 'node-errors.jsonl')));

    // KAFKA_TOPIC_PREFIX and OUTPUT_TOPIC came from the template (-c), not from a local override, and reached the function.
    assert.doesNotMatch(viaRuntime.stderr, /overridden: (KAFKA_TOPIC_PREFIX|OUTPUT_TOPIC)=/);
    const written = await consumeAll(brokers, `${prefix}${outputTopic}`, { expected: 3 });
    assert.equal(written.length, 3);
    assert.doesNotMatch(viaRuntime.stderr, /overridden: EMITTER_ID=/, "the shell's EMITTER_ID is the template's");
  });
});

describe('the sandbox: memory size, timeout and function errors as Lambda reports them', () => {
  const dir = mkdtempSync(join(tmpdir(), 'lambda-runtime-fixture-'));
  writeFileSync(
    join(dir, 'index.mjs'),
    `export const handler = async (event, context) => {
      if (event.mode === 'allocate') { const kept = []; for (;;) kept.push(Buffer.alloc(8 * 1024 * 1024, 1)); }
      if (event.mode === 'hang') await new Promise((resolve) => setTimeout(resolve, 2 ** 31 - 1));
      if (event.mode === 'throw') throw new RangeError('thrown by the handler');
      return { memory: context.memoryLimitInMB, variable: process.env.FROM_TEMPLATE };
    };\n`,
  );
  const fn = (memorySizeMb: number, timeoutSeconds: number): LambdaFunctionDefinition => ({
    functionName: 'fixture',
    codeDir: dir,
    handler: 'index.handler',
    memorySizeMb,
    timeoutSeconds,
    environment: { FROM_TEMPLATE: 'yes' },
  });
  const logs: string[] = [];
  const opts = { cgroups: memoryCgroupSupport(), log: (l: string) => logs.push(l) };
  const cgroups = memoryCgroupSupport();

  test('a handler allocating past 128 MB is killed: Runtime.OutOfMemory, Max Memory Used at the limit, sandbox gone', {
    skip: cgroups.available ? false : `no memory cgroup: ${cgroups.reason}`,
  }, async () => {
    const sandbox = await LambdaSandbox.start(fn(128, 60), opts);
    const { outcome, report } = await sandbox.invoke({ mode: 'allocate' });
    assert.equal(outcome.kind, 'out-of-memory');
    assert.equal(JSON.parse(outcome.payload).errorType, 'Runtime.OutOfMemory');
    assert.equal(report.status, 'error');
    assert.ok(report.maxMemoryUsedMb! >= 120 && report.maxMemoryUsedMb! <= 128, `${report.maxMemoryUsedMb} MB`);
    assert.equal(sandbox.alive, false);
  });

  test('a handler past its timeout: Sandbox.Timedout after the template timeout, sandbox gone', async () => {
    const sandbox = await LambdaSandbox.start(fn(256, 1), opts);
    const { outcome, report } = await sandbox.invoke({ mode: 'hang' });
    assert.equal(outcome.kind, 'timeout');
    assert.match(JSON.parse(outcome.payload).errorMessage, /Task timed out after 1\.00 seconds$/);
    assert.equal(report.status, 'timeout');
    assert.equal(sandbox.alive, false);
  });

  test('a function error keeps the sandbox warm; the next invocation is not a cold start', async () => {
    const sandbox = await LambdaSandbox.start(fn(256, 30), opts);
    try {
      const first = await sandbox.invoke({ mode: 'throw' });
      assert.equal(first.outcome.kind, 'function-error');
      assert.equal(JSON.parse(first.outcome.payload).errorType, 'RangeError');
      assert.notEqual(first.report.initDurationMs, undefined, 'the first invocation started the runtime');
      const second = await sandbox.invoke({ mode: 'ok' });
      assert.deepEqual(JSON.parse(second.outcome.payload), { memory: '256', variable: 'yes' });
      assert.equal(second.report.initDurationMs, undefined, 'warm');
    } finally {
      await sandbox.stop();
    }
  });
});
