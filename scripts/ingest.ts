/**
 * `npm run ingest -- --url URL [--since TIME] [--max-events N] [--until-idle SECONDS] [--user-agent UA]`: reads an
 * EventStreams URL (Wikimedia's, or the stand-in's: `npm run eventstreams:standin`) into the local broker's
 * input topic, each event once (lib/ingest/). Progress on stderr every 5 s: events/s, the last `meta.dt`,
 * the lag behind it; the run's tally as JSON on stdout at the end. Ctrl-C stops it after committing what it read.
 *
 * Exit status: 0 stopped as asked; 1 another ingest took over (fenced), the position is older than the
 * stream's history, or an error; 2 usage or settings.
 *
 * Env: KAFKA_BROKERS (default 127.0.0.1:${KAFKA_PORT:-9092}), INPUT_TOPIC, KAFKA_TOPIC_PREFIX and the
 * ingest's settings (EVENTSTREAMS_*, INGEST_*: lib/settings/catalogue.ts); the options win over them.
 */
import { parseArgs } from 'node:util';
import { argsOrExit, settingsOrExit } from './lib/cli.js';

process.env.KAFKA_BROKERS ??= `127.0.0.1:${process.env.KAFKA_PORT ?? '9092'}`;
process.env.KAFKA_LOG_LEVEL ??= 'NOTHING';

const USAGE =
  'usage: npm run ingest -- --url URL [--since TIME] [--max-events N] [--until-idle SECONDS] [--user-agent UA]';
const { values } = argsOrExit(USAGE, () =>
  parseArgs({
    options: {
      url: { type: 'string' },
      since: { type: 'string' },
      'max-events': { type: 'string' },
      'until-idle': { type: 'string' },
      'user-agent': { type: 'string' },
    },
  }),
);
const whole = (name: 'max-events' | 'until-idle'): number | undefined => {
  const raw = values[name];
  if (raw === undefined) return undefined;
  if (!/^\d+$/.test(raw) || Number(raw) < 1) {
    console.error(`--${name} must be a whole number >= 1, got ${JSON.stringify(raw)}\n${USAGE}`);
    process.exit(2);
  }
  return Number(raw);
};
if (values.url !== undefined) process.env.EVENTSTREAMS_URL = values.url;
if (values.since !== undefined) process.env.EVENTSTREAMS_SINCE = values.since;
if (values['user-agent'] !== undefined) process.env.EVENTSTREAMS_USER_AGENT = values['user-agent'];
const maxEvents = whole('max-events');
const untilIdle = whole('until-idle');

const { createKafka, kafkaConnectionConfigFromEnv } = await import('../lib/kafka/kafka-client.js');
const { readSettings } = await import('../lib/settings/catalogue.js');
const { ingestSettingsFrom } = await import('../lib/ingest/ingest-config.js');
const { runIngest } = await import('../lib/ingest/ingest-run.js');

const say = (line: string) => console.error(`[ingest] ${line}`);
const fields = (f?: Record<string, unknown>) => (f && Object.keys(f).length > 0 ? ` ${JSON.stringify(f)}` : '');
const settings = settingsOrExit(() => readSettings(process.env));
const ingest = settingsOrExit(() => ingestSettingsFrom(settings));
const kafka = await createKafka(kafkaConnectionConfigFromEnv(process.env, settings));
const stopping = new AbortController();
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    say(`${signal}: committing what was read, then stopping`);
    stopping.abort();
  });
}
say(
  `reading ${ingest.url} into ${ingest.topic} at ${process.env.KAFKA_BROKERS}${maxEvents ? `, ${maxEvents} events` : ''}${untilIdle ? `, until idle ${untilIdle} s` : ''}`,
);
try {
  const result = await runIngest({
    ...ingest,
    kafka,
    maxEvents,
    untilIdleMs: untilIdle === undefined ? undefined : untilIdle * 1000,
    signal: stopping.signal,
    log: {
      info: (m, f) => say(`${m}${fields(f)}`),
      warn: (m, f) => say(`WARN ${m}${fields(f)}`),
      error: (m, f) => say(`ERROR ${m}${fields(f)}`),
    },
    onProgress: (p) =>
      say(
        `${p.written} events, ${p.eventsPerSecond.toFixed(1)} events/s, last meta.dt ${p.lastMetaDt ?? '-'}, lag ${
          p.lagMs === undefined ? '-' : `${(p.lagMs / 1000).toFixed(1)} s`
        }`,
      ),
  });
  say(
    `stopped (${result.stoppedBecause}): ${result.tally.written} events written, ${result.tally.replaysDropped} replays dropped`,
  );
  console.log(
    JSON.stringify({ stoppedBecause: result.stoppedBecause, lastMetaDt: result.lastMetaDt, ...result.tally }),
  );
  process.exit(0);
} catch (err) {
  say(`ERROR ${(err as Error).name}: ${(err as Error).message}`);
  process.exit(1);
}
