/**
 * The EventStreams ingest on the real broker (issue 26): each event once in the input topic, keyed,
 * stamped with `meta.dt`, in per-key order, through dropped connections, 429s, bad frames, a SIGKILL
 * and two ingests at once; then the local event source mapping enriches what it wrote. A position
 * older than the stream's history stops loudly. No assertion depends on timing: runs stop on a count
 * or when the test, having read every event back, asks them to.
 */
import assert from 'node:assert/strict';
import { randomInt } from 'node:crypto';
import { after, before, test } from 'node:test';
import { HistoryTooOldError, IngestFencedError } from '../../lib/ingest/errors.js';
import { type StandIn, startStandIn } from '../../scripts/lib/eventstreams/stand-in.js';
import {
  assertExactlyOnceInKeyOrder,
  capturedLog,
  committedAtLeast,
  committedRecords,
  exited,
  ingest,
  ingestProcess,
  revisionEvents,
  testIngestOptions,
} from '../support/ingest-harness.js';
import { createTopics, ensureKafka, uniqueTopicName } from '../../scripts/kafka/broker.js';
import { ensureMediaWiki } from '../support/mediawiki.js';
import {
  accountFor,
  createPipelineTopics,
  pipelineHandler,
  runLocalEsm,
  type SavedRevision,
  saveInterleavedRevisions,
} from '../support/pipeline-harness.js';

const EVENTS = 5000;
let brokers: string[];
let apiUrl: string;
let revisions: SavedRevision[];
const standIns: StandIn[] = [];

before(async () => {
  [{ brokers }, { apiUrl }] = await Promise.all([ensureKafka(), ensureMediaWiki()]);
  revisions = await saveInterleavedRevisions(
    'Ingest',
    12,
    2,
    (round, page) => `Ingest page ${page}, revision ${round}`,
  );
});
after(async () => {
  for (const s of standIns) await s.close();
});

async function standIn(options: Parameters<typeof startStandIn>[0] = {}): Promise<StandIn> {
  const s = await startStandIn({
    events: EVENTS,
    samples: revisionEvents(revisions, uniqueTopicName('events')),
    heartbeatMs: 500,
    ...options,
  });
  standIns.push(s);
  return s;
}

async function inputTopic(prefix: string): Promise<string> {
  const topic = uniqueTopicName(prefix);
  await createTopics(brokers, [{ topic, numPartitions: 3 }]);
  return topic;
}

test('5,000 events through drops every few hundred, 429s and bad frames: each once, keyed, meta.dt, key order; then local:esm enriches them', {
  timeout: 600_000,
}, async () => {
  const topics = await createPipelineTopics(brokers, 'ingest');
  const stream = await standIn({ dropEvery: 350, throttleEvery: 4, badDataEvery: 1000, badIdEvery: 1250 });
  const log = capturedLog();
  const result = await ingest(testIngestOptions(brokers, topics.input, stream, { maxEvents: EVENTS, log }));

  assert.equal(result.stoppedBecause, 'max-events');
  assert.ok(stream.stats.dropped >= 10, `the stand-in dropped ${stream.stats.dropped} connections`);
  assert.ok(result.tally.reconnects >= stream.stats.dropped, 'every drop was resumed');
  assert.ok(
    stream.stats.requests.slice(1).every((r) => r.lastEventId !== undefined),
    'every reconnection sent Last-Event-ID',
  );
  assert.ok(result.tally.replaysDropped > 0, 'timestamp resumes replayed the last millisecond, dropped by meta.id');
  assert.equal(result.tally.throttled, stream.stats.throttled);
  // Bad input: a log line and a count each, and the events still written (the enrichment makes errors of them).
  assert.equal(result.tally.invalidData, EVENTS / 1000);
  assert.equal(result.tally.invalidIds, EVENTS / 1250);
  assert.equal(log.lines.filter((l) => l.includes('event data is not a JSON object')).length, EVENTS / 1000);
  assert.equal(log.lines.filter((l) => l.includes('SSE id is not an EventStreams position')).length, EVENTS / 1250);

  const records = await committedRecords(brokers, topics.input);
  assertExactlyOnceInKeyOrder(records, stream, EVENTS);

  const h = pipelineHandler(brokers, apiUrl, topics);
  const esm = await runLocalEsm(brokers, h, topics);
  try {
    const accounting = await accountFor(brokers, topics, EVENTS, 300_000);
    assert.equal(accounting.duplicates, 0);
    assert.equal(accounting.onFailure.length, 0);
    assert.equal(accounting.errors.length, EVENTS / 1000, 'the non-JSON frames became error events');
    assert.equal(accounting.output.length, EVENTS - EVENTS / 1000);
  } finally {
    await esm.stop();
    await h.close();
  }
});

