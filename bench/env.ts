/**
 * Bench-specific instances: imported FIRST by every bench entry point, before any module that
 * reads these variables at load time (scripts/kafka/broker.ts reads KAFKA_LOCAL_DIR on import).
 * Tests use the default wiki (8765, .local/mediawiki) and broker (9092/9093, .local/kafka) and
 * restart that broker, so the bench never touches them unless told to through the environment.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

export const BENCH_DEFAULTS = {
  MW_DIR: '.local/mediawiki-bench',
  MW_PORT: '8767',
  KAFKA_LOCAL_DIR: path.join(REPO_ROOT, '.local', 'kafka-bench'),
  KAFKA_PORT: '9192',
  KAFKA_CONTROLLER_PORT: '9193',
  // The bench measures throughput against the wiki: give php -S more workers than the tests' 4.
  PHP_CLI_SERVER_WORKERS: '8',
} as const;

for (const [k, v] of Object.entries(BENCH_DEFAULTS)) {
  if (process.env[k] === undefined || process.env[k] === '') process.env[k] = v;
}
// Quiet powertools in-process (the handler logs one line per batch otherwise).
process.env.POWERTOOLS_LOG_LEVEL ??= 'WARN';
process.env.POWERTOOLS_METRICS_DISABLED ??= 'true';
process.env.KAFKAJS_NO_PARTITIONER_WARNING ??= '1';
