/** The catalogue's logs and metrics settings (Powertools), read by every function. */
import { EVERY_READER, oneOf, text } from '../setting.js';

export const OBSERVABILITY_SETTINGS = {
  LOG_LEVEL: oneOf(['DEBUG', 'INFO', 'WARN', 'ERROR'], {
    default: 'INFO',
    readBy: EVERY_READER,
    doc: 'Powertools logger level.',
  }),
  POWERTOOLS_SERVICE_NAME: text({
    default: 'mw-page-content-change-enrich',
    scope: 'wired',
    readBy: EVERY_READER,
    doc: 'Service name of logs and of the EMF metrics dimension.',
  }),
  POWERTOOLS_METRICS_NAMESPACE: text({
    default: 'MwPageContentChangeEnrich',
    scope: 'wired',
    readBy: ['enrich', 'ingest'],
    doc: 'CloudWatch namespace of `EnrichedEvents`, `ErrorEvents`, `RedeliveredRecords`, `SinkFailures`, `MediaWikiRequests`.',
  }),
} as const;
