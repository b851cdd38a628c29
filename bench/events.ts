/** page_change events and MSK-shaped Lambda events for seeded revisions. */
import { randomUUID } from 'node:crypto';
import { sha1HexToBase36 } from '../lib/mediawiki/sha1.js';
import { DEFAULT_TOPICS } from '../lib/settings/catalogue.js';
import { kafkaEsmEventFor } from '../scripts/lib/esm-event.js';
import { pageChangeEvent } from '../test/support/events.js';
import type { SeededRevision } from './seed.js';

/** The bench wiki answers for any domain under this suffix (MW_API_ALLOWED_DOMAINS=*.bench.wiki.local). */
export const BENCH_DOMAIN = 'en.bench.wiki.local';

/** A page_change event for a seeded revision, with the slot sha1/size the function verifies. */
export function eventFor(rev: SeededRevision): Record<string, unknown> {
  const title = rev.title.replaceAll(' ', '_');
  const event = pageChangeEvent({
    domain: BENCH_DOMAIN,
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
  meta.uri = `https://${BENCH_DOMAIN}/wiki/${encodeURIComponent(title)}`;
  return event;
}

/** The Lambda event of an MSK event source mapping carrying one page_change record per revision. */
export function mskEventJson(revisions: readonly SeededRevision[]): string {
  const records = revisions.map((rev, i) => ({
    topic: DEFAULT_TOPICS.input,
    partition: 0,
    offset: i,
    key: JSON.stringify({ wiki_id: 'enwiki', page_id: rev.pageId }),
    value: JSON.stringify(eventFor(rev)),
  }));
  return JSON.stringify(kafkaEsmEventFor(records, { eventSource: 'aws:kafka' }));
}
