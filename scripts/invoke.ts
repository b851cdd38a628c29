/**
 * Local invoke: runs the real handler on an event file with a file sink.
 *
 *   npm run invoke -- --event FILE [--demo-wiki] [--out FILE] [--errors FILE] [--timeout-ms N]
 *                     [--runtime node|lambda] [--env NAME] [-c KEY=VALUE ...]
 *
 * FILE is an MSK / self-managed Kafka event-source-mapping event (JSON with "records"),
 * or JSON lines of page_change events, wrapped into an MSK event (one partition, offsets
 * from 0; a line that is not valid JSON is delivered as is and becomes an error event).
 * Enriched events go to --out, error events to --errors (JSON lines), the handler's
 * response to stdout; logs, and where the results went, go to stderr.
 *
 * --demo-wiki  enrich against the demo wiki (`npm run demo`'s, holding the samples' revisions):
 *              starts and seeds it if needed, and defaults MW_API_URL_TEMPLATE to it and
 *              MW_API_ALLOWED_DOMAINS to the samples' domain, dev.wiki.local.
 *
 * --runtime    node (default): the handler in this process, from the TypeScript sources, with a file sink.
 *              lambda: the `cdk synth` asset of --env (default local-dev, with -c overrides) through AWS's Runtime
 *              Interface Emulator and aws-lambda-ric, at the template's memory size (a cgroup, as root) and timeout,
 *              with the template's environment; outputs read back from Kafka (scripts/lambda-runtime/). A failed
 *              invocation (function error, Runtime.OutOfMemory, timeout) exits 3.
 */
import { existsSync } from 'node:fs';
import { readFile, writeFile, mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { parseArgs } from 'node:util';
import type { Context } from 'aws-lambda';
import { DEFAULT_TOPICS } from '../lib/settings/catalogue.js';
import { argsOrExit, logsToStderr, settingsOrExit } from './lib/cli.js';

const shellEnv = { ...process.env };
process.env.POWERTOOLS_DEV ??= 'true';
process.env.POWERTOOLS_METRICS_DISABLED ??= 'true';
logsToStderr();

const USAGE =
  'usage: npm run invoke -- --event FILE [--demo-wiki] [--out FILE] [--errors FILE] [--timeout-ms N] ' +
  '[--runtime node|lambda] [--env NAME] [-c KEY=VALUE ...]';
const { values } = argsOrExit(USAGE, () =>
  parseArgs({
    options: {
      event: { type: 'string' },
      'demo-wiki': { type: 'boolean', default: false },
      out: { type: 'string', default: '.local/invoke/enriched.jsonl' },
      errors: { type: 'string', default: '.local/invoke/errors.jsonl' },
      topic: { type: 'string', default: DEFAULT_TOPICS.input },
      'timeout-ms': { type: 'string', default: '60000' },
      runtime: { type: 'string', default: 'node' },
      env: { type: 'string', default: 'local-dev' },
      context: { type: 'string', short: 'c', multiple: true, default: [] },
    },
  }),
);

if (!values.event) {
  console.error(USAGE);
  process.exit(2);
}
if (values.runtime !== 'node' && values.runtime !== 'lambda') {
  console.error(`--runtime ${values.runtime}: node or lambda\n${USAGE}`);
  process.exit(2);
}
if (!existsSync(values.event)) {
  console.error(`--event ${values.event}: no such file\n${USAGE}`);
  process.exit(2);
}
// Settings first: an invalid one ends the command (exit 2, every bad setting named) before a demo wiki starts or an
// output file is written.
const { demoWikiEnv, useDemoWiki } = await import('./lib/demo-wiki.js');
const { readSettings } = await import('../lib/settings/catalogue.js');
const { enrichObservability } = await import('../lib/pipeline/observability.js');
settingsOrExit(() => readSettings(values['demo-wiki'] ? demoWikiEnv(process.env) : process.env));
if (values['demo-wiki']) useDemoWiki((line) => console.error(`[invoke] ${line}`));

const { kafkaEsmEventFor } = await import('./lib/esm-event.js');
const { fileSink } = await import('./lib/dev-sinks.js');
const { messageKeyForText } = await import('../lib/pipeline/enrich.js');
const { createHandler, dependenciesFromEnv } = await import('../functions/page-content-change-enrich/handler.js');

/** A JSON-lines file becomes one MSK event; each line is one record value, untouched. */
function eventFromFile(text: string): unknown {
  const trimmed = text.trim();
  if (trimmed.startsWith('{')) {
    try {
      const parsed = JSON.parse(trimmed) as { records?: unknown };
      if (parsed && typeof parsed === 'object' && parsed.records) return parsed;
    } catch {
      // not a single JSON document: JSON lines
    }
  }
  const lines = text.split('\n').filter((l) => l.trim().length > 0);
  return kafkaEsmEventFor(
    lines.map((line, offset) => ({
      topic: values.topic!,
      partition: 0,
      offset,
      key: messageKeyForText(line),
      value: line,
    })),
  );
}

const event = eventFromFile(await readFile(values.event, 'utf8'));
for (const path of [values.out!, values.errors!]) {
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, '');
}

if (values.runtime === 'lambda') {
  const { invokeThroughRuntime } = await import('./lambda-runtime/invoke-through-runtime.js');
  const code = await invokeThroughRuntime({
    event,
    out: values.out!,
    errors: values.errors!,
    envName: values.env!,
    context: values.context!,
    shellEnv,
    processEnv: process.env,
    say: (line) => console.error(`[invoke] ${line}`),
  });
  console.error(await resultsLine(values.out!, values.errors!));
  process.exit(code);
}

const observability = enrichObservability();
const deps = settingsOrExit(() =>
  dependenciesFromEnv(
    process.env,
    fileSink({ output: values.out!, error: values.errors! }),
    observability.schemaResolutionListener,
  ),
);
const handler = createHandler(() => deps, observability);
const timeoutMs = Number(values['timeout-ms']);
const started = Date.now();
const context = {
  functionName: 'page-content-change-enrich-local',
  functionVersion: '$LATEST',
  invokedFunctionArn: 'arn:aws:lambda:local:000000000000:function:page-content-change-enrich-local',
  memoryLimitInMB: '1024',
  awsRequestId: `local-${started}`,
  logGroupName: 'local',
  logStreamName: 'local',
  callbackWaitsForEmptyEventLoop: false,
  getRemainingTimeInMillis: () => timeoutMs - (Date.now() - started),
} as unknown as Context;

const response = await handler(event, context);
await deps.client.close();
process.stdout.write(`${JSON.stringify(response)}\n`);
console.error(await resultsLine(values.out!, values.errors!));

/** Where the results went: counts per file, error types counted. */
async function resultsLine(out: string, errors: string): Promise<string> {
  const lines = async (path: string) => (await readFile(path, 'utf8')).split('\n').filter((l) => l.length > 0);
  const enriched = (await lines(out)).length;
  const byType: Record<string, number> = {};
  const errorLines = await lines(errors);
  for (const line of errorLines) {
    const type = (JSON.parse(line) as { error_type?: string }).error_type ?? 'unknown';
    byType[type] = (byType[type] ?? 0) + 1;
  }
  const types = Object.entries(byType)
    .map(([t, n]) => `${t} ${n}`)
    .join(', ');
  return `[invoke] ${enriched} enriched event(s) → ${out}; ${errorLines.length} error event(s) → ${errors}${types ? ` (${types})` : ''}`;
}
