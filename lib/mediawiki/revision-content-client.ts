/**
 * `revisionContentClient`: fetches revision content from the MediaWiki Action API,
 * many revisions per request, with the MediaWiki failure table:
 *
 * | failure                                  | retried | final error type            |
 * |------------------------------------------|---------|-----------------------------|
 * | connect/read timeout, reset              | yes     | MediaWikiNetworkError       |
 * | HTTP 408, 500, 502, 503, 504             | yes     | MediaWikiHttp*              |
 * | HTTP 204, 3xx, other 4xx, other 5xx      | no      | MediaWikiHttp*              |
 * | 200 with `badrevids` or revision absent  | yes     | RevisionMissing             |
 * | 200 with `maxlag` error                  | yes, after Retry-After | MediaWikiMaxlag  |
 * | `texthidden` slot                        | no      | ContentHidden               |
 *
 * Retries use full-jitter backoff (or a longer `Retry-After`) for a time budget counted
 * from a request's first failure. A request that fails for good is split in halves, each
 * asked once, down to single revisions, so one broken revision fails alone; the split stops
 * where both halves fail the way a failing wiki does. Redirects are never followed. No
 * attempt starts unless it can finish before the deadline; revisions the deadline leaves
 * unresolved resolve to `DeadlineExceededError` (the caller reports them as batch item
 * failures so Lambda redelivers them).
 */
import { gunzip } from 'node:zlib';
import { promisify } from 'node:util';
import { Agent, request } from './undici-slim.js';
import type { MediaWikiApiConfig } from '../settings/config.js';
import { apiEndpointResolver, type ApiEndpointResolver } from './domain-allowlist.js';
import {
  ContentHiddenError,
  DeadlineExceededError,
  type EnrichError,
  MediaWikiApiError,
  MediaWikiHttpError,
  MediaWikiMaxlagError,
  MediaWikiNetworkError,
  RevisionMissingError,
} from '../core/errors.js';
import { backoffMs, concurrencyLimit, type Deadline, retryAfterMs, sleep } from '../core/retry.js';

const gunzipAsync = promisify(gunzip);

export interface SlotContent {
  readonly role: string;
  readonly content: string;
  readonly contentModel?: string;
  readonly contentFormat?: string;
  /** Hex SHA-1 as the API reports it. */
  readonly sha1Hex?: string;
  readonly size?: number;
}

export interface FetchedRevision {
  readonly revId: number;
  readonly pageId: number;
  readonly slots: ReadonlyMap<string, SlotContent>;
}

export type RevisionResult =
  | { readonly ok: true; readonly revision: FetchedRevision }
  | { readonly ok: false; readonly error: EnrichError | DeadlineExceededError };

export interface RevisionContentClient {
  /**
   * Content of every revision id of one wiki; one result per distinct id. Never rejects for
   * per-revision failures. `onResults` hears each request's revisions as soon as they are
   * settled, so callers can start producing before the last request returns.
   */
  fetchRevisions(
    domain: string,
    revIds: readonly number[],
    deadline: Deadline,
    requestId?: string,
    onResults?: (results: ReadonlyMap<number, RevisionResult>) => void,
  ): Promise<Map<number, RevisionResult>>;
  readonly stats: ClientStats;
  close(): Promise<void>;
}

export interface ClientStats {
  requests: number;
  responseBytes: number;
  retries: number;
}

/** Long enough for typical replica lag (seconds), short enough to leave the invocation time to produce. */
export const DEFAULT_RETRY_BUDGET_MS = 10_000;

/**
 * What a failure says about the revisions asked for, which decides whether splitting the
 * request can help: `wiki` says nothing about them (the wiki or the way to it is failing),
 * `unclear` may be one revision or the wiki (a timeout, a 5xx), `request` came from the wiki
 * processing this request (an API error, a request too large), `each` is already per revision.
 */
type FailureScope = 'wiki' | 'unclear' | 'request' | 'each';

