/**
 * Ctrl-C through Lambda's runtime: `npm run invoke -- --runtime lambda` and `npm run local:esm -- --runtime lambda`
 * get SIGINT or SIGTERM while an invocation is in flight. The emulator and the runtime run in process groups of their
 * own (a terminal's Ctrl-C reaches only the command's), so the command must end them itself: after it has exited, no
 * process of the sandbox is left, both its ports are free again and its memory cgroup (where there is one) is gone.
 *
 * In flight means the function is waiting on the wiki: the wiki here is a small server that never answers and says
 * when the function's request has arrived, and only then is the signal sent. The test then waits for the command to
 * exit; nothing depends on time.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { reservePort } from '../../scripts/lambda-runtime/emulator.js';
import { consumeAll, ensureKafka, kafkaClient, REPO_ROOT } from '../../scripts/kafka/broker.js';
import { pageChangeEvent } from '../../scripts/lib/page-change-events.js';
import { TEST_DOMAIN } from '../support/enrich-harness.js';
import { createPipelineTopics } from '../support/pipeline-harness.js';

let brokers: string[];
let wiki: Server;
let wikiUrl: string;
/** Resolves at the next request the silent wiki receives. */
let requested: Promise<void>;
let onRequest: () => void;

function expectRequest(): void {
  requested = new Promise((resolve) => (onRequest = resolve));
}

before(async () => {
  brokers = (await ensureKafka()).brokers;
  const port = await reservePort(); // LAMBDA_RUNTIME_PORTS, where set
  wiki = createServer(() => onRequest()); // never answers: the function waits on it
  await new Promise<void>((resolve) => wiki.listen(port, '127.0.0.1', resolve));
  wikiUrl = `http://127.0.0.1:${port}/w/api.php`;
});

after(() => {
  wiki.closeAllConnections();
  wiki.close();
});

interface SandboxTrace {
  readonly emulatorPid: number;
  readonly ports: readonly number[];
  readonly cgroup: string | undefined;
}

/** The sandbox the command announced (`sandbox N: emulator pid P on 127.0.0.1:A, Runtime API on …:B, …`). */
function sandboxIn(stderr: string): SandboxTrace {
  const m =
    /sandbox \d+: emulator pid (\d+) on 127\.0\.0\.1:(\d+), Runtime API on 127\.0\.0\.1:(\d+), (?:memory cgroup (\S+)|no memory cgroup)/.exec(
      stderr,
    );
  assert.ok(m, `the command names its sandbox: ${stderr.slice(-2000)}`);
  return { emulatorPid: Number(m[1]), ports: [Number(m[2]), Number(m[3])], cgroup: m[4] };
}

