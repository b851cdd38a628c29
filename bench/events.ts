/** page_change events and MSK-shaped Lambda events for seeded revisions. */
import { randomUUID } from 'node:crypto';
import { sha1HexToBase36 } from '../lib/mediawiki/sha1.js';
import { DEFAULT_TOPICS } from '../lib/settings/catalogue.js';
import { kafkaEsmEventFor } from '../scripts/lib/esm-event.js';
import { pageChangeEvent } from '../scripts/lib/page-change-events.js';
import type { SeededRevision } from './seed.js';

/** The bench wiki answers for any domain under this suffix (MW_API_ALLOWED_DOMAINS=*.bench.wiki.local). */
export const BENCH_DOMAIN = 'en.bench.wiki.local';

/** A page_change event for a seeded revision, with the slot sha1/size the function verifies. */
export function eventFor(rev: SeededRevision, domain = BENCH_DOMAIN): Record<string, unknown> {
  const title = rev.title.replaceAll(' ', '_');
  const event = pageChangeEvent({
    domain,
    wikiId: 'enwiki',
    pageId: rev.pageId,
    title,
    revId: rev.revId,
  });
  const sha1 = sha1HexToBase36(rev.sha1Hex);
  const revision = event.revision as Record<string, unknown>;
  revision.rev_sha1 = sha1;
  revision.rev_size = rev.size;
  revision.content_slots = {
    main: {
      slot_role: 'main',
      content_model: rev.contentModel,
      content_format: rev.contentModel === 'javascript' ? 'text/javascript' : 'text/x-wiki',
      content_sha1: sha1,
      content_size: rev.size,
      origin_rev_id: rev.revId,
    },
  };
  const meta = event.meta as Record<string, unknown>;
  meta.id = randomUUID();
  meta.uri = `https://${domain}/wiki/${encodeURIComponent(title)}`;
  return event;
}

/**
 * Wikis the bench wiki answers for: a revision under two of them is two revisions to the function
 * (fetched and held once per wiki), so a batch can hold more distinct revisions than were seeded.
 */
export const BENCH_DOMAINS = ['en', 'de', 'fr', 'ja'].map((lang) => BENCH_DOMAIN.replace(/^en\./, `${lang}.`));

/**
 * The Lambda event of an MSK event source mapping carrying one page_change record per revision, the
 * revisions repeated under the first `domains` of BENCH_DOMAINS (all on the first by default).
 */
export function mskEventJson(revisions: readonly SeededRevision[], domains = 1): string {
  const records = BENCH_DOMAINS.slice(0, domains).flatMap((domain, d) =>
    revisions.map((rev, i) => ({
      topic: DEFAULT_TOPICS.input,
      partition: 0,
      offset: d * revisions.length + i,
      key: JSON.stringify({ wiki_id: 'enwiki', page_id: rev.pageId }),
      value: JSON.stringify(eventFor(rev, domain)),
    })),
  );
  return JSON.stringify(kafkaEsmEventFor(records, { eventSource: 'aws:kafka' }));
}
