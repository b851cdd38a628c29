/**
 * `npm run invoke -- --runtime lambda`: one invocation of the deployed artifact through Lambda's own runtime.
 * Synthesizes the chosen environment, takes the enrich function's asset, memory size, timeout and environment from
 * the template (local settings laid over it, each named), runs it in a sandbox (sandbox.ts) and prints the response,
 * the REPORT line and where the outputs went. The function produces to Kafka as deployed; its records are read back
 * from the topics into the --out and --errors files.
 */
import { appendFile } from 'node:fs/promises';
import { spawnSync } from 'node:child_process';
import { connect } from 'node:net';
import { join } from 'node:path';
import { createKafka, kafkaConnectionConfigFromEnv } from '../../lib/kafka/kafka-client.js';
import { prefixedTopic } from '../../lib/settings/topic-name.js';
import { readSettings } from '../../lib/settings/catalogue.js';
import { ensureTopics, topicConfigsFor } from '../kafka/create-topics.js';
import { type PrepareOptions, prepareFunction } from './prepare-function.js';
import { reportLine } from './outcome.js';
import { LambdaSandbox } from './sandbox.js';
import { recordsBetween, topicEnds } from './topic-range.js';

const REPO_ROOT = join(import.meta.dirname, '..', '..');

/** Exit status of an invocation that failed: a function error, or a sandbox killed (memory), timed out or exited. */
export const EXIT_FUNCTION_FAILED = 3;

export interface RuntimeInvokeOptions extends PrepareOptions {
  readonly event: unknown;
  readonly out: string;
  readonly errors: string;
}

function answers(hostPort: string): Promise<boolean> {
  const [host, port] = [
    hostPort.slice(0, hostPort.lastIndexOf(':')),
    Number(hostPort.slice(hostPort.lastIndexOf(':') + 1)),
  ];
  return new Promise((resolve) => {
    const socket = connect({ host, port, timeout: 2000 }, () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
    socket.once('timeout', () => {
      socket.destroy();
      resolve(false);
    });
  });
}

/** The function's broker: started (scripts/kafka/start.sh) when it is the local one and nothing answers. */
async function ensureBroker(brokers: string, kafkaPort: string | undefined, say: (l: string) => void): Promise<void> {
  const first = brokers.split(',')[0]!.trim();
  if (await answers(first)) return;
  if (!/^(127\.0\.0\.1|localhost):\d+$/.test(first) || brokers.includes(',')) {
    throw new Error(`the function's brokers ${brokers} do not answer`);
  }
  say(`no broker answers on ${first}: starting the local one (scripts/kafka/start.sh)`);
  const port = first.slice(first.lastIndexOf(':') + 1);
  const env: NodeJS.ProcessEnv = { ...process.env, KAFKA_PORT: kafkaPort ?? port };
  delete env.KAFKA_BROKERS;
  const run = spawnSync('bash', [join(REPO_ROOT, 'scripts', 'kafka', 'start.sh')], {
    env,
    stdio: ['ignore', 'ignore', 2],
  });
  if (run.status !== 0) throw new Error(`the local broker did not start (scripts/kafka/start.sh exited ${run.status})`);
}

/**
 * Ctrl-C (SIGINT) or SIGTERM: the sandbox is stopped (the emulator and the runtime run in process groups of their
 * own, which the terminal's signal does not reach) and its memory cgroup removed; then the command exits as a shell
 * reports a signal, 128 + its number. A second signal ends the command at once.
 */
function stopSandboxOnSignal(say: (line: string) => void): void {
  for (const [signal, code] of [
    ['SIGINT', 130],
    ['SIGTERM', 143],
  ] as const) {
    process.once(signal, () => {
      say(`stopped by ${signal}: ending the sandbox`);
      void LambdaSandbox.stopAll().finally(() => process.exit(code));
    });
  }
}

export async function invokeThroughRuntime(opts: RuntimeInvokeOptions): Promise<number> {
  const { say } = opts;
  stopSandboxOnSignal(say);
  const { fn, cgroups } = prepareFunction(opts);
  const environment = fn.environment;
  const settings = readSettings(environment);
  await ensureBroker(settings.KAFKA_BROKERS?.join(',') ?? '', opts.shellEnv.KAFKA_PORT, say);
  // The function's connection settings, for this script's own client (quiet: its lines are not the function's).
  const clientEnv = { ...environment, KAFKA_CLIENT_ID: 'invoke-read-back', KAFKA_LOG_LEVEL: 'NOTHING' };
  const kafka = await createKafka(kafkaConnectionConfigFromEnv(clientEnv, readSettings(clientEnv)));
  const output = prefixedTopic(settings.KAFKA_TOPIC_PREFIX, settings.OUTPUT_TOPIC);
  const error = prefixedTopic(settings.KAFKA_TOPIC_PREFIX, settings.ERROR_TOPIC);
  const admin = kafka.admin();
  await admin.connect();
  try {
    const specs = [
      { topic: output, numPartitions: 3 },
      { topic: error, numPartitions: 1 },
    ];
    await ensureTopics(admin, specs, topicConfigsFor(environment), say);
  } finally {
    await admin.disconnect();
  }
  const before = await topicEnds(kafka, [output, error]);

  const sandbox = await LambdaSandbox.start(fn, { cgroups, log: (line) => console.error(line) });
  let invocation: Awaited<ReturnType<LambdaSandbox['invoke']>>;
  try {
    invocation = await sandbox.invoke(opts.event);
  } finally {
    await sandbox.stop();
  }
  const { outcome, report } = invocation;
  console.error(reportLine(report));
  if (report.maxMemoryUsedMb !== undefined && report.memorySource === 'process') {
    say('Max Memory Used is the runtime process peak resident set (no memory cgroup here)');
  }
  process.stdout.write(`${outcome.payload}\n`);

  const records = await recordsBetween(kafka, before, await topicEnds(kafka, [output, error]));
  if (records.get(output)!.length > 0) await appendFile(opts.out, `${records.get(output)!.join('\n')}\n`);
  if (records.get(error)!.length > 0) await appendFile(opts.errors, `${records.get(error)!.join('\n')}\n`);
  say(`read back from ${output} and ${error}, in partition and offset order`);
  if (outcome.kind === 'success') return 0;
  const why = {
    'out-of-memory': `the sandbox was killed at its memory size (${fn.memorySizeMb} MB)`,
    timeout: `the invocation ran past the function's timeout (${fn.timeoutSeconds} s); the sandbox was stopped`,
    'runtime-exit': 'the runtime exited; the sandbox is gone',
    'function-error': 'the handler threw',
  }[outcome.kind];
  say(`the invocation FAILED: ${outcome.errorType}: ${why}`);
  return EXIT_FUNCTION_FAILED;
}
