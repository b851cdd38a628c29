/**
 * Regenerates the shipped sample events from the seeded demo wiki (maintainers only):
 *
 *   MW_DIR=.local/mediawiki-demo MW_PORT=8766 npx tsx scripts/mediawiki/seed.ts samples/wiki/manifest.json \
 *     | npx tsx scripts/make-samples.ts
 *
 * The demo wiki is installed fresh, so revision ids are deterministic; `npm run demo`
 * checks that the seeded wiki still matches these samples.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { messageKeyForText } from '../lib/pipeline/enrich.js';
import { kafkaEsmEventFor } from './lib/esm-event.js';
import { sha1HexToBase36 } from '../lib/mediawiki/sha1.js';
import { DEFAULT_TOPICS } from '../lib/settings/catalogue.js';

interface Seeded {
  title: string;
  page_id: number;
  rev_id: number;
  sha1_hex: string;
  size: number;
}
const seeded = JSON.parse(readFileSync(0, 'utf8')) as Seeded[];
const DOMAIN = 'dev.wiki.local';
const rev = (title: string, nth = -1) => seeded.filter((s) => s.title === title).at(nth)!;

function event(kind: string, s: Seeded, prior?: Seeded, overrides: Record<string, unknown> = {}) {
  const dt = '2026-11-25T09:00:00Z';
  const slot = {
    slot_role: 'main',
    content_model: 'wikitext',
    content_sha1: sha1HexToBase36(s.sha1_hex),
    content_size: s.size,
    content_format: 'text/x-wiki',
    origin_rev_id: s.rev_id,
  };
  const editor = {
    user_id: 1,
    user_text: 'Admin',
    groups: ['sysop', '*', 'user', 'autoconfirmed'],
    is_bot: false,
    is_system: false,
    is_temp: false,
    edit_count: 10,
    registration_dt: '2026-11-25T08:00:00Z',
  };
  const revision = (r: Seeded, parent?: Seeded) => ({
    rev_id: r.rev_id,
    rev_dt: dt,
    is_minor_edit: false,
    rev_sha1: sha1HexToBase36(r.sha1_hex),
    rev_size: r.size,
    ...(parent ? { rev_parent_id: parent.rev_id } : {}),
    comment: `${kind} of ${r.title}`,
    editor,
    is_content_visible: true,
    is_editor_visible: true,
    is_comment_visible: true,
    content_slots: {
      main: { ...slot, content_sha1: sha1HexToBase36(r.sha1_hex), content_size: r.size, origin_rev_id: r.rev_id },
    },
  });
  const title = s.title.replaceAll(' ', '_');
  return {
    $schema: '/mediawiki/page/change/1.2.0',
    changelog_kind: kind === 'create' ? 'insert' : kind === 'delete' ? 'delete' : 'update',
    page_change_kind: kind,
    dt,
    wiki_id: 'devwiki',
    meta: {
      domain: DOMAIN,
      stream: DEFAULT_TOPICS.input,
      uri: `http://${DOMAIN}/wiki/${title}`,
      request_id: randomUUID(),
      id: randomUUID(),
      dt: '2026-11-25T09:00:01.123Z',
    },
    page: { page_id: s.page_id, page_title: title, namespace_id: 0, is_redirect: false },
    performer: editor,
    revision: revision(s, prior),
    ...(prior ? { prior_state: { revision: revision(prior) } } : {}),
    ...overrides,
  };
}

const edit = event('edit', rev('Sample edit'), rev('Sample edit', 0));
const lines = [
  event('create', rev('Sample create')),
  edit,
  event('edit', rev('Sample unicode')),
  // An edit whose page was deleted before we read it: the API answers badrevids, the error topic records it.
  event('edit', rev('Sample deleted')),
  event('delete', rev('Sample deleted')),
  // Suppressed at the source: passes through without content.
  {
    ...event('edit', rev('Sample create')),
    revision: { ...event('edit', rev('Sample create')).revision, is_content_visible: false },
  },
  // Wikimedia canary events are passed through and never fetched.
  {
    ...event('edit', rev('Sample edit')),
    meta: { ...edit.meta, domain: 'canary', uri: 'https://canary/wiki/Sample_edit' },
  },
  // A domain outside MW_API_ALLOWED_DOMAINS is refused before any request.
  { ...event('edit', rev('Sample edit')), meta: { ...edit.meta, domain: '169.254.169.254' } },
].map((e) => JSON.stringify(e));
lines.push(`{"$schema": "/mediawiki/page/change/1.2.0", "meta": {"stream": "${DEFAULT_TOPICS.input}"}, "truncated`);

writeFileSync('samples/page-change-events.jsonl', `${lines.join('\n')}\n`);
const records = lines.map((value, offset) => ({
  topic: DEFAULT_TOPICS.input,
  partition: 0,
  offset,
  key: messageKeyForText(value),
  value,
}));
writeFileSync('samples/msk-event.json', `${JSON.stringify(kafkaEsmEventFor(records.slice(0, 3)), null, 2)}\n`);
writeFileSync(
  'samples/self-managed-kafka-event.json',
  `${JSON.stringify(
    kafkaEsmEventFor(
      records.slice(3).map((r, i) => ({ ...r, topic: `eqiad.${DEFAULT_TOPICS.input}`, partition: i % 2 })),
      { eventSource: 'SelfManagedKafka', bootstrapServers: '127.0.0.1:9092' },
    ),
    null,
    2,
  )}\n`,
);
