/**
 * The catalogue's Kafka settings: the connection every function makes, the enrichment function's output and
 * error topics and producer, and the event source mapping's response mode.
 */
import { EVERY_READER, integer, list, oneOf, type SettingReader, text } from '../setting.js';
import { DEFAULT_TOPICS } from './topics.js';

const ENRICH_AND_REDRIVE: readonly SettingReader[] = ['enrich', 'redrive'];

export const KAFKA_SETTINGS = {
  KAFKA_BROKERS: list({
    default: undefined,
    scope: 'wired',
    readBy: EVERY_READER,
    doc: 'Bootstrap servers `host:port` (self-managed, or MSK without a lookup).',
  }),
  KAFKA_MSK_CLUSTER_ARN: text({
    default: undefined,
    scope: 'wired',
    readBy: EVERY_READER,
    doc: 'MSK cluster whose bootstrap brokers are looked up once (`GetBootstrapBrokers`).',
  }),
  KAFKA_AUTH: oneOf(['none', 'tls', 'scram', 'iam'], {
    default: undefined,
    defaultDoc: '`none` (`iam` when only `KAFKA_MSK_CLUSTER_ARN` is set)',
    scope: 'wired',
    readBy: EVERY_READER,
    doc: 'Client authentication: plaintext, TLS, SASL/SCRAM over TLS, MSK IAM (SASL OAUTHBEARER).',
  }),
  KAFKA_SASL_SECRET_ARN: text({
    default: undefined,
    scope: 'wired',
    readBy: EVERY_READER,
    doc: 'Secrets Manager secret `{"username","password"}` for SCRAM (read once per container).',
  }),
  KAFKA_CLIENT_CERT_SECRET_ARN: text({
    default: undefined,
    scope: 'wired',
    readBy: EVERY_READER,
    doc:
      'With `KAFKA_AUTH=tls`: secret with the client certificate for mutual TLS, as the event source mapping reads it ' +
      '(`{"certificate","privateKey","privateKeyPassword"?}`).',
  }),
  KAFKA_SCRAM_MECHANISM: oneOf(['SCRAM-SHA-512', 'SCRAM-SHA-256'], {
    default: 'SCRAM-SHA-512',
    scope: 'wired',
    readBy: EVERY_READER,
    doc: 'SASL/SCRAM mechanism (MSK supports SCRAM-SHA-512 only).',
  }),
  KAFKA_ROOT_CA_SECRET_ARN: text({
    default: undefined,
    scope: 'wired',
    readBy: EVERY_READER,
    doc: 'Secret with the brokers\' private root CA (PEM, or `{"certificate": PEM}`).',
  }),
  KAFKA_TOPIC_PREFIX: text({
    default: '',
    defaultDoc: 'empty',
    scope: 'wired',
    readBy: EVERY_READER,
    doc: 'Datacenter prefix of every topic, e.g. `eqiad.`.',
  }),
  OUTPUT_TOPIC: text({
    default: DEFAULT_TOPICS.output,
    scope: 'wired',
    doc: 'Topic of enriched events (prefixed).',
  }),
  ERROR_TOPIC: text({
    default: DEFAULT_TOPICS.error,
    scope: 'wired',
    readBy: ENRICH_AND_REDRIVE,
    doc: 'Topic of error events (prefixed).',
  }),
  KAFKA_CLIENT_ID: text({ default: 'mw-page-content-change-enrich', readBy: EVERY_READER, doc: 'Kafka client id.' }),
  KAFKA_CONNECTION_TIMEOUT_MS: integer({
    default: 3000,
    min: 1,
    readBy: EVERY_READER,
    doc: 'Broker connect timeout, ms.',
  }),
  KAFKA_REQUEST_TIMEOUT_MS: integer({
    default: 10000,
    min: 1,
    readBy: EVERY_READER,
    doc: 'Broker request timeout, ms.',
  }),
  KAFKA_LOG_LEVEL: oneOf(['NOTHING', 'ERROR', 'WARN', 'INFO', 'DEBUG'], {
    default: 'ERROR',
    readBy: EVERY_READER,
    doc: 'kafkajs log level.',
  }),
  KAFKA_MAX_MESSAGE_BYTES: integer({
    default: 10_485_760,
    min: 1024,
    doc:
      "Largest enriched event and largest produce request, bytes (10 MiB, as Wikimedia's producers); " +
      "match the topics' `max.message.bytes`.",
  }),
  KAFKA_COMPRESSION: oneOf(['gzip', 'snappy', 'lz4', 'zstd', 'none'], {
    default: 'gzip',
    readBy: ['enrich', 'ingest'],
    doc: 'Compression codec of produced batches; see Performance for the measurements.',
  }),
  KAFKA_GZIP_LEVEL: integer({
    default: 1,
    min: 1,
    max: 9,
    doc: "zlib level of gzip batches: 1 is ~6× faster than zlib's 6 for ~20% more bytes (see Performance).",
  }),

  // ------------------------------------------------------------------ event source mapping
  ESM_PARTIAL_BATCH_RESPONSE: oneOf(['true', 'false'], {
    default: 'true',
    scope: 'wired',
    doc:
      'Whether the event source mapping reads `batchItemFailures` (`ReportBatchItemFailures`, provisioned mode only). ' +
      '`false` (on-demand mode): any unwritten record fails the invocation, so Lambda retries the batch instead of ' +
      'committing it.',
  }),
} as const;
