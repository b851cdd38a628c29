/**
 * One Action API request for revision content: the query URL, the headers, and the undici call
 * bounded by the request timeout and the invocation deadline. Returns the answer's status,
 * headers and body bytes; an answer that never arrives whole is a network failure of the
 * failure table (`failure-table.ts`). Redirects are never followed (undici's `request` does not).
 */
import type { Dispatcher } from 'undici';
import type { MediaWikiApiConfig } from '../settings/config.js';
import type { Deadline } from '../core/deadline.js';
import { networkFailure } from './failure-table.js';
import { Agent, request } from './undici-slim.js';

/** Where and for whom a request goes, and until when it may run. */
export interface RequestTarget {
  readonly endpoint: URL;
  /** The wiki's domain, already through the allowlist. */
  readonly domain: string;
  readonly deadline: Deadline;
  /** Sent as `X-Request-Id`; unset sends none. */
  readonly requestId: string | undefined;
}

/** An answer read to its end, whatever its status. */
export interface ApiAnswer {
  readonly url: URL;
  readonly statusCode: number;
  readonly headers: Dispatcher.ResponseData['headers'];
  readonly body: Buffer;
}

export interface ActionApiRequester {
  /** Asks for the content of `revIds`, continuing from `cont`. Rejects with a `RetryableFailure` on network failure. */
  get(target: RequestTarget, revIds: readonly number[], cont: Record<string, string>): Promise<ApiAnswer>;
  close(): Promise<void>;
}

export function actionApiRequester(config: MediaWikiApiConfig): ActionApiRequester {
  const agent = new Agent({
    connections: config.connections,
    connect: { timeout: config.connectTimeoutMs },
    headersTimeout: config.timeoutMs,
    bodyTimeout: config.timeoutMs,
    keepAliveTimeout: 30_000,
  });

  return {
    async get({ endpoint, domain, deadline, requestId }, revIds, cont) {
      const url = new URL(endpoint);
      const params: Record<string, string> = {
        action: 'query',
        prop: 'revisions',
        revids: revIds.join('|'),
        rvprop: 'ids|content|contentmodel|slotsha1|slotsize',
        rvslots: '*',
        formatversion: '2',
        format: 'json',
        maxlag: String(config.maxlag),
        ...cont,
      };
      for (const [k, v] of Object.entries(params)) url.searchParams.set(k, v);
      // Whole milliseconds: undici throws ERR_OUT_OF_RANGE for a fractional timeout.
      const timeout = Math.max(1, Math.floor(Math.min(config.timeoutMs, deadline.remainingMs())));
      let response: Dispatcher.ResponseData;
      try {
        response = await request(agent, url, {
          method: 'GET',
          // X-Request-Id ties the wiki's logs (and test proxies) to the Lambda invocation.
          headers: {
            'user-agent': config.userAgent,
            'accept-encoding': 'gzip',
            accept: 'application/json',
            ...(requestId ? { 'x-request-id': requestId } : {}),
            // A service mesh proxy behind one fixed URL picks the wiki by Host; `domain` passed the allowlist.
            ...(config.hostHeader === 'domain' ? { host: domain } : {}),
          },
          signal: AbortSignal.timeout(timeout),
        });
      } catch (err) {
        throw networkFailure(err, url);
      }
      try {
        const body = Buffer.from(await response.body.arrayBuffer());
        return { url, statusCode: response.statusCode, headers: response.headers, body };
      } catch (err) {
        throw networkFailure(err, url);
      }
    },
    async close() {
      await agent.close();
    },
  };
}
