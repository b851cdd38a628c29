/**
 * The Powertools logger and metrics of a function, created from its settings (the catalogue's
 * `POWERTOOLS_SERVICE_NAME`, `POWERTOOLS_METRICS_NAMESPACE`): every function and tool makes them here, one way.
 * In Lambda they write structured JSON / EMF to stdout; locally (POWERTOOLS_DEV) they use the console.
 * The log level is Powertools' own reading of `LOG_LEVEL` (and Lambda's advanced logging controls).
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import type { SettingValues } from '../settings/catalogue.js';

export function loggerFrom(s: Pick<SettingValues, 'POWERTOOLS_SERVICE_NAME'>): Logger {
  return new Logger({ serviceName: s.POWERTOOLS_SERVICE_NAME });
}

export function metricsFrom(
  s: Pick<SettingValues, 'POWERTOOLS_SERVICE_NAME' | 'POWERTOOLS_METRICS_NAMESPACE'>,
): Metrics {
  return new Metrics({ serviceName: s.POWERTOOLS_SERVICE_NAME, namespace: s.POWERTOOLS_METRICS_NAMESPACE });
}
