/** The ways the pipeline itself fails a record (input, integrity, output), each with its stable `errorType`. */
import { enrichErrorOf } from '../core/errors.js';

/** The Kafka record value is not valid UTF-8 or not JSON. */
export class InvalidJsonError extends enrichErrorOf('InvalidJson') {}

/** The record parsed, but is not a page_change event enrichment can work with. */
export class InvalidEventError extends enrichErrorOf('InvalidEvent') {}

/** Fetched content does not match the event's `content_sha1`/`content_size`. */
export class ContentIntegrityMismatchError extends enrichErrorOf('ContentIntegrityMismatch') {}

/** The enriched event is larger than the output topic accepts. */
export class MessageTooLargeError extends enrichErrorOf('MessageTooLarge') {}

/**
 * The enriched event does not conform to the `mediawiki/page/change` version it names, even after
 * dropping what that version does not declare (a required field missing, a wrong type).
 */
export class InvalidOutputEventError extends enrichErrorOf('InvalidOutputEvent') {}

/**
 * Thrown by the handler when records were not written and the event source mapping does not read partial
 * batch responses (on-demand mode): a function error is then the only way to keep Lambda from committing them.
 */
export class UnwrittenRecordsError extends Error {
  override readonly name = 'UnwrittenRecordsError';
}
