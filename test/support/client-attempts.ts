/**
 * What an HTTP client in this process met, from its own side: each request undici sends (the MediaWiki client's
 * included) is tagged with an attempt id header and recorded with whether the client read its whole answer or gave up
 * first (its own timeout, a reset, a connection closed before the request went out). A fault proxy pairs what it
 * received with the attempt by that header, so a test's verdict on a retry does not depend on how fast the wiki or the
 * event loop was: a late answer the client had stopped waiting for is a timeout to it, whatever was sent.
 *
 * Read from undici's diagnostics channels (`undici:request:create`, `…:trailers`, `…:error`; "Diagnostics Channel"
 * in undici's documentation): no change to the client, and only for clients in this process.
 */
import diagnostics from 'node:diagnostics_channel';

/** Header carrying the attempt id; a router in front of a proxy passes it on with the other headers. */
export const ATTEMPT_HEADER = 'x-client-attempt';

export interface ClientAttempt {
  readonly id: string;
  /** Where the request went, e.g. `http://127.0.0.1:41234`. */
  readonly origin: string;
  readonly path: string;
  /** The request's `X-Request-Id`, the invocation it belongs to. */
  readonly requestId: string | undefined;
  /** `read`: the whole answer arrived; `gave-up`: the client failed first; unset while open. */
  outcome?: 'read' | 'gave-up';
}

interface UndiciRequest {
  readonly origin?: unknown;
  readonly path?: unknown;
  readonly headers?: unknown;
  addHeader(name: string, value: string): unknown;
}

const ignored = new Set<string>();
const byRequest = new WeakMap<object, ClientAttempt>();
const byId = new Map<string, ClientAttempt>();
let watching = false;

function originOf(value: unknown): string | undefined {
  const text = String(value);
  return URL.canParse(text) ? new URL(text).origin : undefined;
}

function headerOf(headers: unknown, name: string): string | undefined {
  if (!Array.isArray(headers)) return undefined;
  for (let i = 0; i + 1 < headers.length; i += 2)
    if (String(headers[i]).toLowerCase() === name) return String(headers[i + 1]);
  return undefined;
}

/** Starts watching (once per process). Requests to `ignore` (a proxy's own upstream) are not a client's. */
export function watchClientAttempts(ignore?: string): void {
  if (ignore !== undefined) ignored.add(new URL(ignore).origin);
  if (watching) return;
  watching = true;
  diagnostics.subscribe('undici:request:create', (message) => {
    const { request } = message as { request: UndiciRequest };
    const origin = originOf(request.origin);
    if (origin === undefined || ignored.has(origin)) return;
    const attempt: ClientAttempt = {
      id: String(byId.size + 1),
      origin,
      path: String(request.path),
      requestId: headerOf(request.headers, 'x-request-id'),
    };
    byRequest.set(request, attempt);
    byId.set(attempt.id, attempt);
    request.addHeader(ATTEMPT_HEADER, attempt.id);
  });
  diagnostics.subscribe('undici:request:trailers', (message) => {
    const attempt = byRequest.get((message as { request: object }).request);
    if (attempt) attempt.outcome ??= 'read';
  });
  diagnostics.subscribe('undici:request:error', (message) => {
    const attempt = byRequest.get((message as { request: object }).request);
    if (attempt) attempt.outcome = 'gave-up';
  });
}

export const clientAttempt = (id: string): ClientAttempt | undefined => byId.get(id);

/** How many attempts were made so far, to pass as `after` later. */
export const attemptsSoFar = (): number => byId.size;

/** Every attempt a client in this process made to `origin` (after the first `after`), in the order they were made. */
export const clientAttemptsTo = (origin: string, after = 0): ClientAttempt[] =>
  [...byId.values()].slice(after).filter((a) => a.origin === origin);
