/**
 * `errorEventFor`: the error event (schema `error/2.1.0`) for a record that could not be
 * enriched. It carries the original record so nothing is lost, and a stable `error_type`.
 */
import { randomUUID } from 'node:crypto';
import type { EventConfig } from '../settings/config.js';
import { erroredEventFields, type ErroredFields } from './page-change.js';

/** Keeps an error event well under any topic limit; the full record stays at its source offset. */
export const RAW_EVENT_MAX_CHARS = 256 * 1024;

export interface ErrorEvent {
  $schema: string;
  meta: { stream: string; id: string; dt: string; domain?: string };
  dt: string;
  emitter_id: string;
  raw_event: string;
  errored_schema_uri?: string;
  errored_stream_name?: string;
  message: string;
  error_type: string;
  stack?: string;
}

export interface ErroredRecord {
  /** The record value as text, or `undefined` when it was not UTF-8. */
  readonly text?: string;
  /** The raw bytes, used when `text` is undefined. */
  readonly bytes?: Buffer | null;
  /** Fields taken when the record was parsed; spares parsing `text` again. */
  readonly fields?: ErroredFields;
}

export function errorTypeOf(error: Error): string {
  const typed = (error as { errorType?: unknown }).errorType;
  return typeof typed === 'string'
    ? typed
    : `Unexpected${error.name && error.name !== 'Error' ? `:${error.name}` : 'Error'}`;
}

function rawEventOf(record: ErroredRecord): string {
  if (record.text !== undefined) {
    return record.text.length > RAW_EVENT_MAX_CHARS
      ? `${record.text.slice(0, RAW_EVENT_MAX_CHARS)}…[truncated: ${record.text.length} chars in all]`
      : record.text;
  }
  if (!record.bytes || record.bytes.length === 0) return '';
  // Not UTF-8: keep the exact bytes, base64-encoded and labelled as such.
  const b64 = record.bytes.subarray(0, Math.floor((RAW_EVENT_MAX_CHARS * 3) / 4)).toString('base64');
  return `base64:${b64}${record.bytes.length * 4 > RAW_EVENT_MAX_CHARS * 3 ? `…[truncated: ${record.bytes.length} bytes in all]` : ''}`;
}

export function errorEventFor(
  error: Error,
  record: ErroredRecord,
  config: EventConfig,
  now: Date = new Date(),
): ErrorEvent {
  const fields = record.fields ?? erroredEventFields(record.text);
  const dt = now.toISOString();
  const event: ErrorEvent = {
    $schema: config.errorSchemaUri,
    meta: { stream: config.errorStream, id: randomUUID(), dt },
    dt,
    emitter_id: config.emitterId,
    raw_event: rawEventOf(record),
    message: error.message || error.name,
    error_type: errorTypeOf(error),
  };
  if (fields.domain && fields.domain.length > 0) event.meta.domain = fields.domain;
  if (fields.schemaUri !== undefined) event.errored_schema_uri = fields.schemaUri;
  if (fields.stream !== undefined) event.errored_stream_name = fields.stream;
  if (error.stack) event.stack = error.stack;
  return event;
}
