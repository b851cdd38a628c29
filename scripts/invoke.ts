/**
 * Local invoke: runs the real handler on an event file with a file sink.
 *
 *   npm run invoke -- --event FILE [--out FILE] [--errors FILE] [--timeout-ms N]
 *
 * FILE is an MSK / self-managed Kafka event-source-mapping event (JSON with "records"),
 * or JSON lines of page_change events, wrapped into an MSK event (one partition, offsets
 * from 0; a line that is not valid JSON is delivered as is and becomes an error event).
 * Enriched events go to --out, error events to --errors (JSON lines), the handler's
 * response to stdout; logs go to stderr.
 */
import { readFile, writeFile, mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { parseArgs } from 'node:util';
import type { Context } from 'aws-lambda';
import { DEFAULT_TOPICS } from '../lib/settings/catalogue.js';

process.env.POWERTOOLS_DEV ??= 'true';
process.env.POWERTOOLS_METRICS_DISABLED ??= 'true';
// With POWERTOOLS_DEV the logger writes through the global console: keep stdout for the response.
for (const level of ['log', 'info', 'debug', 'warn'] as const) console[level] = console.error.bind(console);

const { values } = parseArgs({
  options: {
    event: { type: 'string' },
    out: { type: 'string', default: '.local/invoke/enriched.jsonl' },
    errors: { type: 'string', default: '.local/invoke/errors.jsonl' },
    topic: { type: 'string', default: DEFAULT_TOPICS.input },
    'timeout-ms': { type: 'string', default: '60000' },
  },
});

if (!values.event) {
  console.error('usage: npm run invoke -- --event FILE [--out FILE] [--errors FILE] [--timeout-ms N]');
  process.exit(2);
}

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

const deps = dependenciesFromEnv(process.env, fileSink({ output: values.out!, error: values.errors! }));
const handler = createHandler(() => deps);
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
