/**
 * Content windows (issue 25): a batch's records cut into consecutive runs whose revisions, counted
 * by the sizes their events declare, fit a content budget. The pipeline fetches one window, produces
 * it in record order and releases its content before it fetches the next, so an invocation never
 * holds more fetched content than the budget, whatever the batch (up to 10,000 records, revisions of
 * 0 B to 2 MiB per slot). Pure: no I/O, no clock.
 */
import type { PageChangeEvent } from './page-change.js';

/**
 * Bytes assumed for a revision whose event declares no size (neither `content_size` on its slots nor
 * `rev_size`): MediaWiki's default `$wgMaxArticleSize`, 2 MiB, the most one slot can hold
 * (https://www.mediawiki.org/wiki/Manual:$wgMaxArticleSize).
 */
export const UNDECLARED_REVISION_BYTES = 2 * 1024 * 1024;

/**
 * The content bytes an event says its revision holds, before anything is fetched: the sum of its
 * slots' `content_size`, else `rev_size` (the revision's size, all slots), else
 * {@link UNDECLARED_REVISION_BYTES} per slot without a size.
 */
export function declaredContentBytes(event: PageChangeEvent): number {
  const slots = Object.values(event.revision.content_slots ?? {});
  const revSize = event.revision.rev_size;
  const sized = slots.every((s) => isSize(s.content_size));
  if ((slots.length === 0 || !sized) && isSize(revSize)) return revSize;
  if (slots.length === 0) return UNDECLARED_REVISION_BYTES;
  let bytes = 0;
  for (const slot of slots) bytes += isSize(slot.content_size) ? slot.content_size : UNDECLARED_REVISION_BYTES;
  return bytes;
}

const isSize = (n: unknown): n is number => typeof n === 'number' && Number.isFinite(n) && n >= 0;

/** A record whose revision is fetched: which revision, and the bytes its event declares. */
export interface WindowedRevision {
  readonly domain: string;
  readonly revId: number;
  readonly bytes: number;
}

/** Records `[start, end)` of a batch, and the declared bytes of their distinct revisions. */
export interface ContentWindow {
  readonly start: number;
  readonly end: number;
  readonly bytes: number;
}

/**
 * Cuts records (in batch order; `undefined` for a record that fetches nothing) into consecutive
 * windows covering all of them. A window's distinct revisions sum to at most `budgetBytes`, except a
 * window whose one revision alone is larger: that revision is fetched alone. A revision that occurs
 * twice in a window counts once; records that fetch nothing cost nothing and stay with the window
 * they fall in. Windows follow batch order, so producing them one after another keeps every
 * partition's order.
 */
export function contentWindows(
  records: ReadonlyArray<WindowedRevision | undefined>,
  budgetBytes: number,
): ContentWindow[] {
  const windows: ContentWindow[] = [];
  let start = 0;
  let bytes = 0;
  let revisions = new Map<string, Set<number>>();
  for (const [i, r] of records.entries()) {
    if (r === undefined || revisions.get(r.domain)?.has(r.revId)) continue;
    if (revisions.size > 0 && bytes + r.bytes > budgetBytes) {
      windows.push({ start, end: i, bytes });
      start = i;
      bytes = 0;
      revisions = new Map();
    }
    let ids = revisions.get(r.domain);
    if (!ids) revisions.set(r.domain, (ids = new Set()));
    ids.add(r.revId);
    bytes += r.bytes;
  }
  if (start < records.length) windows.push({ start, end: records.length, bytes });
  return windows;
}

/** The content an invocation holds: fetched bytes not yet released, and the most it ever held. */
export class HeldContent {
  private heldBytes = 0;
  private peakBytes = 0;

  /** Fetched content arrived. */
  add(bytes: number): void {
    this.heldBytes += bytes;
    if (this.heldBytes > this.peakBytes) this.peakBytes = this.heldBytes;
  }

  /** Fetched content was let go. */
  release(bytes: number): void {
    this.heldBytes -= bytes;
  }

  get held(): number {
    return this.heldBytes;
  }

  get peak(): number {
    return this.peakBytes;
  }
}
