/** The ways fetching a revision from the MediaWiki Action API fails, each with its stable `errorType`. */
import { EnrichError, enrichErrorOf } from '../core/errors.js';

/** `meta.domain` is not a hostname matched by the allowlist: no request is made. */
export class DomainNotAllowedError extends enrichErrorOf('DomainNotAllowed') {}

/** The API kept answering `badrevids` (replica lag, or the page/revision was deleted). */
export class RevisionMissingError extends enrichErrorOf('RevisionMissing') {}

/** The revision's content was suppressed after the event was emitted (`texthidden`). */
export class ContentHiddenError extends enrichErrorOf('ContentHidden') {}

/** Connect or read timeout, connection reset, DNS failure: retried, then reported with this type. */
export class MediaWikiNetworkError extends enrichErrorOf('MediaWikiNetworkError') {}

/** An HTTP status other than 200 (204, 3xx, 4xx, 5xx); retried only for 408/500/502/503/504. */
export class MediaWikiHttpError extends EnrichError {
  readonly errorType: string;
  override readonly name = 'MediaWikiHttpError';
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.errorType = httpErrorTypeFor(status);
  }
}

function httpErrorTypeFor(status: number): string {
  if (status === 204) return 'MediaWikiHttpNoContent';
  if (status >= 300 && status < 400) return 'MediaWikiHttpRedirect';
  if (status >= 400 && status < 500) return 'MediaWikiHttpClientError';
  return 'MediaWikiHttpServerError';
}

/** The API refused with `maxlag` (replication lag) on every attempt. */
export class MediaWikiMaxlagError extends enrichErrorOf('MediaWikiMaxlag') {}

/** A 200 response with an API error other than maxlag, or a body that is not the expected JSON. */
export class MediaWikiApiError extends enrichErrorOf('MediaWikiApiError') {}
