/** The record type, the fake wiki's revisions and the oracle of what must become of a well-formed event. */
import { pageChangeEvent } from '../../../../scripts/lib/page-change-events.js';
import { ALLOWED_DOMAINS } from './domains.js';

export type Expectation =
  /** Nothing more specific than the invariants (one outcome; correct enrichment or a schema-valid error event). */
  | { readonly kind: 'any' }
  | { readonly kind: 'error'; readonly type: string }
  | { readonly kind: 'enriched'; readonly passthrough: boolean };

export interface HostileRecord {
  /** Generator family, for counting and failure messages. */
  readonly label: string;
  readonly value: Buffer | null;
  readonly expect: Expectation;
}

/** The fake wiki: revisions 1..40 exist, 41..60 do not. */
export const TABLE: ReadonlyMap<number, string> = new Map(
  Array.from({ length: 40 }, (_, i) => {
    const id = i + 1;
    const samples = [
      'plain',
      'Grüße 🌍 日本語',
      'עברית ‮ RTL',
      '𝔘𝔫𝔦𝔠𝔬𝔡𝔢 e\u0301',
      '',
      '{{tpl}} [[link]] <ref/>',
      '\u0000\u0001 ctrl',
      '\ufeffBOM',
    ];
    return [id, `${samples[id % samples.length]} #${id}`];
  }),
);
export const MAX_REV_ID = 60;

export interface BaseParams {
  revId: number;
  pageId: number;
  domain: string;
  kind: string;
  visible: boolean;
  contentMeta: 'none' | 'match' | 'mismatch';
  title: string;
  wikiId: string;
}

/** The oracle for a well-formed event. */
export function expectationFor(
  p: Pick<BaseParams, 'revId' | 'domain' | 'kind' | 'visible' | 'contentMeta'>,
): Expectation {
  if (p.domain === 'canary' || p.kind === 'delete' || !p.visible) return { kind: 'enriched', passthrough: true };
  if (!(ALLOWED_DOMAINS as readonly string[]).includes(p.domain)) return { kind: 'error', type: 'DomainNotAllowed' };
  if (!TABLE.has(p.revId)) return { kind: 'error', type: 'RevisionMissing' };
  if (p.contentMeta === 'mismatch') return { kind: 'error', type: 'ContentIntegrityMismatch' };
  return { kind: 'enriched', passthrough: false };
}

export function baseEvent(p: BaseParams): Record<string, any> {
  const content =
    p.contentMeta === 'none'
      ? undefined
      : p.contentMeta === 'match'
        ? (TABLE.get(p.revId) ?? 'absent')
        : 'not the stored text';
  return pageChangeEvent({
    revId: p.revId,
    pageId: p.pageId,
    domain: p.domain,
    kind: p.kind,
    contentVisible: p.visible,
    content,
    title: p.title,
    wikiId: p.wikiId,
  });
}
