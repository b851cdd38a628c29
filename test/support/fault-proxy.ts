/**
 * A fault-injecting HTTP proxy on 127.0.0.1 in front of the real MediaWiki. Each request
 * takes the next scripted fault (or the default); without a fault it is forwarded as is.
 * It records every request so tests can count attempts per revision, and, for a client in this
 * process, whether the client read each answer or gave up first (`clientGaveUp`).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { request } from 'undici';
import {
  ATTEMPT_HEADER,
  type ClientAttempt,
  clientAttempt,
  attemptsSoFar,
  clientAttemptsTo,
  watchClientAttempts,
} from './client-attempts.js';

export type Fault =
  /** Answer with this status (and body), never reaching the wiki. */
  | { kind: 'status'; status: number; body?: string; headers?: Record<string, string> }
  /** Accept the request and never answer: the client's read timeout fires. */
  | { kind: 'timeout' }
  /** Destroy the connection without a response. */
  | { kind: 'reset' }
  /**
   * MediaWiki's maxlag refusal as a replicated wiki sends it (HTTP 200, error code `maxlag`,
   * Retry-After, X-Database-Lag). A single-database wiki never lags, so the proxy answers it.
   */
  | { kind: 'maxlag'; retryAfterSeconds?: number }
  /** Forward, then move every returned revision into `badrevids`, as a lagging replica would. */
  | { kind: 'omit-revisions' }
  /** Forward after a delay. */
  | { kind: 'delay'; ms: number };

export interface ProxiedRequest {
  readonly url: string;
  readonly revids: number[];
  readonly fault?: Fault['kind'];
  readonly userAgent?: string;
  readonly requestId?: string;
  /**
   * The undici client in this process gave up on this request before it had read the whole answer (its own
   * timeout fired first, e.g. while a loaded wiki was slow): whatever the proxy sent, the client saw a timeout.
   * Read from the client's side (undici's diagnostics channels), so it holds however late the answer came.
   * `undefined` for a client outside this process, or a request still open.
   */
  readonly clientGaveUp?: boolean;
  /** The client's attempt id (`client-attempts.ts`), for a client in this process. */
  readonly attempt?: string;
  readonly at: number;
}

export interface FaultProxy {
  readonly url: string;
  readonly port: number;
  readonly requests: ProxiedRequest[];
  /** Faults for the next requests, in order. */
  script(...faults: Fault[]): void;
  /** Fault applied when the script is empty; `undefined` forwards. */
  setDefault(fault: Fault | ((req: ProxiedRequest) => Fault | undefined) | undefined): void;
  /**
   * Every request the client in this process sent here, with what the proxy received of it: none for one that never
   * arrived (a connection the proxy closed as the request went out), which the client met as a network error.
   */
  clientAttempts(): Array<{ attempt: ClientAttempt; received: ProxiedRequest | undefined }>;
  reset(): void;
  close(): Promise<void>;
}

export async function startFaultProxy(upstream: string, opts: { latencyMs?: number } = {}): Promise<FaultProxy> {
  const upstreamUrl = new URL(upstream);
  let queue: Fault[] = [];
  let defaultFault: Fault | ((req: ProxiedRequest) => Fault | undefined) | undefined;
  const requests: ProxiedRequest[] = [];
  const sockets = new Set<Socket>();
  watchClientAttempts(upstream);
  // Attempts made before the last reset are not this proxy's to report.
  let attemptsBefore = attemptsSoFar();

  async function forward(req: IncomingMessage, res: ServerResponse, transform?: (json: any) => any) {
    const target = new URL(req.url ?? '/', upstreamUrl);
    target.pathname = upstreamUrl.pathname;
    const upstreamRes = await request(target, {
      method: 'GET',
      headers: { 'user-agent': String(req.headers['user-agent'] ?? 'fault-proxy') },
    });
    let body = Buffer.from(await upstreamRes.body.arrayBuffer());
    if (transform) body = Buffer.from(JSON.stringify(transform(JSON.parse(body.toString('utf8')))));
    const headers: Record<string, string> = { 'content-type': 'application/json; charset=utf-8' };
    const retryAfter = upstreamRes.headers['retry-after'];
    if (retryAfter !== undefined) headers['retry-after'] = String(retryAfter);
    res.writeHead(upstreamRes.statusCode, headers);
    res.end(body);
  }

  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://proxy');
    const revids = (url.searchParams.get('revids') ?? '').split('|').filter(Boolean).map(Number);
    const attempt = req.headers[ATTEMPT_HEADER] as string | undefined;
    const entry: { -readonly [K in keyof ProxiedRequest]: ProxiedRequest[K] } = {
      url: req.url ?? '/',
      revids,
      at: Date.now(),
      userAgent: req.headers['user-agent'],
      requestId: req.headers['x-request-id'] as string | undefined,
    };
    entry.attempt = attempt;
    if (attempt !== undefined)
      Object.defineProperty(entry, 'clientGaveUp', {
        enumerable: true,
        get: () => {
          const outcome = clientAttempt(attempt)?.outcome;
          return outcome === undefined ? undefined : outcome === 'gave-up';
        },
      });
    const fault = queue.shift() ?? (typeof defaultFault === 'function' ? defaultFault(entry) : defaultFault);
    // The logged entry is the object the default-fault callback saw, so callers can key on it.
    entry.fault = fault?.kind;
    requests.push(entry);
    const run = async () => {
      if (opts.latencyMs) await new Promise((r) => setTimeout(r, opts.latencyMs));
      switch (fault?.kind) {
        case undefined:
          return forward(req, res);
        case 'status':
          res.writeHead(fault.status, { 'content-type': 'text/plain', ...(fault.headers ?? {}) });
          return res.end(
            fault.status === 204 || fault.status === 304 ? undefined : (fault.body ?? `injected ${fault.status}`),
          );
        case 'timeout':
          return; // never answer
        case 'reset':
          return req.socket.destroy();
        case 'maxlag': {
          const lag = 7;
          res.writeHead(200, {
            'content-type': 'application/json; charset=utf-8',
            'retry-after': String(fault.retryAfterSeconds ?? 5),
            'x-database-lag': String(lag),
            'mediawiki-api-error': 'maxlag',
          });
          return res.end(
            JSON.stringify({
              error: {
                code: 'maxlag',
                info: `Waiting for 10.0.0.7: ${lag} seconds lagged.`,
                host: '10.0.0.7',
                lag,
                type: 'db',
              },
              servedby: 'fault-proxy',
            }),
          );
        }
        case 'omit-revisions':
          return forward(req, res, (json) => {
            const bad: Record<string, unknown> = { ...(json.query?.badrevids ?? {}) };
            for (const id of revids) bad[String(id)] = { revid: id, missing: true };
            return { batchcomplete: true, query: { badrevids: bad } };
          });
        case 'delay':
          await new Promise((r) => setTimeout(r, fault.ms));
          return forward(req, res);
      }
    };
    run().catch((err) => {
      if (!res.headersSent) res.writeHead(599);
      res.end(String(err));
    });
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}/api.php`,
    port,
    requests,
    script: (...faults) => queue.push(...faults),
    clientAttempts: () => {
      const received = new Map(requests.flatMap((r) => (r.attempt === undefined ? [] : [[r.attempt, r]])));
      return clientAttemptsTo(`http://127.0.0.1:${port}`, attemptsBefore).map((attempt) => ({
        attempt,
        received: received.get(attempt.id),
      }));
    },
    setDefault: (f) => (defaultFault = f),
    reset: () => {
      attemptsBefore = attemptsSoFar();
      queue = [];
      defaultFault = undefined;
      requests.length = 0;
    },
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
