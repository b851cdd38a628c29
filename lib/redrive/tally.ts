/**
 * Redrive tally: accumulates each record's decision into the run's summary (counts by reason,
 * error type and wiki; samples; records an operator must look at).
 */
import { jsonObjectOf } from '../core/json-text.js';
import type { RedriveDecision, RedriveSourceKind, SkipReason, SourceRecord } from './selection.js';

export interface RedriveCounts {
  selected: number;
  skipped: number;
}

/** A record that was skipped for a reason an operator must act on (truncated, redrive limit, unreadable). */
export interface ReportedRecord {
  readonly topic: string;
  readonly partition: number;
  readonly offset: string;
  readonly reason: SkipReason;
  readonly errorType: string;
  readonly detail?: string;
}

export interface RedriveSample {
  /** `topic/partition@offset` of the source record. */
  readonly from: string;
  readonly errorType: string;
  /** Key the record goes back with. */
  readonly key: string | null;
  /** The event's identifying fields, or `text`: its first 300 characters when it is not a page_change event. */
  readonly event: Record<string, unknown>;
}

/** What identifies a page_change event to an operator, without its bulk. */
function sampleOf(value: Buffer | string): Record<string, unknown> {
  const text = value.toString();
  // biome-ignore lint/suspicious/noExplicitAny: a sample reads whatever fields the event happens to have
  const e = jsonObjectOf(text) as Record<string, any> | undefined;
  if (e?.page && e.revision) {
    return {
      wiki_id: e.wiki_id,
      domain: e.meta?.domain,
      page_id: e.page.page_id,
      page_title: e.page.page_title,
      rev_id: e.revision.rev_id,
      page_change_kind: e.page_change_kind,
      dt: e.dt,
    };
  }
  // not a page_change event (or not JSON): shown as text
  return { text: truncate(text, 300) };
}

export interface RedriveSummary {
  from: RedriveSourceKind;
  sourceTopic: string;
  inputTopic: string;
  groupId: string;
  dryRun: boolean;
  /** Records read from the source topic. */
  read: number;
  /** Source records selected (in a dry run: that would be redriven). */
  selected: number;
  /** Records produced to the input topic (an AWS on-failure record can hold several). */
  produced: number;
  skipped: Partial<Record<SkipReason, number>>;
  byErrorType: Record<string, RedriveCounts>;
  byWiki: Record<string, RedriveCounts>;
  /** Skipped records an operator has to look at; at most `reportLimit`. */
  reported: ReportedRecord[];
  samples: RedriveSample[];
  /**
   * Why the run ended: everything up to the end offsets seen at start was read, `--max`, deadline, no progress,
   * or its abort signal (Ctrl-C in the CLI).
   */
  stoppedBy: 'caught-up' | 'max' | 'deadline' | 'idle' | 'aborted';
  /** Next offset to read per partition after this run (committed unless dry run). */
  positions: Record<string, string>;
}

const REPORTED_REASONS: ReadonlySet<SkipReason> = new Set(['truncated', 'redrive-limit', 'unreadable']);

/** Accumulates decisions into the summary. Pure apart from the object it fills. */
export class RedriveTally {
  readonly summary: RedriveSummary;
  constructor(
    init: Pick<RedriveSummary, 'from' | 'sourceTopic' | 'inputTopic' | 'groupId' | 'dryRun'>,
    private readonly limits: { samples: number; reported: number } = { samples: 3, reported: 100 },
  ) {
    this.summary = {
      ...init,
      read: 0,
      selected: 0,
      produced: 0,
      skipped: {},
      byErrorType: {},
      byWiki: {},
      reported: [],
      samples: [],
      stoppedBy: 'caught-up',
      positions: {},
    };
  }

  add(record: SourceRecord, decision: RedriveDecision): void {
    const s = this.summary;
    s.read++;
    const byType = (s.byErrorType[decision.errorType] ??= { selected: 0, skipped: 0 });
    const byWiki = (s.byWiki[decision.wiki] ??= { selected: 0, skipped: 0 });
    if (decision.kind === 'redrive') {
      s.selected++;
      byType.selected++;
      byWiki.selected++;
      if (s.samples.length < this.limits.samples) {
        const first = decision.records[0]!;
        s.samples.push({
          from: `${record.topic}/${record.partition}@${record.offset}`,
          errorType: decision.errorType,
          key: first.key === null ? null : first.key.toString(),
          event: sampleOf(first.value),
        });
      }
      return;
    }
    s.skipped[decision.reason] = (s.skipped[decision.reason] ?? 0) + 1;
    byType.skipped++;
    byWiki.skipped++;
    if (REPORTED_REASONS.has(decision.reason) && s.reported.length < this.limits.reported) {
      s.reported.push({
        topic: record.topic,
        partition: record.partition,
        offset: record.offset,
        reason: decision.reason,
        errorType: decision.errorType,
        detail: decision.detail,
      });
    }
  }

  progressLine(): string {
    const s = this.summary;
    const skipped = Object.entries(s.skipped)
      .map(([k, v]) => `${k}=${v}`)
      .join(' ');
    return `read=${s.read} selected=${s.selected} produced=${s.produced}${skipped ? ` skipped: ${skipped}` : ''}`;
  }
}

function truncate(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max)}…` : text;
}
