/**
 * The enrichment function's logger and metrics (lib/observability/powertools.ts) and what it records per batch.
 * Made by {@link enrichObservability} where the handler is built (functions/page-content-change-enrich/handler.ts),
 * before the handler reads its other settings, since middy binds the Powertools middleware to them then; importing
 * this module creates nothing.
 */
import type { Logger } from '@aws-lambda-powertools/logger';
import { type Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { loggerFrom, metricsFrom } from '../observability/powertools.js';
import type { SchemaResolutionListener } from '../schema-repository/output-schema-resolver.js';
import { powertoolsSettingsOfThisProcess, type SettingValues } from '../settings/catalogue.js';
import type { RecordOutcome } from './process-batch.js';

/** What one invocation did besides its outcomes: the `extra` of {@link EnrichObservability.recordBatchMetrics}. */
export interface BatchCounts {
  readonly mediawikiRequests: number;
  readonly sinkFailures: number;
  readonly batchItemFailures: number;
  /** Most fetched content held at once (`CONTENT_BUDGET_BYTES` bounds it), and the windows fetched. */
  readonly peakContentBytes: number;
  readonly contentWindows: number;
}

export interface EnrichObservability {
  readonly logger: Logger;
  readonly metrics: Metrics;
  /**
   * Output schemas resolved from the schema repository: each logged once; each failure counted
   * (`SchemaResolutionFailures`) and the first of each version logged as a warning, since its events
   * are produced as they are until a later fetch succeeds.
   */
  readonly schemaResolutionListener: SchemaResolutionListener;
  /** Counts of one invocation's outcomes, as metrics and as one log line. */
  recordBatchMetrics(outcomes: readonly RecordOutcome[], extra: BatchCounts): void;
}

/**
 * The container's logger and metrics, from its Powertools settings (by default this process's, which the handler
 * has before it reads the others), and the records the handler makes with them.
 */
export function enrichObservability(
  settings: Pick<
    SettingValues,
    'POWERTOOLS_SERVICE_NAME' | 'POWERTOOLS_METRICS_NAMESPACE'
  > = powertoolsSettingsOfThisProcess(),
): EnrichObservability {
  const logger = loggerFrom(settings);
  const metrics = metricsFrom(settings);
  /** Field paths already logged as dropped by this container: each is logged once, and counted always. */
  const droppedFieldsLogged = new Set<string>();

  /**
   * `UnknownSchemaVersion` (events naming a version the project does not ship, produced as they are)
   * and `DroppedFields` per `FieldPath` (fields the named version does not declare); the first drop
   * of each path is logged with the schema that does not declare it.
   */
  function recordConformanceMetrics(outcomes: readonly RecordOutcome[]): void {
    let unknownVersion = 0;
    const droppedByPath = new Map<string, number>();
    for (const o of outcomes) {
      if (o.kind !== 'enriched') continue;
      if (o.conformance.unknownVersion) unknownVersion++;
      for (const path of o.conformance.dropped) {
        droppedByPath.set(path, (droppedByPath.get(path) ?? 0) + 1);
        if (droppedFieldsLogged.has(path)) continue;
        droppedFieldsLogged.add(path);
        logger.warn('field dropped from output: the schema the event names does not declare it', {
          fieldPath: path,
          schema: o.conformance.schemaUri,
        });
      }
    }
    metrics.addMetric('UnknownSchemaVersion', MetricUnit.Count, unknownVersion);
    for (const [path, count] of droppedByPath) {
      const single = metrics.singleMetric();
      single.addDimension('FieldPath', path);
      single.addMetric('DroppedFields', MetricUnit.Count, count);
    }
  }

  return {
    logger,
    metrics,
    schemaResolutionListener: {
      resolved(uri, ms) {
        logger.info('output schema fetched from the schema repository and compiled', { schema: uri, ms });
      },
      failed(uri, error, first) {
        metrics.addMetric('SchemaResolutionFailures', MetricUnit.Count, 1);
        if (!first) return;
        logger.warn(
          'output schema not resolved: its events are produced as they are, unvalidated, until a later fetch',
          { schema: uri, error: error.message },
        );
      },
    },
    recordBatchMetrics(outcomes, extra) {
      let enriched = 0;
      let errors = 0;
      let redelivered = 0;
      const errorTypes: Record<string, number> = {};
      for (const o of outcomes) {
        if (o.kind === 'enriched') enriched++;
        else if (o.kind === 'error') {
          errors++;
          errorTypes[o.errorType] = (errorTypes[o.errorType] ?? 0) + 1;
        } else redelivered++;
      }
      metrics.addMetric('EnrichedEvents', MetricUnit.Count, enriched);
      metrics.addMetric('ErrorEvents', MetricUnit.Count, errors);
      metrics.addMetric('RedeliveredRecords', MetricUnit.Count, redelivered);
      metrics.addMetric('SinkFailures', MetricUnit.Count, extra.sinkFailures);
      metrics.addMetric('MediaWikiRequests', MetricUnit.Count, extra.mediawikiRequests);
      metrics.addMetric('PeakContentBytes', MetricUnit.Bytes, extra.peakContentBytes);
      recordConformanceMetrics(outcomes);
      logger.info('batch processed', { records: outcomes.length, enriched, errors, redelivered, errorTypes, ...extra });
    },
  };
}
