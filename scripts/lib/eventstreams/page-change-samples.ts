/**
 * The stand-in's page_change events. Two sets:
 *
 * - `production`: shaped like `mediawiki.page_change.v1` as public EventStreams captures show it
 *   (`$schema` `/mediawiki/page/change/1.12.0`, Wikidata items whose main slot is `wikibase-item`
 *   JSON, Commons files with `main` + `mediainfo` slots, page moves that leave a redirect
 *   (`created_redirect_page`), redirects (`page.redirect_page_link`), `prior_state` on edits), across
 *   several wikis. The project's own samples: made-up pages, users and hashes, in that shape.
 * - `demo`: the shipped samples (samples/page-change-events.jsonl) with fresh ids and times, whose
 *   revisions the demo wiki has, so `local:esm --demo-wiki` enriches them.
 *
 * Deterministic: event `i` is the same in every run (ids derive from `i`).
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';

export type SampleSet = 'production' | 'demo';

/** A UUID-shaped id derived from a name: the same event gets the same `meta.id` in every run. */
export function stableUuid(name: string): string {
  const h = createHash('sha256').update(name).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

const base36Sha1 = (name: string) =>
  BigInt(`0x${createHash('sha1').update(name).digest('hex')}`)
    .toString(36)
    .padStart(31, '0');

interface Wiki {
  readonly wikiId: string;
  readonly domain: string;
}
const WIKIS: readonly Wiki[] = [
  { wikiId: 'enwiki', domain: 'en.wikipedia.org' },
  { wikiId: 'wikidatawiki', domain: 'www.wikidata.org' },
  { wikiId: 'commonswiki', domain: 'commons.wikimedia.org' },
  { wikiId: 'dewiki', domain: 'de.wikipedia.org' },
  { wikiId: 'frwiktionary', domain: 'fr.wiktionary.org' },
];

function editor(i: number) {
  const bot = i % 5 === 0;
  return {
    user_id: 1000 + (i % 97),
    user_text: bot ? `SampleBot${i % 7}` : `Sample editor ${i % 97}`,
    groups: bot ? ['bot', '*', 'user', 'autoconfirmed'] : ['*', 'user', 'autoconfirmed'],
    is_bot: bot,
    is_system: false,
    is_temp: false,
    edit_count: 10 + (i % 5000),
    registration_dt: '2021-03-04T05:06:07Z',
    user_central_id: 5000 + (i % 97),
  };
}

function slot(role: string, model: string, format: string, name: string, size: number, revId: number) {
  return {
    slot_role: role,
    content_model: model,
    content_sha1: base36Sha1(name),
    content_size: size,
    content_format: format,
    origin_rev_id: revId,
  };
}

/** A production-shaped page_change event; `dt` is the event time (ISO), `metaDt` when it was emitted. */
export function productionEvent(i: number, dt: string, metaDt: string): Record<string, unknown> {
  const wiki = WIKIS[i % WIKIS.length]!;
  const pageId = 100 + ((i * 7919) % 400); // a few hundred pages: many events per key
  const revId = 2_000_000 + i;
  const size = 2000 + ((i * 31) % 3000);
  const slots: Record<string, unknown> =
    wiki.wikiId === 'wikidatawiki'
      ? { main: slot('main', 'wikibase-item', 'application/json', `Q${pageId}/${revId}`, size, revId) }
      : wiki.wikiId === 'commonswiki'
        ? {
            main: slot('main', 'wikitext', 'text/x-wiki', `File:${pageId}/${revId}`, size, revId),
            mediainfo: slot(
              'mediainfo',
              'wikibase-mediainfo',
              'application/json',
              `M${pageId}/${revId}`,
              400 + (i % 300),
              revId,
            ),
          }
        : { main: slot('main', 'wikitext', 'text/x-wiki', `${wiki.wikiId}/${pageId}/${revId}`, size, revId) };
  const title =
    wiki.wikiId === 'wikidatawiki'
      ? `Q${pageId}`
      : wiki.wikiId === 'commonswiki'
        ? `File:Sample_${pageId}.jpg`
        : `Sample_page_${pageId}`;
  const kind = i % 23 === 0 ? 'move' : i % 11 === 0 ? 'create' : 'edit';
  const isRedirect = kind === 'edit' && i % 13 === 0;
  const revision = {
    rev_id: revId,
    rev_dt: dt,
    is_minor_edit: i % 3 === 0,
    rev_sha1: base36Sha1(`rev/${revId}`),
    rev_size: size,
    ...(kind === 'create' ? {} : { rev_parent_id: revId - 1 }),
    comment: kind === 'move' ? `moved page to [[${title}_(moved)]]` : `sample edit ${i}`,
    editor: editor(i),
    is_content_visible: true,
    is_editor_visible: true,
    is_comment_visible: true,
    content_slots: slots,
  };
  const page: Record<string, unknown> = {
    page_id: pageId,
    page_title: kind === 'move' ? `${title}_(moved)` : title,
    namespace_id: wiki.wikiId === 'commonswiki' ? 6 : wiki.wikiId === 'wikidatawiki' ? 0 : 0,
    is_redirect: isRedirect,
  };
  if (isRedirect)
    page.redirect_page_link = {
      page_title: `Sample_target_${pageId}`,
      namespace_id: 0,
      is_redirect: false,
      page_id: pageId + 1,
    };
  const event: Record<string, unknown> = {
    $schema: '/mediawiki/page/change/1.12.0',
    changelog_kind: kind === 'create' ? 'insert' : 'update',
    page_change_kind: kind,
    dt,
    wiki_id: wiki.wikiId,
    meta: {
      domain: wiki.domain,
      stream: 'mediawiki.page_change.v1',
      uri: `https://${wiki.domain}/wiki/${encodeURIComponent(String(page.page_title))}`,
      request_id: stableUuid(`request/${i}`),
      id: stableUuid(`event/${i}`),
      dt: metaDt,
    },
    page,
    performer: editor(i),
    revision,
  };
  if (kind === 'edit') {
    event.prior_state = {
      revision: { ...revision, rev_id: revId - 1, rev_sha1: base36Sha1(`rev/${revId - 1}`), comment: 'earlier' },
    };
  } else if (kind === 'move') {
    event.prior_state = { page: { page_title: title } };
    event.created_redirect_page = {
      page_id: 10_000 + pageId,
      page_title: title,
      namespace_id: page.namespace_id,
      is_redirect: true,
    };
  }
  return event;
}

let demoTemplates: Record<string, unknown>[] | undefined;

/** The shipped samples that are JSON events, read once. */
function demoSamples(): Record<string, unknown>[] {
  demoTemplates ??= readFileSync(
    path.join(import.meta.dirname, '..', '..', '..', 'samples', 'page-change-events.jsonl'),
    'utf8',
  )
    .split('\n')
    .flatMap((line) => {
      try {
        const e = JSON.parse(line) as Record<string, unknown>;
        return typeof e === 'object' && e !== null ? [e] : [];
      } catch {
        return [];
      }
    });
  return demoTemplates;
}

/** A demo-wiki sample with a fresh `meta.id` and times. */
export function demoEvent(i: number, dt: string, metaDt: string): Record<string, unknown> {
  const samples = demoSamples();
  const template = structuredClone(samples[i % samples.length]!);
  template.dt = dt;
  template.meta = { ...(template.meta as object), id: stableUuid(`event/${i}`), dt: metaDt };
  return template;
}

export function sampleEvent(set: SampleSet, i: number, dt: string, metaDt: string): Record<string, unknown> {
  return set === 'demo' ? demoEvent(i, dt, metaDt) : productionEvent(i, dt, metaDt);
}