/** The emulator's children: the runtime (`node aws-lambda-ric/index.mjs`). */
function childrenOf(pid: number): number[] {
  return readdirSync(`/proc/${pid}/task`).flatMap((tid) =>
    readFileSync(`/proc/${pid}/task/${tid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number),
  );
}

/** Running or stopped, not a zombie: a process that has exited but not been reaped by its parent is gone. */
function running(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

function portFree(port: number): Promise<boolean> {
  const probe = createServer();
  return new Promise((resolve) => {
    probe.once('error', () => resolve(false));
    probe.listen(port, '127.0.0.1', () => probe.close(() => resolve(true)));
  });
}

/**
 * Runs `script ARGS` under tsx, sends `signal` once the silent wiki has the function's request, and waits for the
 * command to exit. Returns what it left behind.
 */
async function interrupt(script: string, args: string[], env: NodeJS.ProcessEnv, signal: NodeJS.Signals) {
  expectRequest();
  const child = spawn(join(REPO_ROOT, 'node_modules', '.bin', 'tsx'), [script, ...args], {
    cwd: REPO_ROOT,
    env: { ...process.env, POWERTOOLS_LOG_LEVEL: 'WARN', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  child.stdout.resume();
  const closed = new Promise<number | null>((resolve) => child.on('close', resolve));
  const first = await Promise.race([requested.then(() => 'in flight' as const), closed.then(() => 'exited' as const)]);
  assert.equal(first, 'in flight', `the function reached the wiki before the command ended: ${stderr.slice(-3000)}`);
  const sandbox = sandboxIn(stderr);
  const runtimePids = childrenOf(sandbox.emulatorPid);
  assert.ok(runtimePids.length > 0, 'the runtime runs under the emulator');
  child.kill(signal);
  const code = await closed;
  return { code, stderr, sandbox, runtimePids };
}

async function assertNothingLeft(left: Awaited<ReturnType<typeof interrupt>>): Promise<void> {
  const { sandbox, runtimePids, stderr } = left;
  for (const pid of [sandbox.emulatorPid, ...runtimePids]) {
    assert.equal(running(pid), false, `sandbox process ${pid} is gone: ${stderr.slice(-2000)}`);
  }
  for (const port of sandbox.ports) assert.equal(await portFree(port), true, `port ${port} is free again`);
  if (sandbox.cgroup) assert.equal(existsSync(sandbox.cgroup), false, `memory cgroup ${sandbox.cgroup} removed`);
}

test('invoke --runtime lambda, SIGINT mid-invocation: exit 130, no sandbox process, port or cgroup left', async () => {
  const left = await interrupt(
    'scripts/invoke.ts',
    ['--event', 'samples/msk-event.json', '--runtime', 'lambda'],
    {
      KAFKA_BROKERS: brokers.join(','),
      MW_API_URL_TEMPLATE: wikiUrl,
      MW_API_ALLOWED_DOMAINS: 'dev.wiki.local', // the samples' domain
    },
    'SIGINT',
  );
  await assertNothingLeft(left);
  assert.equal(left.code, 130, left.stderr.slice(-2000));
  assert.match(left.stderr, /stopped by SIGINT: ending the sandbox/);
});

test('local:esm --runtime lambda, SIGTERM mid-invocation: no sandbox left; the record is neither retried nor sent on', async () => {
  const topics = await createPipelineTopics(brokers, 'rtsignal');
  const producer = kafkaClient(brokers).producer();
  await producer.connect();
  const event = pageChangeEvent({ domain: TEST_DOMAIN, pageId: 1, revId: 1, content: 'never fetched' });
  await producer.send({ topic: topics.input, messages: [{ value: JSON.stringify(event) }] });
  await producer.disconnect();
  const groupId = `${topics.input}.group`;
  const left = await interrupt(
    'scripts/local-esm.ts',
    ['--runtime', 'lambda'],
    {
      KAFKA_BROKERS: brokers.join(','),
      KAFKA_TOPIC_PREFIX: '',
      INPUT_TOPIC: topics.input,
      OUTPUT_TOPIC: topics.output,
      ERROR_TOPIC: topics.error,
      ON_FAILURE_TOPIC: topics.onFailure,
      ESM_GROUP_ID: groupId,
      ESM_BATCHING_WINDOW_MS: '100',
      MW_API_URL_TEMPLATE: wikiUrl,
      MW_API_ALLOWED_DOMAINS: TEST_DOMAIN,
    },
    'SIGTERM',
  );
  await assertNothingLeft(left);
  assert.equal(left.code, 0, left.stderr.slice(-2000));
  assert.match(left.stderr, /stopped by SIGTERM/);
  assert.doesNotMatch(
    left.stderr,
    /retrying|whole batch failed|retries exhausted/,
    'the interrupted batch is not acted on',
  );

  // Not committed: the record comes again at the next start.
  const admin = kafkaClient(brokers).admin();
  await admin.connect();
  const [committed] = await admin.fetchOffsets({ groupId, topics: [topics.input] });
  await admin.disconnect();
  assert.ok(
    committed!.partitions.every((p) => Number(p.offset) <= 0),
    JSON.stringify(committed),
  );
  assert.equal((await consumeAll(brokers, topics.onFailure, { quietMs: 500 })).length, 0, 'nothing sent on');
});
