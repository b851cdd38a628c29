/** Builders of page_change events and Kafka ESM events for tests. */
import { kafkaEsmEventFor } from './esm-event.js';
import { contentSha1Base36 } from '../../lib/mediawiki/sha1.js';

export interface PageChangeOptions {
  domain?: string;
  wikiId?: string;
  pageId?: number;
  title?: string;
  revId?: number;
  kind?: string;
  /** Content the event's slot metadata describes (sha1/size); omit for no slot metadata. */
  content?: string;
  contentVisible?: boolean;
  schema?: string;
}

export function pageChangeEvent(o: PageChangeOptions = {}): Record<string, unknown> {
  const revId = o.revId ?? 1000;
  const revision: Record<string, unknown> = {
    rev_id: revId,
    rev_dt: '2026-11-25T10:00:00Z',
    is_minor_edit: false,
    is_content_visible: o.contentVisible ?? true,
    is_editor_visible: true,
    is_comment_visible: true,
    comment: 'test edit',
  };
  if (o.content !== undefined) {
    revision.rev_sha1 = contentSha1Base36(o.content);
    revision.rev_size = Buffer.byteLength(o.content);
    revision.content_slots = {
      main: {
        slot_role: 'main',
        content_model: 'wikitext',
        content_format: 'text/x-wiki',
        content_sha1: contentSha1Base36(o.content),
        content_size: Buffer.byteLength(o.content),
        origin_rev_id: revId,
      },
    };
  }
  return {
    $schema: o.schema ?? '/mediawiki/page/change/1.2.0',
    changelog_kind: o.kind === 'delete' ? 'delete' : o.kind === 'create' ? 'insert' : 'update',
    page_change_kind: o.kind ?? 'edit',
    dt: '2026-11-25T10:00:00Z',
    wiki_id: o.wikiId ?? 'devwiki',
    meta: {
      domain: o.domain ?? 'dev.wiki.local',
      stream: 'mediawiki.page_change.v1',
      dt: '2026-11-25T10:00:01Z',
      id: '00000000-0000-4000-8000-000000000000',
      uri: 'http://dev.wiki.local/wiki/Test',
      request_id: 'req-1',
    },
    page: { page_id: o.pageId ?? 10, page_title: o.title ?? 'Test_page', namespace_id: 0, is_redirect: false },
    performer: { user_text: 'Tester', is_bot: false, is_system: false, groups: ['*'], edit_count: 1 },
    revision,
  };
}

/** An MSK event of the given record values, round-robin or explicit partitions. */
export function esmEventOf(
  values: Array<
    string | Buffer | Record<string, unknown> | { partition: number; value: string | Buffer | Record<string, unknown> }
  >,
  topic = 'mediawiki.page_change.v1',
) {
  const offsets = new Map<number, number>();
  return kafkaEsmEventFor(
    values.map((v) => {
      const explicit = v !== null && typeof v === 'object' && !Buffer.isBuffer(v) && 'partition' in v && 'value' in v;
      const partition = explicit ? (v as { partition: number }).partition : 0;
      const raw = explicit ? (v as { value: unknown }).value : v;
      const value = typeof raw === 'string' || Buffer.isBuffer(raw) ? raw : JSON.stringify(raw);
      const offset = offsets.get(partition) ?? 0;
      offsets.set(partition, offset + 1);
      return { topic, partition, offset, key: null, value };
    }),
  );
}
