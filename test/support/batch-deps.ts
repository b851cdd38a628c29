/** Batch dependencies for unit tests of processBatch: a revision client over a table, a memory sink, the test resolver. */
import { DEFAULT_TOPICS } from '../../lib/settings/catalogue.js';
import { apiEndpointResolver } from '../../lib/mediawiki/domain-allowlist.js';
import { RevisionMissingError } from '../../lib/mediawiki/errors.js';
import type { BatchDependencies } from '../../lib/pipeline/process-batch.js';
import type { RevisionContentClient, RevisionResult } from '../../lib/mediawiki/revision-content-client.js';
import type { EventSink } from '../../lib/pipeline/sink.js';
import { memorySink } from '../../scripts/lib/dev-sinks.js';
import { enrichConfigFromEnv } from '../../lib/settings/config.js';

/** The function's default content budget (no `CONTENT_BUDGET_BYTES`, no Lambda memory size). */
export const DEFAULT_CONTENT_BUDGET_BYTES = enrichConfigFromEnv({}).contentBudgetBytes;

const events = {
  outputStream: DEFAULT_TOPICS.output,
  errorStream: DEFAULT_TOPICS.error,
  errorSchemaUri: '/error/2.1.0',
  emitterId: 'test-emitter',
};

/** A client over a table of revision results; records what it was asked. */
export function tableClient(table: Record<number, string | Error>) {
  const calls: Array<{ domain: string; revIds: readonly number[] }> = [];
  const client: RevisionContentClient = {
    stats: { requests: 0, responseBytes: 0, retries: 0 },
    async fetchRevisions({ domain, revIds, onResults }) {
      calls.push({ domain, revIds });
      const out = new Map<number, RevisionResult>();
      for (const id of revIds) {
        const v = table[id];
        if (v === undefined) out.set(id, { ok: false, error: new RevisionMissingError(`missing ${id}`) });
        else if (v instanceof Error) out.set(id, { ok: false, error: v as any });
        else
          out.set(id, {
            ok: true,
            revision: { revId: id, pageId: 1, slots: new Map([['main', { role: 'main', content: v }]]) },
          });
      }
      onResults(out);
    },
    async close() {},
  };
  return { client, calls };
}

/** Dependencies over a table of revision results, writing to `sink`; `extra` overrides any of them. */
export function deps(
  table: Record<number, string | Error>,
  sink: EventSink = memorySink(),
  extra: Partial<BatchDependencies> = {},
) {
  const { client, calls } = tableClient(table);
  return {
    calls,
    deps: {
      client,
      sink,
      events,
      maxMessageBytes: 1_000_000,
      contentBudgetBytes: DEFAULT_CONTENT_BUDGET_BYTES,
      resolver: apiEndpointResolver('http://127.0.0.1:1/api.php', ['dev.wiki.local', '*.wikipedia.org']),
      ...extra,
    } as BatchDependencies,
  };
}
