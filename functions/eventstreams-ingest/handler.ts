/**
 * The EventStreams ingest as a scheduled Lambda function: each run claims the transactional id (fencing
 * any earlier run still going), resumes from the position the input topic holds, reads until shortly
 * before its timeout, commits and returns; the next scheduled run resumes there (docs/ingest.md).
 *
 * Thin: lib/ingest/ does the work, shared with `npm run ingest`. Settings are read once per container
 * through lib/settings/catalogue.ts (the ingest table of docs/configuration.md).
 *
 * Metrics (EMF, Powertools): `IngestedEvents`, `IngestReplaysDropped`, `IngestInvalidData`, `IngestInvalidIds`,
 * `IngestReconnects` per run, and `IngestLagSeconds` (now minus the last written `meta.dt`) after every
 * commit, which the lag alarm watches. A position older than the stream's history throws (the error alarm);
 * being fenced by a newer run is not an error: the newer run goes on.
 */
import type { Logger } from '@aws-lambda-powertools/logger';
import { type Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { Context } from 'aws-lambda';
import type { Kafka } from 'kafkajs';
import { IngestFencedError } from '../../lib/ingest/errors.js';
import { ingestSettingsFrom, type IngestSettings } from '../../lib/ingest/ingest-config.js';
import { runIngest, type StopReason } from '../../lib/ingest/ingest-run.js';
import { emptyTally, type IngestTally } from '../../lib/ingest/ingest-tally.js';
import { createKafka, kafkaConnectionConfigFromEnv } from '../../lib/kafka/kafka-client.js';
import { loggerFrom, metricsFrom } from '../../lib/observability/powertools.js';
import { readSettings, type SettingValues } from '../../lib/settings/catalogue.js';

/**
 * Time kept before the invocation's deadline (`context.getRemainingTimeInMillis()`, "Using the Lambda context
 * object to retrieve Node.js function information") to commit the last transaction and disconnect: a
 * transaction, a produce request timeout and closing the connections.
 */
const DEADLINE_MARGIN_MS = 30_000;

interface Container {
  readonly settings: SettingValues;
  readonly ingest: IngestSettings;
  readonly logger: Logger;
  readonly metrics: Metrics;
  kafka?: Promise<Kafka>;
}
let container: Container | undefined;

export interface IngestRunSummary extends IngestTally {
  readonly stoppedBecause: StopReason | 'fenced';
  readonly lastMetaDt: string | undefined;
}

export async function handler(_event: unknown, context: Context): Promise<IngestRunSummary> {
  if (!container) {
    const settings = readSettings(process.env);
    container = {
      settings,
      ingest: ingestSettingsFrom(settings),
      logger: loggerFrom(settings),
      metrics: metricsFrom(settings),
    };
  }
  const c = container;
  const { logger, metrics } = c;
  c.kafka ??= createKafka(kafkaConnectionConfigFromEnv(process.env, c.settings));
  c.kafka.catch(() => (c.kafka = undefined));
  const log = {
    info: (m: string, f?: Record<string, unknown>) => logger.info(m, f ?? {}),
    warn: (m: string, f?: Record<string, unknown>) => logger.warn(m, f ?? {}),
    error: (m: string, f?: Record<string, unknown>) => logger.error(m, f ?? {}),
  };
  let summary: IngestRunSummary;
  try {
    const result = await runIngest({
      ...c.ingest,
      kafka: await c.kafka,
      stopAt: Date.now() + context.getRemainingTimeInMillis() - DEADLINE_MARGIN_MS,
      log,
      afterCommit: ({ lastMetaDt }) => {
        const dt = lastMetaDt === undefined ? Number.NaN : Date.parse(lastMetaDt);
        if (!Number.isFinite(dt)) return;
        const lag = metrics.singleMetric();
        lag.addMetric('IngestLagSeconds', MetricUnit.Seconds, Math.max(0, (Date.now() - dt) / 1000));
      },
    });
    summary = { ...result.tally, stoppedBecause: result.stoppedBecause, lastMetaDt: result.lastMetaDt };
  } catch (err) {
    if (!(err instanceof IngestFencedError)) throw err;
    logger.warn('a newer ingest run took over; this one stops', { reason: err.message });
    return { ...emptyTally(), stoppedBecause: 'fenced', lastMetaDt: undefined };
  }
  metrics.addMetric('IngestedEvents', MetricUnit.Count, summary.written);
  metrics.addMetric('IngestReplaysDropped', MetricUnit.Count, summary.replaysDropped);
  metrics.addMetric('IngestInvalidData', MetricUnit.Count, summary.invalidData);
  metrics.addMetric('IngestInvalidIds', MetricUnit.Count, summary.invalidIds);
  metrics.addMetric('IngestReconnects', MetricUnit.Count, summary.reconnects);
  metrics.publishStoredMetrics();
  logger.info('ingest run finished', { summary });
  return summary;
}
