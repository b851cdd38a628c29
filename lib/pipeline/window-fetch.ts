/**
 * `fetchWindow`: the revisions of one content window (content-window.ts), fetched from their wikis
 * at once, each result a promise its records await in order. The content that arrives is counted in
 * `HeldContent` until the window is released.
 */
import { DeadlineExceededError, RetryLaterError } from '../core/errors.js';
import type { Deadline } from '../core/deadline.js';
import type { FetchedRevision, RevisionContentClient, RevisionResult } from '../mediawiki/revision-content-client.js';
import type { HeldContent } from './content-window.js';
import type { ParsedRecord } from './parsed-record.js';

/** A revision's result, or a failure of the client itself: the revision is fetched again on redelivery. */
export type FetchResult = RevisionResult | { readonly ok: false; readonly error: RetryLaterError };

export interface WindowFetch {
  /** The result of a revision of the window; each record asks once, in record order. */
  of(domain: string, revId: number): Promise<FetchResult>;
  /** Settles when every request of the window has. */
  readonly done: Promise<void>;
  /** The window's content is let go: its bytes leave `HeldContent`. */
  release(): void;
}

interface Pending {
  readonly promise: Promise<FetchResult>;
  readonly resolve: (r: FetchResult) => void;
  /** Records still to read the result: it is forgotten once the last one took it and it settled. */
  readers: number;
  settled: boolean;
}

export interface WindowFetchOptions {
  readonly client: RevisionContentClient;
  /** When fetching stops: a window that starts after it fetches nothing, and its records are redelivered. */
  readonly deadline: Deadline;
  readonly requestId?: string;
  readonly held: HeldContent;
  /** Which window of how many, for the redelivery reason. */
  readonly position: string;
}

/** Content bytes of a fetched revision: the sizes the API reports, else the UTF-8 length. */
function fetchedBytes(revision: FetchedRevision): number {
  let bytes = 0;
  for (const slot of revision.slots.values()) bytes += slot.size ?? Buffer.byteLength(slot.content, 'utf8');
  return bytes;
}

/** Never rejects: if the client itself fails, the revisions it did not settle are redelivered. */
export function fetchWindow(records: readonly ParsedRecord[], opts: WindowFetchOptions): WindowFetch {
  const byDomain = new Map<string, Map<number, Pending>>();
  const pendingOf = (domain: string, revId: number): Pending => {
    let revisions = byDomain.get(domain);
    if (!revisions) byDomain.set(domain, (revisions = new Map()));
    let p = revisions.get(revId);
    if (!p) {
      let resolve!: (r: FetchResult) => void;
      const promise = new Promise<FetchResult>((r) => (resolve = r));
      revisions.set(revId, (p = { promise, resolve, readers: 0, settled: false }));
    }
    return p;
  };
  for (const r of records) if (r.kind === 'fetch') pendingOf(r.domain, r.revId).readers++;

  let windowBytes = 0;
  const settle = (domain: string, results: ReadonlyMap<number, FetchResult>) => {
    for (const [revId, result] of results) {
      // A result already taken by its last record was forgotten: it is not stored again.
      const p = byDomain.get(domain)?.get(revId);
      if (!p || p.settled) continue;
      p.settled = true;
      if (result.ok) {
        const bytes = fetchedBytes(result.revision);
        windowBytes += bytes;
        opts.held.add(bytes);
      }
      p.resolve(result);
    }
  };
  const failAll = (domain: string, revIds: readonly number[], error: RetryLaterError) =>
    settle(domain, new Map(revIds.map((id) => [id, { ok: false, error }])));

  const done = Promise.all(
    [...byDomain].map(async ([domain, revisions]) => {
      const revIds = [...revisions.keys()];
      if (opts.deadline.remainingMs() <= 0) {
        const message = `invocation deadline reached before ${opts.position} was fetched`;
        return failAll(domain, revIds, new DeadlineExceededError(message));
      }
      try {
        await opts.client.fetchRevisions({
          domain,
          revIds,
          deadline: opts.deadline,
          requestId: opts.requestId,
          onResults: (results) => settle(domain, results),
        });
      } catch (err) {
        const message = `fetching from ${domain} failed unexpectedly: ${(err as Error).message}`;
        failAll(domain, revIds, new RetryLaterError(message, { cause: err }));
      }
      // A client that did not report a revision leaves it for redelivery, never waiting forever.
      const unreported = revIds.filter((id) => revisions.get(id)?.settled === false);
      if (unreported.length > 0) {
        failAll(domain, unreported, new RetryLaterError(`${domain} did not report revision(s) ${unreported}`));
      }
    }),
  ).then(() => undefined);

  return {
    of(domain, revId) {
      const revisions = byDomain.get(domain)!;
      const p = revisions.get(revId)!;
      if (--p.readers <= 0) void p.promise.then(() => revisions.delete(revId));
      return p.promise;
    },
    done,
    release() {
      opts.held.release(windowBytes);
      windowBytes = 0;
    },
  };
}