/** A failure of one attempt that the table says to retry. */
class RetryableFailure extends Error {
  constructor(
    readonly cause: EnrichError,
    readonly scope: FailureScope,
    readonly retryAfterMs?: number,
  ) {
    super(cause.message);
  }
}

/** A failure of one attempt that the table says not to retry. */
class FinalFailure extends Error {
  constructor(
    readonly cause: EnrichError,
    readonly scope: FailureScope,
  ) {
    super(cause.message);
  }
}

/** Why revisions of a request are left unfetched. */
/** What every request of one `fetchRevisions` call shares: where, for which wiki, until when, and where results go. */
interface FetchScope {
  readonly endpoint: URL;
  readonly domain: string;
  readonly results: Map<number, RevisionResult>;
  readonly deadline: Deadline;
  readonly requestId: string | undefined;
}

type Unsettled =
  | { readonly kind: 'final'; readonly error: EnrichError; readonly scope: FailureScope }
  | { readonly kind: 'deadline' };

interface ApiPage {
  pageid?: number;
  revisions?: ApiRevision[];
}
interface ApiRevision {
  revid: number;
  slots?: Record<
    string,
    {
      content?: string;
      contentmodel?: string;
      contentformat?: string;
      sha1?: string;
      size?: number;
      texthidden?: boolean;
      textmissing?: boolean;
    }
  >;
}
interface ApiResponse {
  error?: { code?: string; info?: string };
  continue?: Record<string, string>;
  query?: { pages?: ApiPage[]; badrevids?: Record<string, unknown> | unknown[] };
}

/** Retried, as the MediaWiki failure table says (408 included: a connection timeout). */
const RETRYABLE_STATUS = new Set([408, 500, 502, 503, 504]);
/** Statuses about the request itself (malformed, too large), which a smaller request may avoid. */
const REQUEST_STATUS = new Set([400, 413, 414, 431]);
/** Failures before the request reached the wiki. */
const CONNECT_CODES = new Set([
  'UND_ERR_CONNECT_TIMEOUT',
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
]);
const NETWORK_CODES = new Set([
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  'UND_ERR_SOCKET',
  'UND_ERR_CLOSED',
  'ECONNRESET',
  'ECONNREFUSED',
  'EPIPE',
  'ETIMEDOUT',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
]);

export interface RevisionContentClientOptions {
  readonly resolver?: ApiEndpointResolver;
  readonly random?: () => number;
}

