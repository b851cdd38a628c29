/**
 * The Kafka timestamp of an enriched record. Wikimedia's sink stamps each record with its event
 * time (eventutilities' `KafkaRecordTimestampStrategy.ROW_EVENT_TIME`: the row's `dt`), so
 * downstream partitions by event time however late a record is produced (replay, redrive).
 * `meta.dt` stays the production time.
 */
import type { DecodedRecord } from '../event-source/kafka-event.js';
import type { PageChangeEvent } from './page-change.js';

/**
 * ms since the epoch: the event's `dt`; where it is missing or not a date, the input record's own
 * timestamp; `undefined` (the producer's clock) with `mode` `produce`, or when neither is known.
 */
export function outputTimestamp(
  event: Pick<PageChangeEvent, 'dt'>,
  record: Pick<DecodedRecord, 'timestamp'>,
  mode: 'event' | 'produce' = 'event',
): number | undefined {
  if (mode === 'produce') return undefined;
  const dt = typeof event.dt === 'string' ? Date.parse(event.dt) : Number.NaN;
  if (Number.isFinite(dt)) return dt;
  return record.timestamp !== undefined && Number.isFinite(record.timestamp) ? record.timestamp : undefined;
}
