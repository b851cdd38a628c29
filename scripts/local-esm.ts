/**
 * `npm run local:esm [-- --until-caught-up] [--demo-wiki]`: the local event source mapping. Consumes the input
 * topic (records of any codec: gzip, snappy, lz4, zstd, none) and invokes the real handler (which
 * produces to the output and error topics), with the retry and on-failure contract AWS documents
 * for Kafka event source mappings (see lib/local-esm.ts). Ctrl-C stops it.
 *
 * --until-caught-up  exit once the group has committed up to the topic's end: 0 when nothing went
 *                    to the on-failure topic or was discarded, 1 otherwise. For scripts:
 *                    replay → local:esm --until-caught-up → check, without sleeping.
 *
 * --demo-wiki       enrich against the demo wiki, as `invoke --demo-wiki` (scripts/lib/demo-wiki.ts).
 *
 * --runtime lambda  invoke the `cdk synth` asset of --env (default local-dev, -c overrides) through Lambda's runtime
 *                   (scripts/lambda-runtime/, docs/local-runtime.md): one sandbox per invocation in flight, at the
 *                   template's memory size and timeout; a killed or timed-out invocation is a function error.
 *                   LAMBDA_SANDBOX_IDLE_MS (300000): an idle sandbox stops, the next invocation starts cold.
 *
 * A consumer that stops for good (a crash kafkajs does not restart, or more restarts without
 * progress than ESM_MAX_CONSUMER_RESTARTS) ends the process with exit code 1 and the cause.
 *
 * Env: KAFKA_BROKERS (default 127.0.0.1:${KAFKA_PORT:-9092}), INPUT_TOPIC, KAFKA_TOPIC_PREFIX, ON_FAILURE_TOPIC ("none":
 * exhausted records are discarded, as Lambda does without a destination) with the catalogue's defaults
 * (lib/settings/catalogue.ts), ESM_GROUP_ID, ESM_BATCH_SIZE (100), ESM_BATCHING_WINDOW_MS (500),
 * ESM_MAX_RETRY_ATTEMPTS (3; -1 infinite), ESM_BISECT_BATCH_ON_ERROR (false; the stack's bisectBatchOnError defaults to
 * true), ESM_TIMEOUT_MS
 * (60000), ESM_MAX_CONSUMER_RESTARTS (10), ESM_PROGRESS_MS (5000), KAFKA_LOG_LEVEL (NOTHING here: kafkajs'
 * own logs; ERROR to see them), plus the handler's own configuration.
 */
import { parseArgs } from 'node:util';
import { argsOrExit, logsToStderr, settingsOrExit } from './lib/cli.js';

const shellEnv = { ...process.env };
process.env.KAFKA_BROKERS ??= `127.0.0.1:${process.env.KAFKA_PORT ?? '9092'}`;
process.env.POWERTOOLS_DEV ??= 'true';
process.env.POWERTOOLS_METRICS_DISABLED ??= 'true';
logsToStderr();
// kafkajs logs every failed reconnect; the lines below name each crash, restart and final cause.
process.env.KAFKA_LOG_LEVEL ??= 'NOTHING';

const USAGE =
  'usage: npm run local:esm -- [--until-caught-up] [--demo-wiki] [--runtime node|lambda] [--env NAME] [-c KEY=VALUE ...]';
const { values } = argsOrExit(USAGE, () =>
  parseArgs({
    options: {
      'until-caught-up': { type: 'boolean', default: false },
      'demo-wiki': { type: 'boolean', default: false },
      runtime: { type: 'string', default: 'node' },
      env: { type: 'string', default: 'local-dev' },
      context: { type: 'string', short: 'c', multiple: true, default: [] },
    },
  }),
);
if (values.runtime !== 'node' && values.runtime !== 'lambda') {
  console.error(`--runtime ${values.runtime}: node or lambda\n${USAGE}`);
  process.exit(2);
}
// The handler reads its settings at the first invocation: invalid ones stop here instead, by name, before a demo wiki
// starts.
const { demoWikiEnv, useDemoWiki } = await import('./lib/demo-wiki.js');
const { readSettings } = await import('../lib/settings/catalogue.js');
settingsOrExit(() => readSettings(values['demo-wiki'] ? demoWikiEnv(process.env) : process.env));
if (values['demo-wiki']) useDemoWiki((line) => console.error(`[local-esm] ${line}`));
const untilCaughtUp = values['until-caught-up'] === true;

const { createKafka, kafkaConnectionConfigFromEnv } = await import('../lib/kafka/kafka-client.js');
const { prefixedTopic } = await import('../lib/settings/topic-name.js');
const { intFrom, stringFrom } = await import('../lib/settings/config.js');
const { startLocalEsm } = await import('./lib/local-esm.js');

const env = process.env;
const settings = settingsOrExit(() => readSettings(env));
const say = (m: string) => console.error(`[local-esm] ${m}`);
const onFailure = settings.ON_FAILURE_TOPIC;
const topic = prefixedTopic(settings.KAFKA_TOPIC_PREFIX, settings.INPUT_TOPIC);
const progressMs = intFrom(env, 'ESM_PROGRESS_MS', 5000, 100);
const kafka = await createKafka(kafkaConnectionConfigFromEnv(env, settings));

