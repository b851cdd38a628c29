/**
 * Test helpers backed by a REAL local MediaWiki (see scripts/mediawiki/).
 *
 *   const { apiUrl } = await ensureMediaWiki();   // setup + start if needed (or MW_API_URL)
 *   const rev = await createRevision('Page', 'text');
 *
 * All writes go through one shared, logged-in Admin session. Reads through `anonymousQuery`
 * see what an anonymous API consumer (like the enrichment Lambda) sees.
 */
import {
  ensureMediaWiki as ensure,
  MediaWikiClient,
  type MediaWikiInstance,
  type StoredRevision,
} from '../../scripts/mediawiki/lib.js';

export { DevWikiApiError, MediaWikiClient } from '../../scripts/mediawiki/lib.js';
export type { MediaWikiInstance, StoredRevision } from '../../scripts/mediawiki/lib.js';

let admin: Promise<MediaWikiClient> | undefined;

export function ensureMediaWiki(): Promise<MediaWikiInstance> {
  return ensure();
}

/** The shared Admin client (logs in lazily, once per process). */
export function adminClient(): Promise<MediaWikiClient> {
  admin ??= ensure().then(({ apiUrl }) => MediaWikiClient.admin(apiUrl));
  admin.catch(() => {
    admin = undefined;
  });
  return admin;
}

/**
 * New revision of `title` with `text`; returns the stored metadata read back from the API.
 * `text` in the result is the stored text (MediaWiki trims trailing whitespace, NFC-normalises).
 */
export async function createRevision(
  title: string,
  text: string,
  summary?: string,
): Promise<{ pageId: number; revId: number; sha1Hex: string; size: number; text: string }> {
  const {
    pageId,
    revId,
    sha1Hex,
    size,
    text: stored,
  } = await (await adminClient()).createRevision(title, text, summary);
  return { pageId, revId, sha1Hex, size, text: stored };
}

export async function deletePage(title: string): Promise<void> {
  await (await adminClient()).deletePage(title);
}

export async function hideRevisionContent(revId: number): Promise<void> {
  await (await adminClient()).hideRevisionContent(revId);
}

/** Stored main-slot wikitext, exactly as the API returns it (readable by Admin even when hidden). */
export async function revisionContent(revId: number): Promise<string> {
  return (await adminClient()).revisionContent(revId);
}

/** Full stored revision as Admin sees it, or null if the API reports it in badrevids. */
export async function storedRevision(revId: number): Promise<StoredRevision | null> {
  return (await adminClient()).revision(revId);
}

/**
 * Raw `action=query` GET without a session (format=json&formatversion=2 added), for asserting
 * on exactly what MediaWiki answers, e.g. `badrevids` and `texthidden`.
 */
export async function anonymousQuery(params: Record<string, string | number>): Promise<any> {
  const { apiUrl } = await ensure();
  return new MediaWikiClient(apiUrl).get({ action: 'query', ...params });
}

/** A title unique to this run, so tests never collide with each other or with earlier runs. */
export function uniqueTitle(prefix = 'Test'): string {
  return `${prefix} ${Date.now().toString(36)} ${Math.random().toString(36).slice(2, 8)}`;
}