test('SIGKILL of npm run ingest at a random point, then a restart: each event once, in key order', {
  timeout: 600_000,
}, async () => {
  const topic = await inputTopic('ingest-kill');
  const stream = await standIn({ dropEvery: 400 });
  const killAt = randomInt(50, EVENTS - 500);
  const first = ingestProcess(brokers, topic, stream);
  await committedAtLeast(brokers, topic, killAt);
  first.kill('SIGKILL');
  await exited(first);

  const second = ingestProcess(brokers, topic, stream);
  await committedAtLeast(brokers, topic, EVENTS);
  second.kill('SIGTERM');
  assert.equal(await exited(second), 0, second.stderrText());
  assert.match(second.stderrText(), /resuming from the position in the topic/);

  assertExactlyOnceInKeyOrder(await committedRecords(brokers, topic), stream, EVENTS);
});

test('two ingests started at once on one topic: the later claim fences the other; each event once, in key order', {
  timeout: 600_000,
}, async () => {
  const topic = await inputTopic('ingest-twice');
  const stream = await standIn({ dropEvery: 300 });
  const stop = new AbortController();
  // Settled from the start: the fenced run ends while the test still waits for the topic to fill.
  const outcomes = Promise.allSettled(
    [0, 1].map(() => ingest(testIngestOptions(brokers, topic, stream, { signal: stop.signal }))),
  );
  await committedAtLeast(brokers, topic, EVENTS);
  stop.abort();
  for (const o of await outcomes) {
    if (o.status === 'rejected') assert.ok(o.reason instanceof IngestFencedError, String(o.reason));
  }
  assertExactlyOnceInKeyOrder(await committedRecords(brokers, topic), stream, EVENTS);
});

test('a position older than the stream history stops loudly, says what was lost and how to restart; since skips forward', {
  timeout: 300_000,
}, async () => {
  const topic = await inputTopic('ingest-history');
  const stream = await standIn({ events: 1000 });
  const first = await ingest(testIngestOptions(brokers, topic, stream, { maxEvents: 200 }));
  assert.equal(first.tally.written, 200);

  stream.setRetainFrom(600); // the stream forgot events 0-599: 200-599 are gone
  const log = capturedLog();
  await assert.rejects(ingest(testIngestOptions(brokers, topic, stream, { maxEvents: 100, log })), (err: unknown) => {
    assert.ok(err instanceof HistoryTooOldError, String(err));
    assert.match(err.message, /older than the stream's history/);
    assert.match(err.message, /are lost: .*about [\d,]+ events at 19 events\/s/);
    assert.match(err.message, /--since /);
    return true;
  });
  assert.equal((await committedRecords(brokers, topic)).length, 200, 'nothing written past the gap');

  // As the message says: since at the first event the stream still has.
  const firstKept = JSON.parse(stream.event(600).data) as { meta: { dt: string } };
  const resumed = await ingest(testIngestOptions(brokers, topic, stream, { since: firstKept.meta.dt, maxEvents: 400 }));
  assert.equal(resumed.tally.written, 400);
  const records = await committedRecords(brokers, topic);
  assert.equal(records.length, 600);
});
