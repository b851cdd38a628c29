/**
 * A development stand-in for Wikimedia's EventStreams (never shipped), behaving as its documentation
 * ("Event Platform/EventStreams HTTP Service") says:
 *
 * - `GET /v2/stream/mediawiki.page_change.v1` answers `text/event-stream`: `event: message`, `id:` and
 *   `data:` per event, a blank line after each; comment lines as heartbeats; an optional `retry:`.
 * - Each id is a JSON array with one entry per upstream topic and partition:
 *   `[{"topic":"eqiad.mediawiki.page_change.v1","partition":0,"timestamp":…},{"topic":"codfw.…","partition":0,"offset":-1}]`.
 * - `Last-Event-ID` resumes: a timestamp entry restarts at the first event of that millisecond or later
 *   (so the last event seen, and any other of its millisecond, come again), an offset entry at that offset.
 *   `?since=` (ISO 8601 or ms) starts at a time. Without either, at the live end.
 * - History is limited: events before `retainFrom` are gone; a position older than that starts at the
 *   oldest event kept, as a Kafka consumer seeking by time does.
 * - It closes connections from time to time (`dropEvery`, mid-event), answers 429 with `Retry-After`
 *   (`throttleEvery` connections), and refuses requests without a User-Agent (403).
 *
 * History: `events` events, event `i` at upstream timestamp `baseMs + floor(i / 2)` (two per millisecond),
 * available from `startedAt + i / rate` seconds (all at once when `rate` is unset).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type SampleSet, sampleEvent } from './page-change-samples.js';

export const STREAM_PATH = '/v2/stream/mediawiki.page_change.v1';
export const UPSTREAM_TOPIC = 'eqiad.mediawiki.page_change.v1';

export interface StandInOptions {
  /** Events in the history. @default 5000 */
  readonly events?: number;
  /** Events per second becoming available; unset: all at once. */
  readonly rate?: number;
  /** Upstream timestamp of event 0, ms. @default 1790000000000 */
  readonly baseMs?: number;
  /** Close each connection after this many events (mid-event). @default - never */
  readonly dropEvery?: number;
  /** Answer every n-th connection 429 with `Retry-After: retryAfterSeconds`. @default - never */
  readonly throttleEvery?: number;
  /** @default 1 */
  readonly retryAfterSeconds?: number;
  /** Comment line every this many ms. @default 2000 */
  readonly heartbeatMs?: number;
  /** Every n-th event's data is not JSON. @default - never */
  readonly badDataEvery?: number;
  /** Every n-th event's id is not a position. @default - never */
  readonly badIdEvery?: number;
  /** Oldest event kept. @default 0 */
  readonly retainFrom?: number;
  /** The events: a shipped set, or event `i` of the caller's (tests: revisions of the test wiki). @default 'production' */
  readonly samples?: SampleSet | ((i: number, dt: string, metaDt: string) => Record<string, unknown>);
  /** @default 0 (any free port) */
  readonly port?: number;
  readonly host?: string;
}

export interface StandInStats {
  connections: number;
  throttled: number;
  dropped: number;
  eventsSent: number;
  /** The `Last-Event-ID` and `since` of each connection, in order. */
  readonly requests: { lastEventId?: string; since?: string; userAgent?: string }[];
}

export interface StandIn {
  readonly url: string;
  readonly stats: StandInStats;
  /** Forget every event before `index` (history expiring). */
  setRetainFrom(index: number): void;
  /** The event `i` as served: SSE id and data. */
  event(i: number): { id: string; data: string };
  close(): Promise<void>;
}

export function upstreamTimestamp(i: number, baseMs: number): number {
  return baseMs + Math.floor(i / 2);
}

export function positionId(timestamp: number): string {
  return JSON.stringify([
    { topic: UPSTREAM_TOPIC, partition: 0, timestamp },
    { topic: 'codfw.mediawiki.page_change.v1', partition: 0, offset: -1 },
  ]);
}

