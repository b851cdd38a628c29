/**
 * The contract of every way a record can fail to become an enriched event: a named class with a
 * stable `errorType`, written to the error event's `error_type` and documented in docs/record-journey.md
 * (the failure table); renaming one is a breaking change for consumers. Each class lives with the floor
 * that raises it (lib/mediawiki/errors.ts, lib/pipeline/errors.ts).
 */
export abstract class EnrichError extends Error {
  abstract readonly errorType: string;
}

/**
 * The base of an {@link EnrichError} class whose `errorType` is fixed:
 * `export class RevisionMissingError extends enrichErrorOf('RevisionMissing') {}`. Its `name` is the class's name,
 * written out because the function bundles are minified: the `errorType` with `Error` appended, unless it already
 * ends so (`MediaWikiApiError`). test/unit/error-classes.test.ts checks that each class is named so.
 */
export function enrichErrorOf<const T extends string>(errorType: T) {
  const name = errorType.endsWith('Error') ? errorType : `${errorType}Error`;
  return class extends EnrichError {
    readonly errorType: T = errorType;
    override readonly name: string = name;
  };
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
