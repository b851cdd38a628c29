/**
 * `npm run redrive -- --from error|on-failure [--error-types T1,T2] [--since ISO] [--until ISO]
 *   [--max N] [--dry-run] [--max-redrives N] [--group NAME]`
 *
 * Puts error events (their `raw_event`) or on-failure records back on the input topic with their
 * original key, reading with a consumer group of its own so a second run resumes where the first
 * stopped. Progress on stderr, the summary as JSON on stdout. See the runbook in docs/operations.md.
 *
 * Env: KAFKA_BROKERS (default 127.0.0.1:${KAFKA_PORT:-9092}) and the other settings of the redrive function
 * (the redrive table of docs/configuration.md): KAFKA_* connection, KAFKA_TOPIC_PREFIX, INPUT_TOPIC, ERROR_TOPIC, ON_FAILURE_TOPIC,
 * REDRIVE_GROUP_PREFIX.
 */
import { parseArgs } from 'node:util';
import type { RedriveRequest } from '../lib/redrive/request.js';

process.env.KAFKA_BROKERS ??= `127.0.0.1:${process.env.KAFKA_PORT ?? '9092'}`;
const { createKafka, kafkaConnectionConfigFromEnv } = await import('../lib/kafka/kafka-client.js');
const { settingsOrExit } = await import('./lib/cli.js');
const { runRedrive } = await import('../lib/redrive/kafka-loop.js');
const { readSettings } = await import('../lib/settings/catalogue.js');
const { DEFAULT_MAX_REDRIVES } = await import('../lib/redrive/selection.js');
const { parseRedriveRequest, redriveGroupIdFor, redriveTopicsFrom, RedriveOptionsError } = await import(
  '../lib/redrive/request.js'
);

const USAGE =
  'usage: npm run redrive -- --from error|on-failure [--error-types T1,T2] [--since ISO] [--until ISO]\n' +
  `                          [--max N] [--dry-run] [--max-redrives N (default ${DEFAULT_MAX_REDRIVES})] [--group NAME]`;

let request: RedriveRequest;
try {
  const { values } = parseArgs({
    options: {
      from: { type: 'string' },
      'error-types': { type: 'string' },
      since: { type: 'string' },
      until: { type: 'string' },
      max: { type: 'string' },
      'dry-run': { type: 'boolean' },
      'max-redrives': { type: 'string' },
      group: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    console.error(USAGE);
    process.exit(0);
  }
  request = parseRedriveRequest({
    from: values.from,
    errorTypes: values['error-types'],
    since: values.since,
    until: values.until,
    max: values.max,
    dryRun: values['dry-run'] ?? false,
    maxRedrives: values['max-redrives'],
    groupId: values.group,
  });
} catch (err) {
  console.error(`${(err as Error).message}\n${USAGE}`);
  process.exit(2);
}

const settings = settingsOrExit(() => readSettings(process.env));
const topics = redriveTopicsFrom(settings);
const sourceTopic = request.from === 'error' ? topics.error : topics.onFailure;
console.error(
  `[redrive] ${request.dryRun ? 'DRY RUN: ' : ''}${sourceTopic} → ${topics.input} (${process.env.KAFKA_BROKERS})`,
);
// Ctrl-C (or SIGTERM) stops the run with what it produced committed and still prints the summary; a second one kills.
const interrupted = new AbortController();
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => interrupted.abort());
try {
  const summary = await runRedrive({
    ...request,
    signal: interrupted.signal,
    kafka: await createKafka(kafkaConnectionConfigFromEnv(process.env, settings)),
    groupId: redriveGroupIdFor(request, topics.groupPrefix),
    sourceTopic,
    inputTopic: topics.input,
    log: (line) => console.error(`[redrive] ${line}`),
  });
  console.log(JSON.stringify(summary, null, 2));
  const hint = emptyReadHint(request, summary);
  if (hint) console.error(`[redrive] ${hint}`);
} catch (err) {
  console.error(`[redrive] failed: ${(err as Error).message}`);
  process.exit(err instanceof RedriveOptionsError ? 2 : 1);
}

/** Why nothing was selected, when a window or the group's position can explain it; else undefined. */
function emptyReadHint(
  req: RedriveRequest,
  summary: { read: number; selected: number; skipped: Partial<Record<string, number>> },
): string | undefined {
  if (summary.selected > 0) return undefined;
  const notAgain =
    'records this group read in an earlier run are not considered again (--group NEW reads them once more)';
  if (!req.since && !req.until) return summary.read === 0 ? `nothing to read: ${notAgain}` : undefined;
  const window = [req.since && `--since ${req.since.toISOString()}`, req.until && `--until ${req.until.toISOString()}`]
    .filter(Boolean)
    .join(' ');
  const before = summary.skipped['before-since'] ?? 0;
  const why = [
    `read ${summary.read}`,
    req.since && `${before} written before --since`,
    req.until && 'reading stops at the first record written after --until',
  ].filter(Boolean);
  return `the window ${window} matched nothing (${why.join('; ')}); ${notAgain}`;
}
