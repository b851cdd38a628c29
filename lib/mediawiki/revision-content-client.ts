/**
 * `revisionContentClient`: fetches revision content from the MediaWiki Action API,
 * many revisions per request, retrying as the MediaWiki failure table says (`failure-table.ts`;
 * the request is `action-api-request.ts`, reading its answer `action-api-response.ts`).
 *
 * Retries use full-jitter backoff (or a longer `Retry-After`) for a time budget counted
 * from a request's first failure. A request that fails for good is split in halves, each
 * asked once, down to single revisions, so one broken revision fails alone; the split stops
 * where both halves fail the way a failing wiki does. Redirects are never followed. No
 * attempt starts unless it can finish before the deadline; revisions the deadline leaves
 * unresolved resolve to `DeadlineExceededError` (the caller reports them as batch item
 * failures so Lambda redelivers them).
 */
import type { MediaWikiApiConfig } from '../settings/config.js';
import { apiEndpointResolver, type ApiEndpointResolver } from './domain-allowlist.js';
import { DeadlineExceededError, type EnrichError } from '../core/errors.js';
import { MediaWikiNetworkError, RevisionMissingError } from './errors.js';
import { backoffMs, concurrencyLimit, sleep } from '../core/retry.js';
import type { Deadline } from '../core/deadline.js';
import { actionApiRequester, type RequestTarget } from './action-api-request.js';
import { parseApiResponse, type RevisionResult, revisionResultFor } from './action-api-response.js';
import {
  apiErrorFailure,
  type FailureScope,
  FinalFailure,
  httpStatusFailure,
  RetryableFailure,
} from './failure-table.js';

export type { FetchedRevision, RevisionResult, SlotContent } from './action-api-response.js';

/** One wiki's revisions to fetch, and where their results go. */
export interface RevisionRequest {
  readonly domain: string;
  readonly revIds: readonly number[];
  /** No request or retry starts that could not end before it; what it leaves unsettled is `DeadlineExceededError`. */
  readonly deadline: Deadline;
  /** The invocation's id, sent to MediaWiki as X-Request-Id. */
  readonly requestId?: string;
  /**
   * Hears each Action API request's revisions as soon as they are settled, so callers can produce
   * before the last request returns. Every distinct id of `revIds` is heard exactly once.
   */
  readonly onResults: (results: ReadonlyMap<number, RevisionResult>) => void;
}

export interface RevisionContentClient {
  /**
   * Content of every revision id of one wiki, reported through `onResults` only. Settles once every
   * id was reported; never rejects for per-revision failures.
   */
  fetchRevisions(request: RevisionRequest): Promise<void>;
  readonly stats: ClientStats;
  close(): Promise<void>;
}

/** Every result of `request` in one map, for callers that need them all at once (tools, tests). */
export async function fetchAllRevisions(
  client: RevisionContentClient,
  request: Omit<RevisionRequest, 'onResults'>,
): Promise<Map<number, RevisionResult>> {
  const all = new Map<number, RevisionResult>();
  await client.fetchRevisions({
    ...request,
    onResults: (results) => {
      for (const [id, r] of results) all.set(id, r);
    },
  });
  return all;
}

export interface ClientStats {
  requests: number;
  responseBytes: number;
  retries: number;
}

/** What every request of one `fetchRevisions` call shares: where, for which wiki, until when, and where results go. */
interface FetchScope extends RequestTarget {
  readonly results: Map<number, RevisionResult>;
}

/** Why revisions of a request are left unfetched. */
type Unsettled =
  | { readonly kind: 'final'; readonly error: EnrichError; readonly scope: FailureScope }
  | { readonly kind: 'deadline' };

/** The time the retry loop reads and waits on: its retry budget is counted on `now`, its backoff waits with `sleep`. */
export interface RetryClock {
  /** Milliseconds since the epoch. */
  now(): number;
  sleep(ms: number): Promise<void>;
}

/** The system's clock: `Date.now` and a timer. */
export const SYSTEM_CLOCK: RetryClock = { now: () => Date.now(), sleep };

export interface RevisionContentClientOptions {
  /** Where each wiki's API is; @default the resolver of `config.urlTemplate` and `config.allowedDomains` */
  readonly resolver?: ApiEndpointResolver;
  /** The jitter of backoff waits, in [0, 1); @default Math.random */
  readonly random?: () => number;
  /** @default SYSTEM_CLOCK; tests pass a virtual one, and deadlines that read it. */
  readonly clock?: RetryClock;
}

export function revisionContentClient(
  config: MediaWikiApiConfig,
  opts: RevisionContentClientOptions = {},
): RevisionContentClient {
  const resolver = opts.resolver ?? apiEndpointResolver(config.urlTemplate, config.allowedDomains);
  const random = opts.random ?? Math.random;
  const clock = opts.clock ?? SYSTEM_CLOCK;
  const requester = actionApiRequester(config);
  const limit = concurrencyLimit(config.concurrency);
  const stats: ClientStats = { requests: 0, responseBytes: 0, retries: 0 };

  async function callApi(scope: FetchScope, revIds: readonly number[], cont: Record<string, string>) {
    stats.requests++;
    const { url, statusCode, headers, body } = await requester.get(scope, revIds, cont);
    stats.responseBytes += body.length;
    if (statusCode !== 200) throw httpStatusFailure(statusCode, headers['retry-after'], url.host);
    const json = await parseApiResponse(body, headers['content-encoding'], url.host);
    if (json.error) throw apiErrorFailure(json.error, headers['retry-after'], url.host);
    return json;
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
      failedSince ??= clock.now();
      const wait = Math.max(backoffMs(n, config.retryBaseMs, config.retryMaxMs, random), failure.retryAfterMs ?? 0);
      const spent = clock.now() - failedSince;
      if (spent + wait > config.retryBudgetMs || (config.maxRetries !== undefined && n >= config.maxRetries)) {
        return { kind: 'final', error: retriesExhausted(failure.error, n, spent), scope: failure.scope };
      }
      // Not the wiki's fault: what the deadline leaves unresolved is redelivered, not errored.
      if (deadline.remainingMs() < wait + Math.min(config.timeoutMs, 1000)) return { kind: 'deadline' };
      await clock.sleep(wait);
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
    async fetchRevisions({ domain, revIds, deadline, requestId, onResults }) {
      const results = new Map<number, RevisionResult>();
      const scope: FetchScope = { endpoint: resolver.endpointFor(domain), domain, results, deadline, requestId };
      const unique = [...new Set(revIds)];
      const chunks: number[][] = [];
      for (let i = 0; i < unique.length; i += config.revisionsPerRequest)
        chunks.push(unique.slice(i, i + config.revisionsPerRequest));
      await Promise.all(
        chunks.map(async (chunk) => {
          await fetchChunk(scope, chunk);
          // Reported, then forgotten: the client keeps no content after a chunk is heard.
          const settled = new Map(chunk.map((id) => [id, results.get(id)!]));
          for (const id of chunk) results.delete(id);
          onResults(settled);
        }),
      );
    },
    async close() {
      await requester.close();
    },
  };
}
