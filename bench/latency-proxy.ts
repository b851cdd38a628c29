/**
 * A slim HTTP proxy in front of the bench wiki that adds a fixed latency to every request and
 * counts requests and bytes. Run it as its own process so its CPU never shows up in the
 * function's measurements:
 *
 *   node --import tsx bench/latency-proxy.ts UPSTREAM_API_URL LATENCY_MS
 *
 * Prints `PORT=<n>` on stdout once listening. `GET /__bench/stats` answers the counters as JSON
 * (`?reset=1` resets them after answering); `POST /__bench/latency?ms=N` changes the added latency. Compression is passed through untouched
 * (accept-encoding in, content-encoding out), so byte counts are what travels on the wire; where the wiki
 * (php -S) sends a body uncompressed to a client that accepts gzip, the proxy gzips it at zlib's default
 * level, as the web server in front of a production wiki does.
 */
import { createServer } from 'node:http';
import { gzipSync } from 'node:zlib';
import type { AddressInfo } from 'node:net';
import { Agent, request } from 'undici';

export interface ProxyStats {
  requests: number;
  /** Revision ids asked for (sum over requests). */
  revids: number;
  /** Response body bytes as sent to the client (compressed when the wiki compressed). */
  responseBytes: number;
  /** Time from forwarding to the end of the wiki's response, ms (sum and samples). */
  upstreamMsTotal: number;
  upstreamMs: number[];
  inFlightMax: number;
  errors: number;
}

function emptyStats(): ProxyStats {
  return { requests: 0, revids: 0, responseBytes: 0, upstreamMsTotal: 0, upstreamMs: [], inFlightMax: 0, errors: 0 };
}

async function main(): Promise<void> {
  const [upstreamArg, latencyArg] = process.argv.slice(2);
  if (!upstreamArg) throw new Error('usage: latency-proxy.ts UPSTREAM_API_URL [LATENCY_MS]');
  const upstream = new URL(upstreamArg);
  let latencyMs = Number(latencyArg ?? 50);
  const agent = new Agent({ connections: 64, keepAliveTimeout: 30_000, headersTimeout: 120_000, bodyTimeout: 120_000 });
  let stats = emptyStats();
  let inFlight = 0;

  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://proxy');
    if (url.pathname === '/__bench/stats') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(stats));
      if (url.searchParams.get('reset') === '1') stats = emptyStats();
      return;
    }
    if (url.pathname === '/__bench/latency') {
      latencyMs = Number(url.searchParams.get('ms'));
      res.writeHead(204).end();
      return;
    }
    stats.requests++;
    stats.revids += (url.searchParams.get('revids') ?? '').split('|').filter(Boolean).length;
    inFlight++;
    stats.inFlightMax = Math.max(stats.inFlightMax, inFlight);
    const run = async () => {
      if (latencyMs > 0) await new Promise((r) => setTimeout(r, latencyMs));
      const target = new URL(upstream);
      target.search = url.search;
      const t0 = performance.now();
      const headers: Record<string, string> = {};
      for (const h of ['user-agent', 'accept', 'accept-encoding', 'x-request-id']) {
        const v = req.headers[h];
        if (typeof v === 'string') headers[h] = v;
      }
      const up = await request(target, { method: 'GET', headers, dispatcher: agent });
      const out: Record<string, string> = {};
      for (const h of ['content-type', 'content-encoding', 'retry-after']) {
        const v = up.headers[h];
        if (typeof v === 'string') out[h] = v;
      }
      // Read the whole body before writing it on: pausing undici's parser for a slow client while
      // php -S closes the connection trips an uncatchable assertion in undici 7 (nodejs/undici#5360).
      let body = Buffer.from(await up.body.arrayBuffer());
      if (!out['content-encoding'] && /\bgzip\b/.test(headers['accept-encoding'] ?? '') && body.length > 1024) {
        body = gzipSync(body);
        out['content-encoding'] = 'gzip';
      }
      stats.responseBytes += body.length;
      res.writeHead(up.statusCode, out);
      res.end(body);
      const ms = performance.now() - t0;
      stats.upstreamMsTotal += ms;
      stats.upstreamMs.push(Math.round(ms * 10) / 10);
    };
    run()
      .catch((err) => {
        stats.errors++;
        if (!res.headersSent) res.writeHead(502, { 'content-type': 'text/plain' });
        res.end(String(err));
      })
      .finally(() => inFlight--);
  });
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  process.stdout.write(`PORT=${(server.address() as AddressInfo).port}\n`);
  const stop = () => server.close(() => process.exit(0));
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  process.on('disconnect', stop);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
