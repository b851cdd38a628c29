/**
 * A fault-injecting HTTP proxy on 127.0.0.1 in front of the real MediaWiki. Each request
 * takes the next scripted fault (or the default); without a fault it is forwarded as is.
 * It records every request so tests can count attempts per revision.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { request } from 'undici';

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
  /** The client gave up (closed the connection) before the response was complete: a timeout from its side. */
  readonly clientAborted?: boolean;
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
  reset(): void;
  close(): Promise<void>;
}

export async function startFaultProxy(upstream: string, opts: { latencyMs?: number } = {}): Promise<FaultProxy> {
  const upstreamUrl = new URL(upstream);
  let queue: Fault[] = [];
  let defaultFault: Fault | ((req: ProxiedRequest) => Fault | undefined) | undefined;
  const requests: ProxiedRequest[] = [];
  const sockets = new Set<Socket>();

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
    const entry: { -readonly [K in keyof ProxiedRequest]: ProxiedRequest[K] } = {
      url: req.url ?? '/',
      revids,
      at: Date.now(),
      userAgent: req.headers['user-agent'],
      requestId: req.headers['x-request-id'] as string | undefined,
    };
    const fault = queue.shift() ?? (typeof defaultFault === 'function' ? defaultFault(entry) : defaultFault);
    // The logged entry is the object the default-fault callback saw, so callers can key on it.
    entry.fault = fault?.kind;
    requests.push(entry);
    res.on('close', () => {
      if (!res.writableFinished) entry.clientAborted = true;
    });
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
    setDefault: (f) => (defaultFault = f),
    reset: () => {
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
