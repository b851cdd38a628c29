/**
 * The EventStreams stand-in behaves as EventStreams' documentation says, read through the ingest's own
 * client (undici + eventsource-parser): documented ids, Last-Event-ID resumes at the id's millisecond,
 * since, heartbeats, connections dropped mid-event, 429 with Retry-After, a User-Agent required.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { StreamHttpError } from '../../lib/ingest/errors.js';
import { parsePosition } from '../../lib/ingest/event-position.js';
import { connectEventStream, type SseItem } from '../../lib/ingest/event-stream.js';
import { type StandIn, startStandIn, UPSTREAM_TOPIC } from '../../scripts/lib/eventstreams/stand-in.js';

let standIn: StandIn;
let throttling: StandIn;
before(async () => {
  standIn = await startStandIn({ events: 100, dropEvery: 25, heartbeatMs: 20 });
  throttling = await startStandIn({ events: 10, throttleEvery: 1, retryAfterSeconds: 7 });
});
after(async () => {
  await standIn.close();
  await throttling.close();
});

async function read(options: {
  lastEventId?: string;
  since?: string;
  userAgent?: string;
  url?: string;
}): Promise<{ items: SseItem[]; error?: unknown }> {
  const items: SseItem[] = [];
  try {
    for await (const item of connectEventStream({
      url: options.url ?? standIn.url,
      userAgent: options.userAgent ?? 'tests (ingest@example.org)',
      lastEventId: options.lastEventId,
      since: options.since,
      idleTimeoutMs: 30_000,
      connectTimeoutMs: 5000,
    })) {
      items.push(item);
    }
    return { items };
  } catch (error) {
    return { items, error };
  }
}
const events = (items: SseItem[]) => items.flatMap((i) => (i.kind === 'event' ? [i] : []));
const metaIds = (items: SseItem[]) =>
  events(items).map((e) => (JSON.parse(e.data) as { meta: { id: string } }).meta.id);

test('since=0 starts at the first event; ids are documented positions; the connection drops after 25 events, mid-event', async () => {
  const { items, error } = await read({ since: '0' });
  const got = events(items);
  assert.ok(error, 'the connection ended in an error (dropped), not cleanly');
  assert.equal(got.length, 25, 'the half-sent 26th event is not an event');
  assert.deepEqual(
    metaIds(items),
    Array.from({ length: 25 }, (_, i) => JSON.parse(standIn.event(i).data).meta.id),
  );
  const position = parsePosition(got[0]!.id!);
  assert.equal(position[0]!.topic, UPSTREAM_TOPIC);
  assert.equal(typeof position[0]!.timestamp, 'number');
  assert.deepEqual(position[1], { topic: 'codfw.mediawiki.page_change.v1', partition: 0, offset: -1 });
  assert.ok(got.every((e) => e.event === 'message'));
  assert.ok(
    items.some((i) => i.kind === 'comment'),
    'heartbeat comment lines',
  );
});

test("Last-Event-ID resumes at the id's millisecond: the last event seen and any other of that millisecond come again", async () => {
  const last = standIn.event(24); // events 24 and 25 share a millisecond
  const { items } = await read({ lastEventId: last.id });
  const ids = metaIds(items);
  assert.equal(ids[0], JSON.parse(standIn.event(24).data).meta.id);
  assert.equal(ids[1], JSON.parse(standIn.event(25).data).meta.id);
  assert.equal(ids.length, 25);
});

test('a position older than the history starts at the oldest event kept', async () => {
  standIn.setRetainFrom(60);
  try {
    const { items } = await read({ lastEventId: standIn.event(10).id });
    assert.equal(metaIds(items)[0], JSON.parse(standIn.event(60).data).meta.id);
  } finally {
    standIn.setRetainFrom(0);
  }
});

test('429 with Retry-After, and 403 without a User-Agent, reach the client as StreamHttpError', async () => {
  const throttled = await read({ url: throttling.url });
  assert.ok(throttled.error instanceof StreamHttpError);
  assert.deepEqual([throttled.error.status, throttled.error.retryAfterMs], [429, 7000]);
  const anonymous = await read({ userAgent: '' });
  assert.ok(anonymous.error instanceof StreamHttpError);
  assert.equal(anonymous.error.status, 403);
});