export async function startStandIn(options: StandInOptions = {}): Promise<StandIn> {
  const total = options.events ?? 5000;
  const baseMs = options.baseMs ?? 1_790_000_000_000;
  const samples = options.samples ?? 'production';
  let retainFrom = options.retainFrom ?? 0;
  const startedAt = Date.now();
  const stats: StandInStats = { connections: 0, throttled: 0, dropped: 0, eventsSent: 0, requests: [] };
  const sockets = new Set<import('node:net').Socket>();

  const event = (i: number) => {
    const ts = upstreamTimestamp(i, baseMs);
    const metaDt = new Date(ts - 250).toISOString();
    const dt = new Date(ts - 1000).toISOString();
    const data =
      options.badDataEvery && (i + 1) % options.badDataEvery === 0
        ? `{"not json": event ${i}`
        : JSON.stringify(typeof samples === 'function' ? samples(i, dt, metaDt) : sampleEvent(samples, i, dt, metaDt));
    const id = options.badIdEvery && (i + 1) % options.badIdEvery === 0 ? `not-a-position-${i}` : positionId(ts);
    return { id, data };
  };
  const available = () =>
    options.rate ? Math.min(total, Math.floor(((Date.now() - startedAt) / 1000) * options.rate)) : total;

  /** First index to serve for a request, or an error message. */
  function startIndex(lastEventId: string | undefined, since: string | null): number | string {
    if (lastEventId !== undefined) {
      let entries: { topic?: string; timestamp?: number; offset?: number }[];
      try {
        entries = JSON.parse(lastEventId) as typeof entries;
        if (!Array.isArray(entries)) throw new Error('not an array');
      } catch {
        return `Last-Event-ID is not a JSON array of positions: ${lastEventId}`;
      }
      const ours = entries.find((e) => e.topic === UPSTREAM_TOPIC);
      if (ours?.timestamp !== undefined) return firstAtOrAfter(ours.timestamp);
      if (ours?.offset !== undefined && ours.offset >= 0) return Math.max(retainFrom, ours.offset);
      return available();
    }
    if (since !== null) {
      const ms = /^\d+$/.test(since) ? Number(since) : Date.parse(since);
      if (!Number.isFinite(ms)) return `since is not a time: ${since}`;
      return firstAtOrAfter(ms);
    }
    return available();
  }
  const firstAtOrAfter = (ms: number) => Math.max(retainFrom, Math.min(total, Math.max(0, (ms - baseMs) * 2)));

  function serve(req: IncomingMessage, res: ServerResponse) {
    const url = new URL(req.url ?? '/', 'http://stand-in');
    if (url.pathname !== STREAM_PATH) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end(`no stream at ${url.pathname}\n`);
      return;
    }
    const userAgent = req.headers['user-agent'];
    const lastEventId = typeof req.headers['last-event-id'] === 'string' ? req.headers['last-event-id'] : undefined;
    const since = url.searchParams.get('since');
    stats.requests.push({ lastEventId, since: since ?? undefined, userAgent });
    stats.connections++;
    if (!userAgent) {
      res.writeHead(403, { 'content-type': 'text/plain' }).end('a User-Agent with contact details is required\n');
      return;
    }
    if (options.throttleEvery && stats.connections % options.throttleEvery === 0) {
      stats.throttled++;
      res
        .writeHead(429, { 'retry-after': String(options.retryAfterSeconds ?? 1), 'content-type': 'text/plain' })
        .end('too many requests\n');
      return;
    }
    const start = startIndex(lastEventId, since);
    if (typeof start === 'string') {
      res.writeHead(400, { 'content-type': 'text/plain' }).end(`${start}\n`);
      return;
    }
    res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache' });
    res.write(':ok\n\n');
    let next = start;
    let sentHere = 0;
    let closed = false;
    let draining = false;
    const heartbeat = setInterval(() => res.write(':\n\n'), options.heartbeatMs ?? 2000);
    const finish = () => {
      closed = true;
      clearInterval(heartbeat);
      clearInterval(pump);
    };
    res.on('close', finish);
    const send = () => {
      if (closed || draining) return;
      const until = available();
      while (next < until && !closed) {
        if (next < retainFrom) next = retainFrom;
        const e = event(next);
        const frame = `event: message\nid: ${e.id}\ndata: ${e.data}\n\n`;
        if (options.dropEvery && sentHere >= options.dropEvery) {
          // Drop mid-event: what was sent, half a frame, then the TCP connection ends without ending the
          // HTTP response (no last chunk). The half event must not be produced.
          stats.dropped++;
          res.write(frame.slice(0, frame.length >> 1));
          finish();
          res.socket?.end();
          return;
        }
        if (!res.write(frame)) {
          next++;
          sentHere++;
          stats.eventsSent++;
          draining = true;
          res.once('drain', () => {
            draining = false;
            send();
          });
          return;
        }
        next++;
        sentHere++;
        stats.eventsSent++;
      }
    };
    const pump = setInterval(send, 50);
    send();
  }

  const server: Server = createServer(serve);
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, options.host ?? '127.0.0.1', resolve));
  const { port, address } = server.address() as AddressInfo;
  return {
    url: `http://${address}:${port}${STREAM_PATH}`,
    stats,
    setRetainFrom: (index) => {
      retainFrom = index;
    },
    event,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
