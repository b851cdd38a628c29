/**
 * Seed the local MediaWiki from a manifest (starts the wiki first unless MW_API_URL is set):
 *
 *   npx tsx scripts/mediawiki/seed.ts MANIFEST.json
 *
 * MANIFEST.json: { "pages": [ { "title": "...", "revisions": ["a.wikitext", ...], "delete": false } ] }
 * Revision files are relative to the manifest and are saved in order, then the page is deleted
 * if "delete" is true.
 *
 * Re-running is a no-op per page when its newest revisions (live, or deleted if "delete") already
 * hold the same texts in the same order; otherwise the revisions are saved again (new rev ids).
 *
 * stdout: JSON array, one entry per manifest revision:
 *   { title, page_id, rev_id, sha1_hex, size, created, deleted }
 * created=false means an existing revision was reused. Progress goes to stderr.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { ensureMediaWiki, MediaWikiClient, type StoredRevision } from './lib.js';

interface ManifestPage {
  title: string;
  revisions: string[];
  delete?: boolean;
}

interface SeededRevision {
  title: string;
  page_id: number;
  rev_id: number;
  sha1_hex: string;
  size: number;
  created: boolean;
  deleted: boolean;
}

/**
 * What MediaWiki will store for `text`, for comparing with existing revisions: it converts
 * \r\n and \r to \n, NFC-normalises, and PHP-rtrim()s. (Wikitext pre-save transforms such as
 * ~~~~ are not modelled; such pages are simply re-saved.)
 */
function asStored(text: string): string {
  return (
    text
      .replace(/\r\n?/g, '\n')
      .normalize('NFC')
      // biome-ignore lint/suspicious/noControlCharactersInRegex: MediaWiki trims NUL and VT from the end of a text
      .replace(/[ \t\n\r\0\x0B]+$/, '')
  );
}

function parseManifest(raw: unknown): ManifestPage[] {
  const pages = (raw as { pages?: unknown })?.pages;
  if (!Array.isArray(pages)) throw new Error('manifest: expected {"pages": [...]}');
  return pages.map((p, i) => {
    const page = p as Partial<ManifestPage>;
    if (typeof page.title !== 'string' || !Array.isArray(page.revisions) || page.revisions.length === 0) {
      throw new Error(`manifest: pages[${i}] needs "title" and a non-empty "revisions" array`);
    }
    if (!page.revisions.every((r) => typeof r === 'string')) {
      throw new Error(`manifest: pages[${i}].revisions must be file names`);
    }
    return { title: page.title, revisions: page.revisions, delete: page.delete === true };
  });
}

const sameTexts = (revs: StoredRevision[], texts: string[]): boolean =>
  revs.length === texts.length && revs.every((r, i) => r.text === texts[i]);

async function seedPage(client: MediaWikiClient, page: ManifestPage, baseDir: string): Promise<SeededRevision[]> {
  const texts = await Promise.all(page.revisions.map((f) => readFile(path.resolve(baseDir, f), 'utf8')));
  const wanted = texts.map(asStored);
  const n = wanted.length;
  const out = (revs: StoredRevision[], created: boolean | boolean[], deleted: boolean): SeededRevision[] =>
    revs.map((r, i) => ({
      title: page.title,
      page_id: r.pageId,
      rev_id: r.revId,
      sha1_hex: r.sha1Hex,
      size: r.size,
      created: Array.isArray(created) ? created[i] === true : created,
      deleted,
    }));

  const live = await client.latestRevisions(page.title, n);
  if (sameTexts(live, wanted)) {
    if (!page.delete) {
      console.error(`[seed] ${page.title}: up to date`);
      return out(live, false, false);
    }
    await client.deletePage(page.title, 'seed: delete');
    console.error(`[seed] ${page.title}: existing revisions reused, page deleted`);
    return out(live, false, true);
  }
  if (page.delete && live.length === 0) {
    const archived = await client.deletedRevisions(page.title, n);
    if (sameTexts(archived, wanted)) {
      console.error(`[seed] ${page.title}: already seeded and deleted`);
      return out(archived, false, true);
    }
  }

  const saved: StoredRevision[] = [];
  const created: boolean[] = [];
  let last = live.at(-1);
  for (const [i, text] of texts.entries()) {
    // Saving the current text again makes no revision in MediaWiki ("nochange"): reuse it.
    const isNew = last?.text !== wanted[i];
    if (isNew) last = await client.createRevision(page.title, text, `seed: ${page.revisions[i]}`);
    saved.push(last!);
    created.push(isNew);
  }
  if (page.delete) await client.deletePage(page.title, 'seed: delete');
  const count = created.filter(Boolean).length;
  console.error(`[seed] ${page.title}: ${count} revision(s) saved${page.delete ? ', page deleted' : ''}`);
  return out(saved, created, page.delete === true);
}

async function main(): Promise<void> {
  const manifestPath = process.argv[2];
  if (!manifestPath) {
    console.error('usage: npx tsx scripts/mediawiki/seed.ts MANIFEST.json');
    process.exit(2);
  }
  const pages = parseManifest(JSON.parse(await readFile(manifestPath, 'utf8')));
  const { apiUrl } = await ensureMediaWiki();
  console.error(`[seed] wiki: ${apiUrl}`);
  const client = MediaWikiClient.admin(apiUrl);
  const results: SeededRevision[] = [];
  // Sequential on purpose: revision order within and across pages stays deterministic.
  for (const page of pages) results.push(...(await seedPage(client, page, path.dirname(path.resolve(manifestPath)))));
  process.stdout.write(`${JSON.stringify(results, null, 2)}\n`);
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? (err.stack ?? err.message) : err);
  process.exit(1);
});
