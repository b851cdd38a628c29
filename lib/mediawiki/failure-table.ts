/**
 * The MediaWiki failure table: which failure of one Action API attempt is retried, and what it
 * says about the revisions asked for.
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
 * `badrevids` and `texthidden` are per revision, decided where the response is read; every
 * other row is classified here, as a `RetryableFailure` or a `FinalFailure`.
 */
import type { EnrichError } from '../core/errors.js';
import { MediaWikiApiError, MediaWikiHttpError, MediaWikiMaxlagError, MediaWikiNetworkError } from './errors.js';
import { retryAfterMs } from '../core/retry.js';

/**
 * What a failure says about the revisions asked for, which decides whether splitting the
 * request can help: `wiki` says nothing about them (the wiki or the way to it is failing),
 * `unclear` may be one revision or the wiki (a timeout, a 5xx), `request` came from the wiki
 * processing this request (an API error, a request too large), `each` is already per revision.
 */
export type FailureScope = 'wiki' | 'unclear' | 'request' | 'each';

/** A failure of one attempt that the table says to retry. */
export class RetryableFailure extends Error {
  constructor(
    readonly cause: EnrichError,
    readonly scope: FailureScope,
    readonly retryAfterMs?: number,
  ) {
    super(cause.message);
  }
}

/** A failure of one attempt that the table says not to retry. */
export class FinalFailure extends Error {
  constructor(
    readonly cause: EnrichError,
    readonly scope: FailureScope,
  ) {
    super(cause.message);
  }
}

/** Retried, as the MediaWiki failure table says (408 included: a connection timeout). */
const RETRYABLE_STATUS = new Set([408, 500, 502, 503, 504]);
/** Whether the table retries an answer of this HTTP status (the schema repository client follows it too). */
export function isRetryableStatus(statusCode: number): boolean {
  return RETRYABLE_STATUS.has(statusCode);
}

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

type RetryAfterHeader = string | string[] | undefined;

/** A request that did not get a whole answer: timeouts, resets and refusals are retried. */
export function networkFailure(err: unknown, url: URL): RetryableFailure {
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

/** Any status but 200: 408 and 500/502/503/504 are retried, every other one is final. */
export function httpStatusFailure(
  statusCode: number,
  retryAfter: RetryAfterHeader,
  host: string,
): RetryableFailure | FinalFailure {
  const error = new MediaWikiHttpError(statusCode, `MediaWiki API ${host} answered HTTP ${statusCode}`);
  if (isRetryableStatus(statusCode)) {
    return new RetryableFailure(error, 'unclear', retryAfterMs(retryAfter));
  }
  return new FinalFailure(error, REQUEST_STATUS.has(statusCode) ? 'request' : 'wiki');
}

/** A gzip body cut short arrived like a reset connection: retried. */
export function truncatedGzipFailure(err: unknown, host: string): RetryableFailure {
  const error = new MediaWikiNetworkError(`truncated gzip body from ${host}: ${(err as Error).message}`);
  return new RetryableFailure(error, 'unclear');
}

/** A 200 whose body is not JSON. An HTML error page says as little about the revisions as a 5xx does. */
export function notJsonFailure(host: string): FinalFailure {
  const error = new MediaWikiApiError(`MediaWiki API ${host} answered 200 with a body that is not JSON`);
  return new FinalFailure(error, 'unclear');
}

/** A 200 with JSON of another shape (`null`, a formatversion=1 `pages` object). */
export function notQueryResponseFailure(host: string): FinalFailure {
  const error = new MediaWikiApiError(
    `MediaWiki API ${host} answered 200 with JSON that is not an Action API query response`,
  );
  return new FinalFailure(error, 'unclear');
}

/** A 200 carrying an API `error`: `maxlag` is retried after Retry-After (1 s without one); any other code is final. */
export function apiErrorFailure(
  apiError: { code?: string; info?: string },
  retryAfter: RetryAfterHeader,
  host: string,
): RetryableFailure | FinalFailure {
  if (apiError.code === 'maxlag') {
    return new RetryableFailure(
      new MediaWikiMaxlagError(`MediaWiki API ${host} refused with maxlag: ${apiError.info ?? ''}`.trim()),
      'wiki',
      retryAfterMs(retryAfter) ?? 1000,
    );
  }
  const code = apiError.code ?? 'unknown';
  const error = new MediaWikiApiError(`MediaWiki API ${host} error ${code}: ${apiError.info ?? ''}`.trim());
  return new FinalFailure(error, 'request');
}
