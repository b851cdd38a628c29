/**
 * The loud stop for a position older than the stream's history. Resuming at a timestamp always
 * sends the last written event again (the server starts at its millisecond); when the first event
 * of a resumed connection is not one already written, the server no longer had the position and
 * started at the oldest event it keeps: everything in between is gone. The ingest never jumps
 * silently; the message says how much was lost and how to start again.
 */
import { HistoryTooOldError } from './errors.js';

/** Public captures of `mediawiki.page_change.v1` (September 2026): about 19 events per second. */
export const TYPICAL_EVENTS_PER_SECOND = 19;

function span(ms: number): string {
  const minutes = Math.round(ms / 60_000);
  if (minutes < 120) return `${minutes} minutes`;
  const hours = ms / 3_600_000;
  return hours < 48 ? `${hours.toFixed(1)} hours` : `${(hours / 24).toFixed(1)} days`;
}

export function historyTooOld(
  lastWrittenDt: string | undefined,
  firstAvailableDt: string | undefined,
  lastEventId: string | undefined,
): HistoryTooOldError {
  const from = lastWrittenDt === undefined ? Number.NaN : Date.parse(lastWrittenDt);
  const to = firstAvailableDt === undefined ? Number.NaN : Date.parse(firstAvailableDt);
  const lost =
    Number.isFinite(from) && Number.isFinite(to) && to > from
      ? `events from ${lastWrittenDt} to ${firstAvailableDt} are lost: ${span(to - from)}, about ${Math.round(
          ((to - from) / 1000) * TYPICAL_EVENTS_PER_SECOND,
        ).toLocaleString('en')} events at ${TYPICAL_EVENTS_PER_SECOND} events/s`
      : `events after ${lastWrittenDt ?? 'the last one written'} up to ${firstAvailableDt ?? 'the first one the stream sent'} are lost`;
  const restart = firstAvailableDt ?? 'a time the stream still keeps';
  return new HistoryTooOldError(
    `The position in the input topic (${lastEventId ?? 'unknown id'}) is older than the stream's history: ${lost}. ` +
      `Nothing was written. To start again from the oldest event the stream keeps, accepting the gap, set since to ` +
      `${restart} (npm run ingest -- --since ${restart}; in the stack: ingest.since) and run again.`,
    lastWrittenDt,
    firstAvailableDt,
  );
}
