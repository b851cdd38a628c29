/**
 * A small stand-in for a service mesh proxy (Envoy at Wikimedia): one fixed URL on
 * 127.0.0.1, the upstream chosen by the request's `Host` header, 404 for a Host it does
 * not know. Bodies, statuses and headers pass through unchanged; a reset upstream resets
 * the client, and a client that gives up aborts the upstream request.
 */
import { createServer, request, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export interface RoutedRequest {
  readonly host: string | undefined;
  readonly url: string;
  /** Whether a route matched the Host. */
  readonly routed: boolean;
}

export interface HostRouter {
  /** The fixed URL clients send every wiki's requests to. */
  readonly url: string;
  readonly requests: RoutedRequest[];
  close(): Promise<void>;
}

/** `routes` maps a Host (without port) to the base URL of its upstream; the request's path and query are kept. */
export async function startHostRouter(routes: Record<string, string>): Promise<HostRouter> {
  const requests: RoutedRequest[] = [];
  const sockets = new Set<Socket>();
  const server: Server = createServer((req, res) => {
    const host = req.headers.host?.replace(/:\d+$/, '').toLowerCase();
    const upstream = host !== undefined ? routes[host] : undefined;
    requests.push({ host: req.headers.host, url: req.url ?? '/', routed: upstream !== undefined });
    if (upstream === undefined) {
      res.writeHead(404, { 'content-type': 'text/plain' });
      res.end(`no route for Host ${JSON.stringify(req.headers.host ?? null)}`);
      return;
    }
    const target = new URL(upstream);
    const headers: IncomingHttpHeaders = { ...req.headers, host: target.host };
    const upstreamReq = request(
      { hostname: target.hostname, port: target.port, path: req.url, method: req.method, headers },
      (upstreamRes) => {
        res.writeHead(upstreamRes.statusCode ?? 502, upstreamRes.headers);
        upstreamRes.pipe(res);
        upstreamRes.on('error', () => req.socket.destroy());
        upstreamRes.on('aborted', () => req.socket.destroy());
      },
    );
    upstreamReq.on('error', () => req.socket.destroy());
    res.on('close', () => {
      if (!res.writableFinished) upstreamReq.destroy();
    });
    req.pipe(upstreamReq);
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}/w/api.php`,
    requests,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
