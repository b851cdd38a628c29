/**
 * One invocation: decode → validate → enrich → produce, for every record of every
 * partition, then the partial batch response. Each record ends as exactly one
 * message (enriched or error event) or is reported failed for redelivery; records
 * of a partition after one that must be redelivered are not produced, so the
 * partition's order holds on retry.
 */
import type { EventConfig } from './config.js';
import { type ApiEndpointResolver } from './domain-allowlist.js';
import { passthroughReason, withContent, withOutputMeta, messageKeyFor, type PassthroughReason } from './enrich.js';
import { DeadlineExceededError, MessageTooLargeError } from './errors.js';
import { errorEventFor } from './error-event.js';
import { decodeKafkaEvent, type DecodedRecord, type KafkaBatchItemFailure, type KafkaBatchResponse } from './kafka-event.js';
import { decodeUtf8, erroredFieldsOf, parsePageChange, type ErroredFields, type PageChangeEvent } from './page-change.js';
import type { Deadline } from './retry.js';
import type { RevisionContentClient, RevisionResult } from './revision-content-client.js';
import type { EventSink, OutboundMessage, StreamKind } from './sink.js';

export interface BatchDependencies {
  readonly client: RevisionContentClient;
  readonly resolver: ApiEndpointResolver;
  readonly sink: EventSink;
  readonly events: EventConfig;
  /** Largest message (key + value, bytes) the output topic accepts. */
  readonly maxMessageBytes: number;
  readonly now?: () => Date;
  /** The invocation's id, sent to MediaWiki as X-Request-Id. */
  readonly requestId?: string;
}

/** What became of one record. */
export type RecordOutcome =
  | { readonly kind: 'enriched'; readonly message: OutboundMessage; readonly passthrough?: string }
  | { readonly kind: 'error'; readonly message: OutboundMessage; readonly errorType: string }
  | { readonly kind: 'redeliver'; readonly reason: string };

export interface BatchResult {
  readonly response: KafkaBatchResponse;
  readonly outcomes: RecordOutcome[];
  readonly records: DecodedRecord[];
  /** Messages the sink failed to write. */
  readonly sinkFailures: number;
}

interface Parsed {
  record: DecodedRecord;
  text?: string;
  event?: PageChangeEvent;
  /** The input's own fields, taken before enrichment rewrites `meta`. */
  fields?: ErroredFields;
  passthrough?: PassthroughReason;
  error?: Error;
  fetch?: { domain: string; revId: number };
}

export async function processBatch(kafkaEvent: unknown, deadline: Deadline, deps: BatchDependencies): Promise<BatchResult> {
  const now = deps.now ?? (() => new Date());
  const records = decodeKafkaEvent(kafkaEvent);

  const parsed: Parsed[] = records.map((record) => {
    const p: Parsed = { record };
    try {
      p.text = decodeUtf8(record.value);
      p.event = parsePageChange(p.text);
      p.fields = erroredFieldsOf(p.event);
      p.passthrough = passthroughReason(p.event);
      if (p.passthrough === undefined) {
        deps.resolver.endpointFor(p.event.meta.domain);
        p.fetch = { domain: p.event.meta.domain, revId: p.event.revision.rev_id };
      }
    } catch (err) {
      p.error = err as Error;
    }
    return p;
  });

  const results = revisionResults(parsed, deadline, deps);

  // Records are produced in order while later revisions are still being fetched. A send is
  // awaited before the next one, so a stream that failed sends nothing after the failure.
  const bodyBytes = new Map<string, number>();
  const outcomes: RecordOutcome[] = [];
  const failedRecords = new Set<number>();
  const blockedPartitions = new Set<string>();
  const failedStreams = new Set<StreamKind>();
  let buffer: Array<{ index: number; message: OutboundMessage }> = [];
  let bufferBytes = 0;
  let sinkFailures = 0;

  const flush = async () => {
    const batch = buffer;
    buffer = [];
    bufferBytes = 0;
    const sendable = batch.filter((m) => !failedStreams.has(m.message.kind));
    for (const m of batch) {
      if (failedStreams.has(m.message.kind)) {
        failedRecords.add(m.index);
        sinkFailures++;
      }
    }
    if (sendable.length === 0) return;
    let failed: ReadonlySet<number>;
    try {
      failed = (await deps.sink.send(sendable.map((m) => m.message))).failed;
    } catch {
      failed = new Set(sendable.map((_, i) => i));
    }
    sinkFailures += failed.size;
    for (const i of failed) {
      failedRecords.add(sendable[i]!.index);
      failedStreams.add(sendable[i]!.message.kind);
    }
  };

  for (let i = 0; i < parsed.length; i++) {
    const p = parsed[i]!;
    const result = p.fetch ? await results.of(p.fetch.domain, p.fetch.revId) : undefined;
    const outcome = outcomeFor(p, result, deps, now(), bodyBytes);
    outcomes.push(outcome);
    const partition = records[i]!.partitionKey;
    // Per partition, produce only up to the first record that must be redelivered.
    if (outcome.kind === 'redeliver') {
      failedRecords.add(i);
      blockedPartitions.add(partition);
      continue;
    }
    if (blockedPartitions.has(partition)) continue;
    buffer.push({ index: i, message: outcome.message });
    bufferBytes += outcome.message.bytes;
    if (bufferBytes >= deps.maxMessageBytes) await flush();
  }
  await flush();
  await results.done;

  return { response: batchItemFailuresFor(records, failedRecords), outcomes, records, sinkFailures };
}

/**
 * Each fetched revision's result as a promise that settles when its request does. Never
 * rejects: if the client itself fails, the revisions it did not settle are redelivered.
 */