export function revisionContentClient(
  config: MediaWikiApiConfig,
  opts: RevisionContentClientOptions = {},
): RevisionContentClient {
  const resolver = opts.resolver ?? apiEndpointResolver(config.urlTemplate, config.allowedDomains);
  const random = opts.random ?? Math.random;
  const agent = new Agent({
    connections: config.connections,
    connect: { timeout: config.connectTimeoutMs },
    headersTimeout: config.timeoutMs,
    bodyTimeout: config.timeoutMs,
    keepAliveTimeout: 30_000,
  });
  const limit = concurrencyLimit(config.concurrency);
  const stats: ClientStats = { requests: 0, responseBytes: 0, retries: 0 };
  const retryBudgetMs = config.retryBudgetMs ?? DEFAULT_RETRY_BUDGET_MS;

  async function callApi(
    { endpoint, domain, deadline, requestId }: FetchScope,
    revIds: readonly number[],
    cont: Record<string, string>,
  ): Promise<ApiResponse> {
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
    stats.requests++;
    let response: Awaited<ReturnType<typeof request>>;
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
    let body: Buffer;
    try {
      body = Buffer.from(await response.body.arrayBuffer());
    } catch (err) {
      throw networkFailure(err, url);
    }
    stats.responseBytes += body.length;
    if (response.statusCode !== 200) {
      const error = new MediaWikiHttpError(
        response.statusCode,
        `MediaWiki API ${url.host} answered HTTP ${response.statusCode}`,
      );
      if (RETRYABLE_STATUS.has(response.statusCode)) {
        throw new RetryableFailure(error, 'unclear', retryAfterMs(response.headers['retry-after']));
      }
      throw new FinalFailure(error, REQUEST_STATUS.has(response.statusCode) ? 'request' : 'wiki');
    }
    if (response.headers['content-encoding'] === 'gzip') {
      try {
        body = await gunzipAsync(body);
      } catch (err) {
        const error = new MediaWikiNetworkError(`truncated gzip body from ${url.host}: ${(err as Error).message}`);
        throw new RetryableFailure(error, 'unclear');
      }
    }
    let json: ApiResponse;
    try {
      json = JSON.parse(body.toString('utf8')) as ApiResponse;
    } catch {
      // An HTML error page says as little about the revisions as a 5xx does.
      const error = new MediaWikiApiError(`MediaWiki API ${url.host} answered 200 with a body that is not JSON`);
      throw new FinalFailure(error, 'unclear');
    }
    if (!isApiResponse(json)) {
      // Without this, `null` or a formatversion=1 `pages` object throws a TypeError that rejects the whole batch.
      const error = new MediaWikiApiError(
        `MediaWiki API ${url.host} answered 200 with JSON that is not an Action API query response`,
      );
      throw new FinalFailure(error, 'unclear');
    }
    if (json.error) {
      if (json.error.code === 'maxlag') {
        throw new RetryableFailure(
          new MediaWikiMaxlagError(`MediaWiki API ${url.host} refused with maxlag: ${json.error.info ?? ''}`.trim()),
          'wiki',
          retryAfterMs(response.headers['retry-after']) ?? 1000,
        );
      }
      const code = json.error.code ?? 'unknown';
      const error = new MediaWikiApiError(`MediaWiki API ${url.host} error ${code}: ${json.error.info ?? ''}`.trim());
      throw new FinalFailure(error, 'request');
    }
    return json;
  }

  function networkFailure(err: unknown, url: URL): RetryableFailure {
    const e = err as { code?: string; name?: string; message?: string; cause?: { code?: string } };
    const code = e.code ?? e.cause?.code ?? e.name ?? 'unknown';
    const timedOut = e.name === 'TimeoutError' || e.name === 'AbortError' || /TIMEOUT/.test(code);
    const known = NETWORK_CODES.has(code) || timedOut;
    return new RetryableFailure(
      new MediaWikiNetworkError(
        `${timedOut ? 'timeout' : 'network error'} calling ${url.host}: ${known ? code : `${code} ${e.message ?? ''}`.trim()}`,
      ),
      CONNECT_CODES.has(code) ? 'wiki' : 'unclear',
    );
  }

  /** One attempt for a set of revisions, following `continue` until the result is complete. */
  async function attempt(scope: FetchScope, pending: Set<number>): Promise<EnrichError | undefined> {
    const { domain, results } = scope;
    const ids = [...pending];
    let cont: Record<string, string> = {};
    for (let page = 0; page < 1000; page++) {
      const json = await limit(() => callApi(scope, ids, cont));
      for (const p of json.query?.pages ?? []) {
        for (const rev of p.revisions ?? []) {
          if (!pending.has(rev.revid)) continue;
          const result = revisionResultFor(rev, p.pageid ?? 0, domain);
          if (result === undefined) continue; // content held back for a continuation
          results.set(rev.revid, result);
          pending.delete(rev.revid);
        }
      }
      if (!json.continue || pending.size === 0) break;
      cont = json.continue;
    }
    if (pending.size === 0) return undefined;
    return new RevisionMissingError(
      `revision not returned by ${domain} (badrevids: deleted, suppressed, or not yet replicated)`,
    );
  }

  /**
   * Attempts for `pending` until every revision is settled or the failure is final. With
   * `retry`, retryable failures are retried with full-jitter backoff (or `Retry-After`, when
   * longer) while the retry budget, counted from the first failure, and the deadline allow.
   * Returns why revisions are left in `pending`, or `undefined` when none are.
   */
  async function attempts(scope: FetchScope, pending: Set<number>, retry: boolean): Promise<Unsettled | undefined> {
    const { deadline } = scope;
    let failedSince: number | undefined;
    for (let n = 0; ; n++) {
      if (n === 0 && deadline.remainingMs() <= 0) return { kind: 'deadline' };
      let failure: { error: EnrichError; scope: FailureScope; retryAfterMs?: number };
      try {
        const missing = await attempt(scope, pending);
        if (missing === undefined) return undefined;
        // Replica lag: `badrevids` is retried like a transient failure, for these revisions only.
        failure = { error: missing, scope: 'each' };
      } catch (err) {
        if (err instanceof RetryableFailure) {
          if (deadlineInterrupted(err.cause, deadline)) return { kind: 'deadline' };
          failure = { error: err.cause, scope: err.scope, retryAfterMs: err.retryAfterMs };
        } else if (err instanceof FinalFailure) {
          return { kind: 'final', error: err.cause, scope: err.scope };
        } else {
          throw err;
        }
      }
      if (!retry) return { kind: 'final', error: failure.error, scope: failure.scope };
      failedSince ??= Date.now();
      const wait = Math.max(backoffMs(n, config.retryBaseMs, config.retryMaxMs, random), failure.retryAfterMs ?? 0);
      const spent = Date.now() - failedSince;
      if (spent + wait > retryBudgetMs || (config.maxRetries !== undefined && n >= config.maxRetries)) {
        return { kind: 'final', error: retriesExhausted(failure.error, n, spent), scope: failure.scope };
      }
      // Not the wiki's fault: what the deadline leaves unresolved is redelivered, not errored.
      if (deadline.remainingMs() < wait + Math.min(config.timeoutMs, 1000)) return { kind: 'deadline' };
      await sleep(wait);
      stats.retries++;
    }
  }

  /**
   * Settles revisions a request could not fetch. A final failure of a request for several
   * revisions splits it in halves, each asked once, and so on down to single revisions, so
   * only revisions that fail on their own become error events; when both halves fail the way
   * a failing wiki does (not for reasons of their own), the split stops there.
   */
  async function settleUnfetched(
    scope: FetchScope,
    pending: Set<number>,
    unsettled: Unsettled,
    splitFrom?: number,
  ): Promise<void> {
    const { deadline } = scope;
    const splittable = unsettled.kind === 'final' && (unsettled.scope === 'unclear' || unsettled.scope === 'request');
    if (splittable && pending.size > 1) {
      if (deadline.remainingMs() < Math.min(config.timeoutMs, 1000)) {
        return settle(scope, pending, { kind: 'deadline' });
      }
      const ids = [...pending];
      const middle = Math.ceil(ids.length / 2);
      const halves = [new Set(ids.slice(0, middle)), new Set(ids.slice(middle))];
      const ask = (half: Set<number>) => attempts(scope, half, false);
      const outcomes = await Promise.all(halves.map(ask));
      const failedHalves = halves.flatMap((half, i) => (outcomes[i] ? [{ half, outcome: outcomes[i] }] : []));
      const likeAFailingWiki = (u: Unsettled) => u.kind === 'final' && (u.scope === 'wiki' || u.scope === 'unclear');
      const wikiFailing = failedHalves.length === 2 && failedHalves.every((h) => likeAFailingWiki(h.outcome));
      if (wikiFailing) {
        // Splitting further would multiply requests to a failing wiki: the request's own failure stands.
        for (const { half } of failedHalves) settle(scope, half, unsettled);
        return;
      }
      await Promise.all(failedHalves.map(({ half, outcome }) => settleUnfetched(scope, half, outcome, ids.length)));
      return;
    }
    if (unsettled.kind === 'final' && splitFrom !== undefined && pending.size === 1 && unsettled.scope !== 'each') {
      const found = `revision ${[...pending][0]} fails alone, found by splitting a request for ${splitFrom} revisions`;
      unsettled.error.message = `${unsettled.error.message} (${found})`;
    }
    settle(scope, pending, unsettled);
  }

  function settle({ domain, results }: FetchScope, pending: ReadonlySet<number>, unsettled: Unsettled) {
    for (const id of pending) {
      const error =
        unsettled.kind === 'final'
          ? unsettled.error
          : new DeadlineExceededError(`invocation deadline reached before revision ${id} of ${domain} was fetched`);
      results.set(id, { ok: false, error });
    }
  }

  async function fetchChunk(scope: FetchScope, chunk: readonly number[]): Promise<void> {
    const pending = new Set(chunk);
    const unsettled = await attempts(scope, pending, true);
    if (unsettled) await settleUnfetched(scope, pending, unsettled);
  }

  /** An attempt cut short by the deadline is not the wiki's fault: report it for redelivery. */
  function deadlineInterrupted(error: EnrichError, deadline: Deadline): boolean {
    return deadline.remainingMs() <= 0 && error instanceof MediaWikiNetworkError;
  }

  function retriesExhausted(error: EnrichError, retries: number, spentMs: number): EnrichError {
    error.message = `${error.message} (after ${retries} retries in ${spentMs} ms)`;
    return error;
  }

  return {
    stats,
    async fetchRevisions(domain, revIds, deadline, requestId, onResults) {
      const results = new Map<number, RevisionResult>();
      const scope: FetchScope = { endpoint: resolver.endpointFor(domain), domain, results, deadline, requestId };
      const unique = [...new Set(revIds)];
      const chunks: number[][] = [];
      for (let i = 0; i < unique.length; i += config.batchSize) chunks.push(unique.slice(i, i + config.batchSize));
      await Promise.all(
        chunks.map(async (chunk) => {
          await fetchChunk(scope, chunk);
          onResults?.(new Map(chunk.map((id) => [id, results.get(id)!])));
        }),
      );
      return results;
    },
    async close() {
      await agent.close();
    },
  };
}

