/** Bench workloads: which revisions (and which wiki domains) the events of each invocation reference. */
import { randomUUID } from 'node:crypto';
import { sha1HexToBase36 } from '../lib/mediawiki/sha1.js';
import { pageChangeEvent } from '../test/support/events.js';
import { prng } from './content.js';
import type { SeededRevision } from './seed.js';
import { domainFor } from './wiring.js';

export interface EventRef {
  readonly domain: string;
  readonly rev: SeededRevision;
}

export interface Workload {
  readonly name: string;
  readonly kind: 'one-wiki' | 'many-wikis' | 'skew';
  /** Records per invocation (the ESM batch size). */
  readonly batch: number;
  readonly invocations: number;
  readonly description: string;
  /** The events of every invocation, in order. */
  readonly batches: EventRef[][];
}

function shuffled<T>(items: readonly T[], rand: () => number): T[] {
  const a = [...items];
  for (let i = a.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [a[i], a[j]] = [a[j]!, a[i]!];
  }
  return a;
}

/** `n` revisions of `pool`, distinct while the pool lasts (then it is reshuffled and repeats). */
function sample(pool: readonly SeededRevision[], n: number, rand: () => number): SeededRevision[] {
  const out: SeededRevision[] = [];
  while (out.length < n) out.push(...shuffled(pool, rand).slice(0, n - out.length));
  return out;
}

export interface WorkloadPlan {
  readonly batchSizes: readonly number[];
  readonly invocationsFor: (batch: number) => number;
  readonly domains: number;
  readonly skewBatch: number;
  readonly skewInvocations: number;
  /** Share of skew events that reference the hot page. */
  readonly hotShare: number;
}

export function buildWorkloads(revisions: readonly SeededRevision[], plan: WorkloadPlan, seed = 7): Workload[] {
  const regular = revisions.filter((r) => r.kind === 'regular');
  const big = revisions.filter((r) => r.kind === 'big');
  const hot = revisions.filter((r) => r.kind === 'hot');
  const pool = [...regular, ...big];
  const workloads: Workload[] = [];
  for (const kind of ['one-wiki', 'many-wikis'] as const) {
    for (const batch of plan.batchSizes) {
      const rand = prng(seed + batch + (kind === 'one-wiki' ? 0 : 1_000_000));
      const invocations = plan.invocationsFor(batch);
      const batches: EventRef[][] = [];
      for (let i = 0; i < invocations; i++) {
        batches.push(
          sample(pool, batch, rand).map((rev, j) => ({
            rev,
            domain: kind === 'one-wiki' ? domainFor(0) : domainFor(j % plan.domains),
          })),
        );
      }
      workloads.push({
        name: `${kind}-${batch}`,
        kind,
        batch,
        invocations,
        description:
          kind === 'one-wiki'
            ? `${batch} distinct revisions of one wiki per invocation`
            : `${batch} revisions spread over ${plan.domains} wikis per invocation`,
        batches,
      });
    }
  }
  const rand = prng(seed + 99);
  const batches: EventRef[][] = [];
  for (let i = 0; i < plan.skewInvocations; i++) {
    const nHot = Math.round(plan.skewBatch * plan.hotShare);
    const refs: EventRef[] = [
      // Consecutive edits of the hot page: each of its revisions is referenced by several events (redeliveries, duplicates).
      ...Array.from({ length: nHot }, (_, j) => ({
        rev: hot[Math.floor((j * hot.length) / nHot)]!,
        domain: domainFor(0),
      })),
      ...sample(regular, plan.skewBatch - nHot, rand).map((rev) => ({ rev, domain: domainFor(0) })),
    ];
    batches.push(shuffled(refs, rand));
  }
  workloads.push({
    name: `skew-${plan.skewBatch}`,
    kind: 'skew',
    batch: plan.skewBatch,
    invocations: plan.skewInvocations,
    description: `${Math.round(plan.hotShare * 100)}% of events touch one page (${hot.length} revisions), the rest distinct`,
    batches,
  });
  return workloads;
}

/** A page_change event for a seeded revision, with the slot sha1/size the function verifies. */
export function eventFor(ref: EventRef): Record<string, unknown> {
  const { rev, domain } = ref;
  const event = pageChangeEvent({
    domain,
    wikiId: `${domain.split('.')[0]}wiki`,
    pageId: rev.pageId,
    title: rev.title.replaceAll(' ', '_'),
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
  (event.meta as Record<string, unknown>).id = randomUUID();
  (event.meta as Record<string, unknown>).uri =
    `https://${domain}/wiki/${encodeURIComponent(rev.title.replaceAll(' ', '_'))}`;
  return event;
}

export function keyFor(ref: EventRef): string {
  return JSON.stringify({ wiki_id: `${ref.domain.split('.')[0]}wiki`, page_id: ref.rev.pageId });
}