function revisionResults(parsed: readonly Parsed[], deadline: Deadline, deps: BatchDependencies) {
  const deferred = new Map<string, { promise: Promise<RevisionResult>; resolve: (r: RevisionResult) => void }>();
  const slot = (domain: string, revId: number) => {
    const key = `${domain} ${revId}`;
    let d = deferred.get(key);
    if (!d) {
      let resolve!: (r: RevisionResult) => void;
      const promise = new Promise<RevisionResult>((r) => (resolve = r));
      deferred.set(key, (d = { promise, resolve }));
    }
    return d;
  };
  const revIdsByDomain = new Map<string, number[]>();
  for (const p of parsed) {
    if (!p.fetch) continue;
    slot(p.fetch.domain, p.fetch.revId);
    (revIdsByDomain.get(p.fetch.domain) ?? revIdsByDomain.set(p.fetch.domain, []).get(p.fetch.domain)!).push(p.fetch.revId);
  }
  const done = Promise.all(
    [...revIdsByDomain].map(async ([domain, revIds]) => {
      const settle = (settled: ReadonlyMap<number, RevisionResult>) => {
        for (const [id, r] of settled) slot(domain, id).resolve(r);
      };
      try {
        // Clients that do not report per request settle everything at the end.
        settle(await deps.client.fetchRevisions(domain, revIds, deadline, deps.requestId, settle));
      } catch (err) {
        const error = new DeadlineExceededError(`fetching from ${domain} failed unexpectedly: ${(err as Error).message}`);
        for (const id of revIds) slot(domain, id).resolve({ ok: false, error });
      }
    }),
  ).then(() => undefined);
  return { of: (domain: string, revId: number) => slot(domain, revId).promise, done };
}

function outcomeFor(p: Parsed, result: RevisionResult | undefined, deps: BatchDependencies, now: Date, bodyBytes: Map<string, number>): RecordOutcome {
  if (p.error) return errorOutcome(p, p.error, deps, now);
  const event = p.event!;
  try {
    if (p.fetch) {
      if (!result) throw new Error(`no fetch result for revision ${p.fetch.revId}`);
      if (!result.ok) {
        if (result.error instanceof DeadlineExceededError) return { kind: 'redeliver', reason: result.error.message };
        throw result.error;
      }
      withContent(event, result.revision);
    }
    withOutputMeta(event, deps.events, now);
    const key = messageKeyFor(event.wiki_id, event.page.page_id);
    const size = serializedBytes(event, bodyBytes) + Buffer.byteLength(key, 'utf8');
    if (size > deps.maxMessageBytes) {
      throw new MessageTooLargeError(`enriched event is ${size} bytes, larger than the output topic's limit of ${deps.maxMessageBytes} bytes`);
    }
    return { kind: 'enriched', message: lazyMessage(event, key, size, p.record.source), passthrough: p.passthrough };
  } catch (err) {
    return errorOutcome(p, err as Error, deps, now);
  }
}

/** A message whose value is serialized when read and not kept: events share their content strings until then. */
function lazyMessage(event: PageChangeEvent, key: string, bytes: number, source: DecodedRecord['source']): OutboundMessage {
  return {
    kind: 'output',
    key,
    bytes,
    source,
    get value() {
      return JSON.stringify(event);
    },
  };
}

/**
 * UTF-8 size of `JSON.stringify(event)` without building it with every body: bodies are
 * measured once per distinct string (cached per invocation), the rest with bodies emptied.
 */
function serializedBytes(event: PageChangeEvent, bodyBytes: Map<string, number>): number {
  const slots = event.revision.content_slots;
  if (!slots) return Buffer.byteLength(JSON.stringify(event), 'utf8');
  let bodies = 0;
  const stripped: Record<string, unknown> = {};
  for (const [role, slot] of Object.entries(slots)) {
    const body = slot.content_body;
    if (typeof body === 'string') {
      let n = bodyBytes.get(body);
      if (n === undefined) bodyBytes.set(body, (n = Buffer.byteLength(JSON.stringify(body), 'utf8') - 2));
      bodies += n;
      stripped[role] = { ...slot, content_body: '' };
    } else {
      stripped[role] = slot;
    }
  }
  const shell = JSON.stringify({ ...event, revision: { ...event.revision, content_slots: stripped } });
  return Buffer.byteLength(shell, 'utf8') + bodies;
}

function errorOutcome(p: Parsed, error: Error, deps: BatchDependencies, now: Date): RecordOutcome {
  const errorEvent = errorEventFor(error, { text: p.text, bytes: p.record.value, fields: p.fields }, deps.events, now);
  const event = p.event;
  const key = event ? messageKeyFor(event.wiki_id, event.page.page_id) : (p.record.key?.toString('utf8') ?? null);
  const value = JSON.stringify(errorEvent);
  return {
    kind: 'error',
    errorType: errorEvent.error_type,
    message: { kind: 'error', key, value, bytes: Buffer.byteLength(value, 'utf8') + Buffer.byteLength(key ?? '', 'utf8'), source: p.record.source },
  };
}

/** For each partition, the earliest record that was not written, so the partition resumes there. */
export function batchItemFailuresFor(records: readonly DecodedRecord[], failed: ReadonlySet<number>): KafkaBatchResponse {
  const earliest = new Map<string, DecodedRecord>();
  for (const i of failed) {
    const record = records[i]!;
    const current = earliest.get(record.partitionKey);
    if (!current || record.source.offset < current.source.offset) earliest.set(record.partitionKey, record);
  }
  const batchItemFailures: KafkaBatchItemFailure[] = [...earliest.values()].map((r) => ({
    itemIdentifier: { partition: r.partitionKey, offset: r.source.offset },
  }));
  return { batchItemFailures };
}

