/**
 * undici's Agent and request(), imported from their own modules. The package index also
 * loads fetch, WebSocket, EventSource, caching and mocking, which more than doubles the
 * function's bundle (and its cold start) for code this function never runs. The undici
 * version is pinned in package.json because these paths are internal; every MediaWiki
 * test goes through them.
 */
import type { Agent as AgentType, Dispatcher } from 'undici';
import AgentModule from 'undici/lib/dispatcher/agent.js';
import requestModule from 'undici/lib/api/api-request.js';

export type Agent = AgentType;
export const Agent = AgentModule as unknown as typeof AgentType;

type Request = (this: Dispatcher, options: Dispatcher.RequestOptions) => Promise<Dispatcher.ResponseData>;

export function request(
  dispatcher: Dispatcher,
  url: URL,
  options: { method: Dispatcher.HttpMethod; headers: Record<string, string>; signal?: AbortSignal },
): Promise<Dispatcher.ResponseData> {
  return (requestModule as unknown as Request).call(dispatcher, {
    origin: url.origin,
    path: `${url.pathname}${url.search}`,
    method: options.method,
    headers: options.headers,
    signal: options.signal,
  });
}
