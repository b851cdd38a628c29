/**
 * The output schemas of one container: the shipped, precompiled versions first (the fast path),
 * then versions the bundle lacks, fetched from the schema repository, `$ref`s resolved, compiled
 * by ajv and kept for the container's life. Each version is fetched and compiled once; a version
 * that fails (timeout, 404, not a JSON Schema) is reported once (`failed` with `first`), its events
 * go out as they are, and it is fetched again only after a back-off. A `$schema` that is not a
 * repository path is refused without a request, for good.
 */
import type { Deadline } from '../core/deadline.js';
import { compileOutputSchema } from '../schemas/compile-output-schema.js';
import { OUTPUT_SCHEMAS, type OutputSchema } from '../schemas/page-change-output.js';
import { dereference, isRepositoryPath } from '../schemas/schema-document.js';
import { ConfigurationError, type SchemaRepositoryConfig } from '../settings/config.js';
import { type SchemaRepositoryClient, schemaRepositoryClient } from './schema-repository-client.js';

/** Hears what the resolver did: logs and metrics (lib/pipeline/observability.ts). */
export interface SchemaResolutionListener {
  /** A version was fetched and compiled in `ms` (wall clock, for the log). */
  resolved?(uri: string, ms: number): void;
  /** A version could not be resolved; `first` once per version per container. */
  failed?(uri: string, error: Error, first: boolean): void;
}

export interface OutputSchemaResolver {
  /** The shipped or resolved schema of `uri`, or `undefined`. */
  get(uri: string): OutputSchema | undefined;
  /**
   * Resolves the versions among `uris` that are neither shipped nor resolved, not refused and not
   * backing off, before `deadline` and within `EVENT_SCHEMA_TIMEOUT_MS`. Never rejects.
   */
  prepare(uris: Iterable<string>, deadline: Deadline): Promise<void>;
  /**
   * The schema `OUTPUT_SCHEMA_URI` pins, fetched now if the bundle lacks it (no back-off: a pinned
   * output cannot go out without it). Throws `ConfigurationError` when it cannot be had.
   */
  require(uri: string, deadline: Deadline): Promise<OutputSchema>;
  /** Documents fetched (roots and `$ref`s), versions compiled, resolutions failed. */
  readonly stats: { fetches: number; compiles: number; failures: number };
  close(): Promise<void>;
}

export interface OutputSchemaResolverOptions {
  readonly client?: SchemaRepositoryClient;
  readonly listener?: SchemaResolutionListener;
  /** @default Date.now; tests step it past a back-off. */
  readonly now?: () => number;
}

/** Versions remembered, resolved or failed: `$schema` is input, and a flood of names must not grow without end. */
const MAX_REMEMBERED_VERSIONS = 1000;
/** The back-off doubles with each failure up to this many times the retry interval. */
const MAX_BACKOFF_FACTOR = 16;

interface VersionState {
  schema?: OutputSchema;
  pending?: Promise<OutputSchema>;
  failures: number;
  /** No fetch before this instant (ms since the epoch); `Infinity`: refused for good. */
  retryAt: number;
}

export function outputSchemaResolver(
  config: SchemaRepositoryConfig,
  opts: OutputSchemaResolverOptions = {},
): OutputSchemaResolver {
  const client = opts.client ?? schemaRepositoryClient(config);
  const now = opts.now ?? Date.now;
  const listener = opts.listener ?? {};
  const versions = new Map<string, VersionState>();
  const stats = { fetches: 0, compiles: 0, failures: 0 };

  const stateOf = (uri: string): VersionState | undefined => {
    let state = versions.get(uri);
    if (!state && versions.size < MAX_REMEMBERED_VERSIONS) versions.set(uri, (state = { failures: 0, retryAt: 0 }));
    return state;
  };

  async function fetchAndCompile(uri: string, deadline: Deadline): Promise<OutputSchema> {
    const started = now();
    const load = (path: string) => {
      stats.fetches++;
      return client.fetchDocument(path, deadline);
    };
    const document = await dereference(await load(uri), load, uri);
    stats.compiles++;
    const schema = await compileOutputSchema(uri, document);
    listener.resolved?.(uri, now() - started);
    return schema;
  }

  function failed(uri: string, state: VersionState, error: Error, refused: boolean): void {
    stats.failures++;
    state.failures++;
    const factor = Math.min(2 ** (state.failures - 1), MAX_BACKOFF_FACTOR);
    state.retryAt = refused ? Number.POSITIVE_INFINITY : now() + config.retryIntervalMs * factor;
    listener.failed?.(uri, error, state.failures === 1);
  }

  /** One resolution of `uri` at a time; `undefined` when it failed (reported) or may not be tried now. */
  function resolve(uri: string, deadline: Deadline, ignoreBackoff: boolean): Promise<OutputSchema> | undefined {
    const state = stateOf(uri);
    if (!state) return undefined;
    if (state.schema) return Promise.resolve(state.schema);
    if (state.pending) return state.pending;
    if (state.retryAt === Number.POSITIVE_INFINITY || (!ignoreBackoff && now() < state.retryAt)) return undefined;
    if (!isRepositoryPath(uri)) {
      failed(
        uri,
        state,
        new Error(`${JSON.stringify(uri.slice(0, 200))} is not a schema repository path: refused`),
        true,
      );
      return undefined;
    }
    state.pending = fetchAndCompile(uri, deadline).then(
      (schema) => {
        state.schema = schema;
        state.pending = undefined;
        return schema;
      },
      (err: Error) => {
        state.pending = undefined;
        failed(uri, state, err, false);
        throw err;
      },
    );
    return state.pending;
  }

  return {
    stats,
    get: (uri) => OUTPUT_SCHEMAS.get(uri) ?? versions.get(uri)?.schema,
    async prepare(uris, deadline) {
      const wanted = [...new Set(uris)].filter((uri) => !OUTPUT_SCHEMAS.has(uri));
      await Promise.all(wanted.map((uri) => resolve(uri, deadline, false)?.catch(() => undefined)));
    },
    async require(uri, deadline) {
      const shipped = OUTPUT_SCHEMAS.get(uri);
      if (shipped) return shipped;
      const where = `not shipped (${[...OUTPUT_SCHEMAS.keys()].join(', ')}) and not fetched from ${config.baseUris.join(', ')}`;
      try {
        const schema = await resolve(uri, deadline, true);
        if (schema) return schema;
      } catch (err) {
        throw new ConfigurationError(`OUTPUT_SCHEMA_URI ${uri} is ${where}: ${(err as Error).message}`, { cause: err });
      }
      throw new ConfigurationError(`OUTPUT_SCHEMA_URI ${uri} is ${where}: not a schema repository path`);
    },
    close: () => client.close(),
  };
}
