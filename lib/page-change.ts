/**
 * Decode → parse → validate of one record value into a page_change event.
 * Validation is a tolerant reader: the project's own schema names only what
 * enrichment relies on, so newer minor versions with unknown fields pass.
 */
import { Ajv, type ErrorObject } from 'ajv';
import schema from './schemas/page-change-input.schema.json' with { type: 'json' };
import { InvalidEventError, InvalidJsonError } from './errors.js';

export interface ContentSlot {
  slot_role: string;
  content_model?: string;
  content_format?: string;
  content_sha1?: string;
  content_size?: number;
  content_body?: string;
  origin_rev_id?: number;
  [field: string]: unknown;
}

/** The fields enrichment reads; every other field is carried through untouched. */
export interface PageChangeEvent {
  $schema: string;
  dt: string;
  wiki_id: string;
  changelog_kind?: string;
  page_change_kind: string;
  meta: { stream: string; domain: string; id?: string; dt?: string; [field: string]: unknown };
  page: { page_id: number; page_title: string; [field: string]: unknown };
  revision: {
    rev_id: number;
    is_content_visible?: boolean;
    content_slots?: Record<string, ContentSlot>;
    [field: string]: unknown;
  };
  [field: string]: unknown;
}

// strictNumbers keeps Infinity/NaN (from 1e309) from passing as integers.
const ajv = new Ajv({ allErrors: false, strict: false, strictNumbers: true });
const validatePageChange = ajv.compile<PageChangeEvent>(schema);

const utf8 = new TextDecoder('utf-8', { fatal: true });

function describe(errors: ErrorObject[] | null | undefined): string {
  const first = errors?.[0];
  if (!first) return 'does not match the page_change schema';
  const where = first.instancePath === '' ? 'event' : first.instancePath;
  return `${where} ${first.message ?? 'is invalid'}`;
}

/** The value as text; throws `InvalidJsonError` for a missing value or invalid UTF-8. */
export function decodeUtf8(value: Buffer | null): string {
  if (value === null || value.length === 0) throw new InvalidJsonError('record has no value');
  try {
    return utf8.decode(value);
  } catch {
    throw new InvalidJsonError('record value is not valid UTF-8');
  }
}

/** Real events nest about six levels; far deeper input could not be serialised again without overflowing the stack. */
export const MAX_NESTING_DEPTH = 64;

/** Deepest bracket nesting outside JSON strings, stopping once past `limit`. */
export function nestingDepth(text: string, limit = MAX_NESTING_DEPTH): number {
  let depth = 0;
  let max = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x7b || c === 0x5b) {
      if (++depth > max && (max = depth) > limit) return max;
    } else if (c === 0x7d || c === 0x5d) depth--;
  }
  return max;
}

/** Parses and validates a record's text. Throws `InvalidJsonError` or `InvalidEventError`. */
export function parsePageChange(text: string): PageChangeEvent {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new InvalidJsonError(`record value is not JSON: ${(err as Error).message}`);
  }
  if (nestingDepth(text) > MAX_NESTING_DEPTH) {
    throw new InvalidEventError(`record value nests deeper than ${MAX_NESTING_DEPTH} levels`);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new InvalidEventError(`record value is JSON but not an object (${parsed === null ? 'null' : Array.isArray(parsed) ? 'array' : typeof parsed})`);
  }
  if (!validatePageChange(parsed)) {
    throw new InvalidEventError(`invalid page_change event: ${describe(validatePageChange.errors)}`);
  }
  const slots = parsed.revision.content_slots;
  if (slots) {
    for (const [role, slot] of Object.entries(slots)) {
      if (slot.slot_role !== role) {
        throw new InvalidEventError(`invalid page_change event: /revision/content_slots/${role}/slot_role is "${slot.slot_role}", expected "${role}"`);
      }
    }
  }
  return parsed;
}

/** What an error event names of the record it is about. */
export interface ErroredFields {
  schemaUri?: string;
  stream?: string;
  domain?: string;
}

/** The error-event fields of an already parsed value (an event, or anything else). */
export function erroredFieldsOf(parsed: unknown): ErroredFields {
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) return {};
  const obj = parsed as Record<string, unknown>;
  const meta = (obj.meta !== null && typeof obj.meta === 'object' ? obj.meta : {}) as Record<string, unknown>;
  const str = (v: unknown) => (typeof v === 'string' && v.length <= 1024 ? v : undefined);
  return { schemaUri: str(obj.$schema), stream: str(meta.stream), domain: str(meta.domain) };
}

/** Best-effort extraction of fields for an error event from text that may not be a valid event. */
export function erroredEventFields(text: string | undefined): ErroredFields {
  if (text === undefined) return {};
  try {
    return erroredFieldsOf(JSON.parse(text));
  } catch {
    return {};
  }
}
