/**
 * The ingest on the real broker for integration tests: the EventStreams stand-in serving page changes
 * of the test wiki's revisions, `runIngest` in process or `npm run ingest` as a child process, and the
 * check that every served event is in the input topic exactly once, keyed, stamped with `meta.dt`,
 * in per-key order.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { messageKeyForText } from '../../lib/pipeline/enrich.js';
import { inputRecordFor, SEQUENCE_HEADER } from '../../lib/ingest/input-record.js';
import { runIngest, type IngestOptions, type IngestResult } from '../../lib/ingest/ingest-run.js';
import type { IngestLog } from '../../lib/ingest/ingest-tally.js';
import { stableUuid } from '../../scripts/lib/eventstreams/page-change-samples.js';
import type { StandIn } from '../../scripts/lib/eventstreams/stand-in.js';
import { consumeAll, kafkaClient, REPO_ROOT, type ConsumedRecord } from '../../scripts/kafka/broker.js';
import { eventLineOf, type SavedRevision } from './pipeline-harness.js';

/** Event `i`: a page change of revision `i mod n` of the test wiki, with its own `meta.id` and times. */
export function revisionEvents(revisions: readonly SavedRevision[], tag: string) {
  return (i: number, dt: string, metaDt: string): Record<string, unknown> => {
    const event = JSON.parse(eventLineOf(revisions[i % revisions.length]!)) as Record<string, unknown>;
    event.dt = dt;
    event.meta = { ...(event.meta as object), id: stableUuid(`${tag}/${i}`), dt: metaDt };
    return event;
  };
}

export interface CapturedLog extends IngestLog {
  readonly lines: string[];
}

export function capturedLog(): CapturedLog {
  const lines: string[] = [];
  const push = (level: string) => (m: string, f?: Record<string, unknown>) =>
    void lines.push(`${level} ${m} ${JSON.stringify(f ?? {})}`);
  return { lines, info: push('INFO'), warn: push('WARN'), error: push('ERROR') };
}

/** The ingest's settings for a test: small transactions, quick reconnects. */
export function testIngestOptions(
  brokers: string[],
  topic: string,
  standIn: StandIn,
  overrides: Partial<IngestOptions> = {},
): IngestOptions {
  return {
    kafka: kafkaClient(brokers, { clientId: 'ingest-test' }),
    topic,
    url: standIn.url,
    userAgent: 'mw-page-content-change-enrich tests (ingest@example.org)',
    since: '0',
    transactionalId: `${topic}.ingest`,
    compression: 'gzip',
    transactionTimeoutMs: 30_000,
    batchMaxEvents: 200,
    batchMaxMs: 200,
    tailRecords: 1000,
    idleTimeoutMs: 30_000,
    connectTimeoutMs: 5000,
    reconnectMaxMs: 1000,
    log: capturedLog(),
    ...overrides,
  };
}

export function ingest(options: IngestOptions): Promise<IngestResult> {
  return runIngest(options);
}

/** `npm run ingest` as a user runs it (tsx directly, so that SIGKILL reaches the ingest itself). */
export function ingestProcess(
  brokers: string[],
  topic: string,
  standIn: StandIn,
  env: Record<string, string> = {},
): ChildProcess & { stderrText: () => string } {
  const child = spawn(
    'node',
    [
      '--import',
      'tsx',
      'scripts/ingest.ts',
      '--url',
      standIn.url,
      '--since',
      '0',
      '--user-agent',
      'tests (ingest@example.org)',
    ],
    {
      cwd: REPO_ROOT,
      env: {
        ...process.env,
        KAFKA_BROKERS: brokers.join(','),
        KAFKA_TOPIC_PREFIX: '',
        INPUT_TOPIC: topic,
        INGEST_TRANSACTIONAL_ID: `${topic}.ingest`,
        INGEST_BATCH_MAX_EVENTS: '100',
        INGEST_BATCH_MAX_MS: '200',
        INGEST_RECONNECT_MAX_MS: '1000',
        INGEST_TRANSACTION_TIMEOUT_MS: '30000',
        ...env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  child.stdout!.resume();
  return Object.assign(child, { stderrText: () => stderr });
}

export function exited(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) =>
    child.exitCode !== null || child.signalCode !== null
      ? resolve(child.exitCode)
      : child.once('exit', (code) => resolve(code)),
  );
}

/** Waits until the topic holds at least `count` committed records (read_committed, as the enrichment reads). */
export async function committedAtLeast(brokers: string[], topic: string, count: number): Promise<void> {
  const records = await consumeAll(brokers, topic, { expected: count, timeoutMs: 300_000 });
  assert.ok(records.length >= count, `only ${records.length} of ${count} records committed to ${topic}`);
}

/** Every committed record of the topic, once the ingest stopped (read to the end). */
export async function committedRecords(brokers: string[], topic: string): Promise<ConsumedRecord[]> {
  return consumeAll(brokers, topic, { timeoutMs: 120_000, quietMs: 1000 });
}

/**
 * Each of the stand-in's first `count` events is in the records exactly once, with its key and its
 * `meta.dt` as timestamp, and the events of each key are in the order the stream sent them.
 */
export function assertExactlyOnceInKeyOrder(records: readonly ConsumedRecord[], standIn: StandIn, count: number): void {
  const indexOf = new Map<string, number>();
  for (let i = 0; i < count; i++) {
    const served = standIn.event(i);
    indexOf.set(inputRecordFor(served).identity, i);
  }
  const seen = new Map<number, number>();
  const problems: string[] = [];
  const lastIndexOfKey = new Map<string, { index: number; partition: number }>();
  for (const r of records) {
    const served = inputRecordFor({ id: undefined, data: r.value ?? '' });
    const i = indexOf.get(served.identity);
    if (i === undefined) {
      problems.push(`unexpected record at ${r.partition}:${r.offset}: ${(r.value ?? '').slice(0, 80)}`);
      continue;
    }
    seen.set(i, (seen.get(i) ?? 0) + 1);
    const data = standIn.event(i).data;
    if (r.key !== messageKeyForText(data))
      problems.push(`event ${i}: key ${r.key}, expected ${messageKeyForText(data)}`);
    if (served.timestamp !== undefined && r.timestamp !== served.timestamp)
      problems.push(`event ${i}: timestamp ${r.timestamp}, meta.dt ${served.metaDt}`);
    if (r.headers[SEQUENCE_HEADER] === undefined) problems.push(`event ${i}: no ${SEQUENCE_HEADER} header`);
    if (r.key !== null) {
      const before = lastIndexOfKey.get(r.key);
      if (before && (before.index > i || before.partition !== r.partition))
        problems.push(`key ${r.key}: event ${i} after event ${before.index}`);
      lastIndexOfKey.set(r.key, { index: i, partition: r.partition });
    }
  }
  const missing = [...indexOf.values()].filter((i) => !seen.has(i));
  const twice = [...seen].filter(([, n]) => n > 1).map(([i, n]) => `${i}×${n}`);
  assert.deepEqual(
    {
      missing: missing.slice(0, 20),
      missingCount: missing.length,
      twice: twice.slice(0, 20),
      problems: problems.slice(0, 20),
    },
    { missing: [], missingCount: 0, twice: [], problems: [] },
  );
  assert.equal(records.length, count);
}