// --runtime lambda: the synthesized asset in sandboxes of Lambda's runtime (scripts/lambda-runtime/), one per
// invocation in flight; idle ones stop after LAMBDA_SANDBOX_IDLE_MS, so the next invocation starts cold.
let pool: import('./lambda-runtime/sandbox-pool.js').SandboxPool | undefined;
let handler: unknown;
if (values.runtime === 'lambda') {
  const { prepareFunction } = await import('./lambda-runtime/prepare-function.js');
  const { SandboxPool } = await import('./lambda-runtime/sandbox-pool.js');
  const { fn, cgroups } = prepareFunction({
    envName: values.env!,
    context: values.context!,
    shellEnv,
    processEnv: env,
    say,
  });
  pool = new SandboxPool(fn, {
    cgroups,
    log: (line) => console.error(line),
    idleMs: intFrom(env, 'LAMBDA_SANDBOX_IDLE_MS', 300_000, 10),
    report: say,
  });
  handler = pool.handler();
} else {
  handler = (await import('../functions/page-content-change-enrich/handler.js')).handler;
}
const esm = await startLocalEsm(handler as never, {
  kafka,
  topic,
  groupId: stringFrom(env, 'ESM_GROUP_ID', 'mw-page-content-change-enrich'),
  batchSize: intFrom(env, 'ESM_BATCH_SIZE', 100, 1),
  batchingWindowMs: intFrom(env, 'ESM_BATCHING_WINDOW_MS', 500),
  maxRetryAttempts: intFrom(env, 'ESM_MAX_RETRY_ATTEMPTS', 3, -1),
  onFailureTopic: onFailure === 'none' ? undefined : prefixedTopic(settings.KAFKA_TOPIC_PREFIX, onFailure),
  invocationTimeoutMs: intFrom(env, 'ESM_TIMEOUT_MS', 60_000, 1000),
  maxConsumerRestarts: intFrom(env, 'ESM_MAX_CONSUMER_RESTARTS', 10, 0),
  bisectBatchOnError: stringFrom(env, 'ESM_BISECT_BATCH_ON_ERROR', 'false') === 'true',
  log: say,
});
say(`consuming ${topic} from ${env.KAFKA_BROKERS}${untilCaughtUp ? ' until caught up' : '; Ctrl-C to stop'}`);

let finished = false;
async function finish(code: number, message: string): Promise<never> {
  if (!finished) {
    finished = true;
    say(message);
    // The consumer first (from here on a failed invocation is neither retried nor sent on), then the sandboxes: an
    // invocation in flight ends with its sandbox, so the consumer need not wait for it.
    const consumerStopped = esm.stop().catch(() => undefined);
    await pool?.stop();
    await Promise.race([consumerStopped, new Promise((r) => setTimeout(r, 10_000))]);
    // And any sandbox a cold start brought up meanwhile: no emulator, runtime or memory cgroup outlives the command.
    if (pool) await (await import('./lambda-runtime/sandbox.js')).LambdaSandbox.stopAll();
  }
  process.exit(code);
}

void esm.failure.then((err) => finish(1, `FAILED: ${err.message}`));
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => void finish(0, `stopped by ${signal}`));

/** The progress line: counters, lag from the group's committed offsets, and a stall warning. */
async function progress(): Promise<number | undefined> {
  const s = esm.stats;
  let lagText: string;
  let lag: number | undefined;
  try {
    const l = await esm.lag();
    lag = l.total;
    const perPartition = l.partitions.map((p) => `p${p.partition}:${p.lag}`).join(' ');
    lagText = `lag=${l.total}${l.partitions.length > 1 ? ` (${perPartition})` : ''}`;
  } catch (err) {
    lagText = `lag=unknown (${(err as Error).message})`;
  }
  const idleS = Math.round((Date.now() - s.lastProgressAt) / 1000);
  const stalled =
    lag !== undefined && lag > 0 && idleS >= 30 ? ` STALLED: no batch settled for ${idleS}s with records waiting` : '';
  const waiting = lag !== undefined && lag > 0 ? `; ${waitingFor()}` : '';
  say(
    `invocations=${s.invocations} records=${s.records} retried=${s.redeliveries} batch_failures=${s.batchFailures} ` +
      `on_failure=${s.sentToOnFailure} discarded=${s.discarded} consumer_restarts=${s.consumerRestarts} ` +
      (pool ? `cold_starts=${pool.stats.coldStarts} sandboxes_killed=${pool.stats.killed} ` : '') +
      `${lagText}${stalled}${waiting}`,
  );
  return lag;
}

/** What records still behind wait for: a running invocation (and for how long), or the next fetch. */
function waitingFor(): string {
  const running = [...esm.stats.inFlight].map(
    ([partition, r]) => `p${partition}: ${r.records} record(s) for ${Math.round((Date.now() - r.since) / 1000)}s`,
  );
  return running.length > 0
    ? `waiting for the handler (${running.join(', ')}; MediaWiki failures are retried for up to MW_API_RETRY_BUDGET_MS)`
    : 'waiting for the consumer to fetch the next batch and commit';
}

if (untilCaughtUp) {
  // Checked often; the full line printed every progressMs.
  let lastLine = 0;
  for (;;) {
    await new Promise((r) => setTimeout(r, 500));
    let lag: number | undefined;
    if (Date.now() - lastLine >= progressMs) {
      lastLine = Date.now();
      lag = await progress();
    } else {
      lag = await esm.lag().then(
        (l) => l.total,
        () => undefined,
      );
    }
    if (lag === 0) {
      await progress();
      const s = esm.stats;
      const lost = s.sentToOnFailure + s.discarded;
      await finish(
        lost > 0 ? 1 : 0,
        lost > 0
          ? `caught up, but ${s.sentToOnFailure} record(s) went to the on-failure topic ` +
              `and ${s.discarded} were discarded`
          : 'caught up with the topic end',
      );
    }
  }
} else {
  setInterval(() => void progress(), progressMs);
}
