/**
 * Pure enrichment rules: which events need content, and the enriched event for a
 * fetched revision. No I/O here; the batch pipeline supplies fetched revisions.
 */
import { jsonObjectOf } from '../core/json-text.js';
import { randomUUID } from 'node:crypto';
import type { EventConfig } from '../settings/config.js';
import { ContentIntegrityMismatchError } from './errors.js';
import type { ContentSlot, PageChangeEvent } from './page-change.js';
import type { FetchedRevision } from '../mediawiki/revision-content-client.js';
import { contentSha1Base36, sha1HexToBase36 } from '../mediawiki/sha1.js';

export type PassthroughReason = 'canary' | 'delete' | 'content-hidden';

/** Why an event goes out without content, or `undefined` when its content must be fetched. */
export function passthroughReason(event: PageChangeEvent): PassthroughReason | undefined {
  if (event.meta.domain === 'canary') return 'canary';
  if (event.page_change_kind === 'delete') return 'delete';
  if (event.revision.is_content_visible === false) return 'content-hidden';
  return undefined;
}

/** Sets the output meta: the event is re-emitted on the output stream, at production time, with a fresh id. */
export function setOutputMeta(event: PageChangeEvent, config: EventConfig, now: Date): void {
  event.meta = { ...event.meta, stream: config.outputStream, id: randomUUID(), dt: now.toISOString() };
  if (config.outputSchemaUri) event.$schema = config.outputSchemaUri;
}

/** Kafka message key of both streams, as Wikimedia keys them. */
export function messageKeyFor(wikiId: string, pageId: number): string {
  return JSON.stringify({ wiki_id: wikiId, page_id: pageId });
}

/** The message key of a record's text, or `null` when it is not an event with `wiki_id` and `page.page_id`. */
export function messageKeyForText(text: string): string | null {
  const e = jsonObjectOf(text) as { wiki_id?: unknown; page?: { page_id?: unknown } | null } | undefined;
  return typeof e?.wiki_id === 'string' && typeof e.page?.page_id === 'number'
    ? messageKeyFor(e.wiki_id, e.page.page_id)
    : null;
}

function normalizeSha1(base36: string): string {
  return base36.toLowerCase().padStart(31, '0');
}

/**
 * Sets `content_body` on every slot, creating slot entries the event lacks from the API's
 * metadata. Throws `ContentIntegrityMismatchError` when the body does not match the event.
 */
export function setContent(event: PageChangeEvent, revision: FetchedRevision): void {
  const existing = event.revision.content_slots ?? {};
  const slots: Record<string, ContentSlot> = {};
  for (const role of Object.keys(existing)) {
    if (!revision.slots.has(role)) {
      throw new ContentIntegrityMismatchError(
        `slot "${role}" of revision ${revision.revId} is in the event but not returned by the API`,
      );
    }
  }
  for (const [role, fetched] of revision.slots) {
    const slot: ContentSlot = existing[role] ? { ...existing[role] } : { slot_role: role };
    if (slot.content_sha1 !== undefined) {
      const actual = contentSha1Base36(fetched.content);
      if (actual !== normalizeSha1(slot.content_sha1)) {
        throw new ContentIntegrityMismatchError(
          `sha1 of fetched content of revision ${revision.revId} slot "${role}" is ${actual}, the event says ${slot.content_sha1}`,
        );
      }
    }
    if (slot.content_size !== undefined) {
      const bytes = Buffer.byteLength(fetched.content, 'utf8');
      if (bytes !== slot.content_size) {
        throw new ContentIntegrityMismatchError(
          `size of fetched content of revision ${revision.revId} slot "${role}" is ${bytes} bytes, the event says ${slot.content_size}`,
        );
      }
    }
    if (!existing[role]) {
      if (fetched.contentModel !== undefined) slot.content_model = fetched.contentModel;
      if (fetched.contentFormat !== undefined) slot.content_format = fetched.contentFormat;
      if (fetched.sha1Hex !== undefined) slot.content_sha1 = sha1HexToBase36(fetched.sha1Hex);
      slot.content_size = fetched.size ?? Buffer.byteLength(fetched.content, 'utf8');
    }
    slot.content_body = fetched.content;
    slots[role] = slot;
  }
  event.revision.content_slots = slots;
}
