/**
 * The size of an enriched event's message, known without serializing its content (issue 21: the
 * size check stringified every body only to count its bytes). JSON escaping only grows a string:
 * a body's UTF-8 length is a lower bound of its serialized size, and six times it an upper bound
 * (a control character, one byte, becomes `\u00XX`; an unpaired surrogate, counted as three bytes,
 * becomes six). Where the upper bound fits the limit, the event fits; only near the limit is the
 * event serialized to measure it exactly.
 */
import type { PageChangeEvent } from './page-change.js';

/** Escaped JSON bytes per UTF-8 byte of a string, at most. */
const MAX_JSON_ESCAPE_GROWTH = 6;

export interface MessageSize {
  /** Exact UTF-8 bytes of key and serialized event, or (when `exact` is false) a lower bound within a few percent. */
  readonly bytes: number;
  readonly exact: boolean;
}

/**
 * The message size of `event` with key `key`, exact where it could exceed `maxBytes`.
 * @param exactBodyBytes serialized sizes of bodies measured exactly in this invocation (events share bodies).
 */
export function enrichedMessageSize(
  event: PageChangeEvent,
  key: string,
  maxBytes: number,
  exactBodyBytes: Map<string, number>,
): MessageSize {
  const slots = event.revision.content_slots;
  const keyBytes = Buffer.byteLength(key, 'utf8');
  if (!slots) return { bytes: Buffer.byteLength(JSON.stringify(event), 'utf8') + keyBytes, exact: true };
  const bodies: string[] = [];
  const emptied: Record<string, unknown> = {};
  for (const [role, slot] of Object.entries(slots)) {
    if (typeof slot.content_body === 'string') {
      bodies.push(slot.content_body);
      emptied[role] = { ...slot, content_body: '' };
    } else emptied[role] = slot;
  }
  const shell = JSON.stringify({ ...event, revision: { ...event.revision, content_slots: emptied } });
  const fixed = Buffer.byteLength(shell, 'utf8') + keyBytes;
  let utf8 = 0;
  for (const body of bodies) utf8 += Buffer.byteLength(body, 'utf8');
  if (fixed + MAX_JSON_ESCAPE_GROWTH * utf8 <= maxBytes) return { bytes: fixed + utf8, exact: false };
  let exact = fixed;
  for (const body of bodies) {
    let n = exactBodyBytes.get(body);
    if (n === undefined) exactBodyBytes.set(body, (n = Buffer.byteLength(JSON.stringify(body), 'utf8') - 2));
    exact += n;
  }
  return { bytes: exact, exact: true };
}

/** Drops an event's content once its message is written: a batch then holds few bodies at once. */
export function releaseContent(event: PageChangeEvent): void {
  for (const slot of Object.values(event.revision.content_slots ?? {})) delete slot.content_body;
}