const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

/** The shape `attempt` and `revisionResultFor` walk: anything else would throw a TypeError there. */
function isApiResponse(json: unknown): json is ApiResponse {
  if (!isObject(json)) return false;
  if (json.error !== undefined && !isObject(json.error)) return false;
  if (json.continue !== undefined && !isObject(json.continue)) return false;
  if (json.query === undefined) return true;
  if (!isObject(json.query)) return false;
  const pages = json.query.pages;
  if (pages === undefined) return true;
  if (!Array.isArray(pages)) return false;
  return pages.every(
    (p) =>
      isObject(p) &&
      (p.revisions === undefined ||
        (Array.isArray(p.revisions) &&
          p.revisions.every(
            (r) =>
              isObject(r) && (r.slots === undefined || (isObject(r.slots) && Object.values(r.slots).every(isObject))),
          ))),
  );
}

function revisionResultFor(rev: ApiRevision, pageId: number, domain: string): RevisionResult | undefined {
  const slots = new Map<string, SlotContent>();
  for (const [role, slot] of Object.entries(rev.slots ?? {})) {
    if (slot.texthidden) {
      return {
        ok: false,
        error: new ContentHiddenError(`content of revision ${rev.revid} on ${domain} is hidden (slot ${role})`),
      };
    }
    if (slot.textmissing) {
      return {
        ok: false,
        error: new MediaWikiApiError(
          `content of revision ${rev.revid} on ${domain} is missing from storage (slot ${role})`,
        ),
      };
    }
    // A revision without content in a continued response: the body comes with a later page.
    if (typeof slot.content !== 'string') return undefined;
    slots.set(role, {
      role,
      content: slot.content,
      contentModel: slot.contentmodel,
      contentFormat: slot.contentformat,
      sha1Hex: slot.sha1,
      size: slot.size,
    });
  }
  if (slots.size === 0) return undefined;
  return { ok: true, revision: { revId: rev.revid, pageId, slots } };
}
