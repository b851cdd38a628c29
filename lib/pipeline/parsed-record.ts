/**
 * `parseRecord`: what one Kafka record is before anything is fetched — a page_change event to
 * enrich, one to pass through without content, or a record that can only become an error
 * event. Each case carries exactly the fields it has, so later steps need no `!`.
 */
import type { ApiEndpointResolver } from '../mediawiki/domain-allowlist.js';
import { passthroughReason, type PassthroughReason } from './enrich.js';
import type { DecodedRecord } from '../event-source/kafka-event.js';
import {
  decodeUtf8,
  erroredFieldsOf,
  parsePageChange,
  type ErroredFields,
  type PageChangeEvent,
} from './page-change.js';

interface Event {
  readonly record: DecodedRecord;
  readonly text: string;
  readonly event: PageChangeEvent;
  /** The input's own fields, taken before enrichment rewrites `meta`. */
  readonly fields: ErroredFields;
}

export type ParsedRecord =
  /** Not UTF-8 (`text` undefined), not JSON, or not a page_change event. */
  | {
      readonly kind: 'unparsable';
      readonly record: DecodedRecord;
      readonly text: string | undefined;
      readonly error: Error;
    }
  /** A page_change event that must not be fetched (its domain is not allowed). */
  | (Event & { readonly kind: 'refused'; readonly error: Error })
  /** A page_change event that carries no content (canary, delete, content hidden at the source). */
  | (Event & { readonly kind: 'passthrough'; readonly reason: PassthroughReason })
  /** A page_change event whose revision content is fetched from `domain`. */
  | (Event & { readonly kind: 'fetch'; readonly domain: string; readonly revId: number });

export function parseRecord(record: DecodedRecord, resolver: ApiEndpointResolver): ParsedRecord {
  let text: string | undefined;
  let event: PageChangeEvent;
  try {
    text = decodeUtf8(record.value);
    event = parsePageChange(text);
  } catch (err) {
    return { kind: 'unparsable', record, text, error: err as Error };
  }
  const parsed: Event = { record, text, event, fields: erroredFieldsOf(event) };
  const reason = passthroughReason(event);
  if (reason !== undefined) return { ...parsed, kind: 'passthrough', reason };
  try {
    resolver.endpointFor(event.meta.domain);
  } catch (err) {
    return { ...parsed, kind: 'refused', error: err as Error };
  }
  return { ...parsed, kind: 'fetch', domain: event.meta.domain, revId: event.revision.rev_id };
}
