/**
 * The headers that link a redriven record to where it was redriven from (lib/redrive/selection.ts writes them).
 * The pipeline carries each of them from its input record to every message made from it, so a redriven event
 * that fails again keeps its lineage and its redrive count.
 */
export const REDRIVE_HEADERS = {
  /** How many times this event has been redriven, this time included. */
  count: 'redrive_count',
  /** Topic, partition and offset of the error event / on-failure record it was redriven from. */
  fromTopic: 'redrive_from_topic',
  fromPartition: 'redrive_from_partition',
  fromOffset: 'redrive_from_offset',
  /** `error_type` of the error event, or the failure condition of the on-failure record. */
  errorType: 'redrive_error_type',
} as const;

/**
 * Input headers carried to every message made from the record: the redrive lineage. Named one by one, so a
 * producer of the input topic cannot make the pipeline copy other headers.
 */
export const CARRIED_HEADERS: ReadonlySet<string> = new Set(Object.values(REDRIVE_HEADERS));
