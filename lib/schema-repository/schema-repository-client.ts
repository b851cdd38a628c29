/**
 * Reads documents of a schema repository (Wikimedia's, or a mirror) over HTTP with undici, as
 * eventutilities resolves `$schema` URIs: `<base><path>` for each configured base in turn, until
 * one has it. Only repository paths (`repositoryPathOf`) are ever requested. Failures follow the
 * MediaWiki client's rules (lib/mediawiki/failure-table.ts): timeouts, resets and 408/5xx are
 * retried with full-jitter backoff (or a longer `Retry-After`), other statuses are final for that
 * base; all of it within one time budget. The body is JSON, or YAML as the repository serves its
 * extensionless paths; the YAML parser is imported on first use only.
 */
import type { Dispatcher } from 'undici';
import { backoffMs, retryAfterMs, sleep } from '../core/retry.js';
import type { Deadline } from '../core/deadline.js';
import { isRetryableStatus } from '../mediawiki/failure-table.js';
import { Agent, request } from '../mediawiki/undici-slim.js';
import { type Json, repositoryPathOf } from '../schemas/schema-document.js';
import type { SchemaRepositoryConfig } from '../settings/config.js';

/** A document could not be read from any base URI: why, for each. */
export class SchemaFetchError extends Error {
  override readonly name = 'SchemaFetchError';
}

/** Largest document read: published `mediawiki/page/change` versions are about 40 KB. */
const MAX_DOCUMENT_BYTES = 1024 * 1024;

export interface SchemaRepositoryClient {
  /**
   * The document at `path` (a repository path) of the first base URI that serves it, before
   * `deadline`. Throws `UnsafeSchemaUriError` (no request made) or `SchemaFetchError`.
   */
  fetchDocument(path: string, deadline: Deadline): Promise<Json>;
  readonly stats: { requests: number };
  close(): Promise<void>;
}

export interface SchemaRepositoryClientOptions {
  /** The jitter of backoff waits, in [0, 1); @default Math.random */
  readonly random?: () => number;
  /** @default a timer */
  readonly sleep?: (ms: number) => Promise<void>;
}

/** One base's answer: the document, or why not and whether asking again may help. */
type Attempt =
  | { readonly ok: true; readonly document: Json }
  | { readonly ok: false; readonly reason: string; readonly retry: boolean; readonly retryAfterMs?: number };

export function schemaRepositoryClient(
  config: SchemaRepositoryConfig,
  opts: SchemaRepositoryClientOptions = {},
): SchemaRepositoryClient {
  const bases = config.baseUris.map((b) => b.replace(/\/+$/, ''));
  const random = opts.random ?? Math.random;
  const wait = opts.sleep ?? sleep;
  const agent = new Agent({ connections: 2, connect: { timeout: config.timeoutMs }, keepAliveTimeout: 30_000 });
  const stats = { requests: 0 };

  async function attempt(url: URL, timeoutMs: number): Promise<Attempt> {
    stats.requests++;
    let response: Dispatcher.ResponseData;
    let body: Buffer;
    try {
      response = await request(agent, url, {
        method: 'GET',
        headers: { 'user-agent': config.userAgent, accept: 'application/json, application/yaml;q=0.9, */*;q=0.1' },
        signal: AbortSignal.timeout(Math.max(1, Math.floor(timeoutMs))),
      });
      body = Buffer.from(await response.body.arrayBuffer());
    } catch (err) {
      const e = err as { code?: string; name?: string; cause?: { code?: string } };
      return { ok: false, reason: `${e.code ?? e.cause?.code ?? e.name ?? 'network error'}`, retry: true };
    }
    const { statusCode, headers } = response;
    if (statusCode !== 200) {
      const retry = isRetryableStatus(statusCode);
      return { ok: false, reason: `HTTP ${statusCode}`, retry, retryAfterMs: retryAfterMs(headers['retry-after']) };
    }
    if (body.length > MAX_DOCUMENT_BYTES)
      return { ok: false, reason: `larger than ${MAX_DOCUMENT_BYTES} bytes`, retry: false };
    const document = await parseDocument(body.toString('utf8'));
    if (document === undefined) return { ok: false, reason: 'neither JSON nor YAML', retry: false };
    return { ok: true, document };
  }

  return {
    stats,
    async fetchDocument(path, deadline) {
      repositoryPathOf(path);
      const budgetEnd = Date.now() + config.timeoutMs;
      const remaining = () => Math.min(budgetEnd - Date.now(), deadline.remainingMs());
      const reasons: string[] = [];
      for (const base of bases) {
        const url = new URL(`${base}${path}`);
        let last = 'not asked: out of time';
        for (let n = 0; remaining() > 0; n++) {
          const result = await attempt(url, remaining());
          if (result.ok) return result.document;
          last = result.reason;
          const pause = Math.max(backoffMs(n, config.retryBaseMs, config.retryMaxMs, random), result.retryAfterMs ?? 0);
          if (!result.retry || pause >= remaining()) break;
          await wait(pause);
        }
        reasons.push(`${url.href}: ${last}`);
      }
      throw new SchemaFetchError(`${path} not fetched: ${reasons.join('; ')}`);
    },
    async close() {
      await agent.close();
    },
  };
}

/** JSON, else YAML (a superset of JSON, as jsonschema-tools writes the extensionless versions); `undefined` if neither. */
async function parseDocument(text: string): Promise<Json | undefined> {
  try {
    return JSON.parse(text) as Json;
  } catch {
    // YAML, then.
  }
  // Named exports under Node; `default` only in the bundle's lazily imported chunk (see compile-output-schema.ts).
  const yaml = await import('yaml');
  const parse = yaml.parse ?? (yaml.default as unknown as typeof yaml).parse;
  try {
    return parse(text) as Json;
  } catch {
    return undefined;
  }
}
