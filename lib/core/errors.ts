/**
 * Every way a record can fail to become an enriched event, as a named class with a
 * stable `errorType`. The `errorType` is written to the error event's `error_type`
 * and documented in docs/record-journey.md (the failure table); renaming one is a breaking change for consumers.
 */
export abstract class EnrichError extends Error {
  abstract readonly errorType: string;
}

/** The Kafka record value is not valid UTF-8 or not JSON. */
export class InvalidJsonError extends EnrichError {
  readonly errorType = 'InvalidJson';
  override readonly name = 'InvalidJsonError';
}

/** The record parsed, but is not a page_change event enrichment can work with. */
export class InvalidEventError extends EnrichError {
  readonly errorType = 'InvalidEvent';
  override readonly name = 'InvalidEventError';
}

/** `meta.domain` is not a hostname matched by the allowlist: no request is made. */
export class DomainNotAllowedError extends EnrichError {
  readonly errorType = 'DomainNotAllowed';
  override readonly name = 'DomainNotAllowedError';
}

/** The API kept answering `badrevids` (replica lag, or the page/revision was deleted). */
export class RevisionMissingError extends EnrichError {
  readonly errorType = 'RevisionMissing';
  override readonly name = 'RevisionMissingError';
}

/** The revision's content was suppressed after the event was emitted (`texthidden`). */
export class ContentHiddenError extends EnrichError {
  readonly errorType = 'ContentHidden';
  override readonly name = 'ContentHiddenError';
}

/** Fetched content does not match the event's `content_sha1`/`content_size`. */
export class ContentIntegrityError extends EnrichError {
  readonly errorType = 'ContentIntegrityMismatch';
  override readonly name = 'ContentIntegrityError';
}

/** Connect or read timeout, connection reset, DNS failure: retried, then reported with this type. */
export class MediaWikiNetworkError extends EnrichError {
  readonly errorType = 'MediaWikiNetworkError';
  override readonly name = 'MediaWikiNetworkError';
}

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
export class MediaWikiMaxlagError extends EnrichError {
  readonly errorType = 'MediaWikiMaxlag';
  override readonly name = 'MediaWikiMaxlagError';
}

/** A 200 response with an API error other than maxlag, or a body that is not the expected JSON. */
export class MediaWikiApiError extends EnrichError {
  readonly errorType = 'MediaWikiApiError';
  override readonly name = 'MediaWikiApiError';
}

/** The enriched event is larger than the output topic accepts. */
export class MessageTooLargeError extends EnrichError {
  readonly errorType = 'MessageTooLarge';
  override readonly name = 'MessageTooLargeError';
}

/**
 * The enriched event does not conform to the `mediawiki/page/change` version it names, even after
 * dropping what that version does not declare (a required field missing, a wrong type).
 */
export class InvalidOutputEventError extends EnrichError {
  readonly errorType = 'InvalidOutputEvent';
  override readonly name = 'InvalidOutputEventError';
}

/**
 * Not an error event: the record could not be handled in this invocation through no fault of
 * its own (the wiki client failed unexpectedly, the producer lost its session). It is listed
 * in the partial batch response, so Lambda delivers it again.
 */
export class RetryLaterError extends Error {
  override readonly name: string = 'RetryLaterError';
}

/** A `RetryLaterError` because the invocation ran out of time before the record could be fetched or written. */
export class DeadlineExceededError extends RetryLaterError {
  override readonly name: string = 'DeadlineExceededError';
}

/**
 * Thrown by the handler when records were not written and the event source mapping does not read partial
 * batch responses (on-demand mode): a function error is then the only way to keep Lambda from committing them.
 */
export class UnwrittenRecordsError extends Error {
  override readonly name = 'UnwrittenRecordsError';
}
