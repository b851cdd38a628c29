/** The ways the pipeline itself fails a record (input, integrity, output), each with its stable `errorType`. */
import { EnrichError } from '../core/errors.js';

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

/** Fetched content does not match the event's `content_sha1`/`content_size`. */
export class ContentIntegrityMismatchError extends EnrichError {
  readonly errorType = 'ContentIntegrityMismatch';
  override readonly name = 'ContentIntegrityMismatchError';
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
 * Thrown by the handler when records were not written and the event source mapping does not read partial
 * batch responses (on-demand mode): a function error is then the only way to keep Lambda from committing them.
 */
export class UnwrittenRecordsError extends Error {
  override readonly name = 'UnwrittenRecordsError';
}
