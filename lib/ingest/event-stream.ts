/**
 * One connection to an EventStreams URL: an HTTP GET over undici whose `text/event-stream` body is
 * parsed by `eventsource-parser` (the HTML standard's SSE parsing: `event:`, `id:`, `data:`,
 * comment lines, `retry:`). Resuming sends the last id as `Last-Event-ID`; a first start may send
 * `since` instead (Wikimedia, "Event Platform/EventStreams HTTP Service"). Reconnecting is the
 * caller's: this module yields what one connection carries and ends when the server closes it.
 */
import { createParser } from 'eventsource-parser';
import { Agent, request } from '../mediawiki/undici-slim.js';
import { StreamHttpError } from './errors.js';

export type SseItem =
  | {
      readonly kind: 'event';
      readonly id: string | undefined;
      readonly event: string | undefined;
      readonly data: string;
    }
  /** A comment line: EventStreams' heartbeat. */
  | { readonly kind: 'comment' }
  /** The server's `retry:` field, ms: how long to wait before reconnecting. */
  | { readonly kind: 'retry'; readonly ms: number }
  /** A line the parser could not read (logged; nothing else is lost, the next event parses). */
  | { readonly kind: 'parse-error'; readonly message: string };

export interface ConnectOptions {
  readonly url: string;
  /** Wikimedia's User-Agent policy asks for contact details. */
  readonly userAgent: string;
  /** Sent as `Last-Event-ID`. */
  readonly lastEventId?: string;
  /** Sent as the `since` query parameter (ISO 8601 or ms since the epoch) when there is no `lastEventId`. */
  readonly since?: string;
  /** The connection is dropped (the iterator throws `StreamIdleError`) after this long without a byte. */
  readonly idleTimeoutMs: number;
  readonly connectTimeoutMs: number;
  readonly signal?: AbortSignal;
  readonly dispatcher?: Agent;
}

/** Nothing arrived, not even a heartbeat, for the idle timeout. */
export class StreamIdleError extends Error {
  override readonly name = 'StreamIdleError';
}

/** `Retry-After` as ms: delta-seconds or an HTTP date; undefined when absent or unreadable. */
export function retryAfterMs(value: string | string[] | undefined, now = Date.now()): number | undefined {
  const raw = Array.isArray(value) ? value[0] : value;
  if (raw === undefined || raw.trim() === '') return undefined;
  if (/^\d+$/.test(raw.trim())) return Number(raw.trim()) * 1000;
  const at = Date.parse(raw);
  return Number.isFinite(at) ? Math.max(0, at - now) : undefined;
}

/** The request URL: `since` as a query parameter, only when not resuming by id. */
export function streamUrl(url: string, since: string | undefined, resuming: boolean): URL {
  const u = new URL(url);
  if (since !== undefined && !resuming) u.searchParams.set('since', since);
  return u;
}

let sharedAgent: Agent | undefined;

/**
 * Opens one connection and yields its items until the server ends the body. Throws `StreamHttpError`
 * for a status other than 200 (429 and 503 with their `Retry-After`), `StreamIdleError` when the
 * body stalls, and network errors as undici raises them.
 */
export async function* connectEventStream(options: ConnectOptions): AsyncGenerator<SseItem> {
  const abort = new AbortController();
  const onOuterAbort = () => abort.abort(options.signal?.reason);
  options.signal?.addEventListener('abort', onOuterAbort, { once: true });
  let idle: NodeJS.Timeout | undefined;
  const armIdle = () => {
    clearTimeout(idle);
    idle = setTimeout(
      () => abort.abort(new StreamIdleError(`nothing received for ${options.idleTimeoutMs} ms`)),
      options.idleTimeoutMs,
    );
  };
  const dispatcher =
    options.dispatcher ?? (sharedAgent ??= new Agent({ connect: { timeout: options.connectTimeoutMs } }));
  const headers: Record<string, string> = {
    accept: 'text/event-stream',
    'user-agent': options.userAgent,
    'cache-control': 'no-cache',
  };
  if (options.lastEventId !== undefined) headers['last-event-id'] = options.lastEventId;
  try {
    armIdle();
    const response = await request(
      dispatcher,
      streamUrl(options.url, options.since, options.lastEventId !== undefined),
      {
        method: 'GET',
        headers,
        signal: abort.signal,
      },
    );
    if (response.statusCode !== 200) {
      const body = (await response.body.text().catch(() => '')).slice(0, 300);
      throw new StreamHttpError(
        response.statusCode,
        `EventStreams answered HTTP ${response.statusCode}: ${body.replace(/\s+/g, ' ').trim()}`,
        retryAfterMs(response.headers['retry-after']),
      );
    }
    const items: SseItem[] = [];
    const parser = createParser({
      onEvent: (e) => items.push({ kind: 'event', id: e.id, event: e.event, data: e.data }),
      onComment: () => items.push({ kind: 'comment' }),
      onRetry: (ms) => items.push({ kind: 'retry', ms }),
      onError: (err) => items.push({ kind: 'parse-error', message: err.message }),
    });
    const decoder = new TextDecoder();
    for await (const chunk of response.body) {
      armIdle();
      parser.feed(decoder.decode(chunk as Buffer, { stream: true }));
      while (items.length > 0) yield items.shift()!;
    }
  } catch (err) {
    const reason = abort.signal.reason;
    if (abort.signal.aborted && reason instanceof StreamIdleError) throw reason;
    throw err;
  } finally {
    clearTimeout(idle);
    options.signal?.removeEventListener('abort', onOuterAbort);
    abort.abort();
  }
}
