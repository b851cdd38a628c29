/**
 * A local stand-in for Wikimedia's schema repository (schema.wikimedia.org/repositories/primary/jsonschema),
 * for tests, the bench and local runs; it never ships. It serves what the repository's layout does,
 * built from the materialized versions the project ships (lib/schemas/mediawiki-page-change/):
 *
 * - `<base>/mediawiki/page/change/<version>` as YAML (the extensionless file jsonschema-tools links to
 *   the YAML one), `<version>.yaml`, `<version>.json`, and `latest` (+ `.yaml`, `.json`);
 * - each fragment embedded in them (`/fragment/…/<version>`), where `$ref`s find it;
 * - plus any document a caller adds, such as {@link standInNewerVersion}.
 *
 * Every request is recorded (`requests`), and `fault` answers instead of the repository (a status,
 * a body, or a dropped connection) to test what the function does when the repository fails.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { stringify as toYaml } from 'yaml';
import type { Json } from '../../lib/schemas/schema-document.js';

const SHIPPED_DIR = join(import.meta.dirname, '..', '..', 'lib', 'schemas', 'mediawiki-page-change');
const PAGE_CHANGE = '/mediawiki/page/change';
/** Where the repository's documents start on Wikimedia's host; the stand-in keeps the path. */
export const REPOSITORY_PATH = '/repositories/primary/jsonschema';

/** A version the project does not ship, served by the stand-in only: see {@link standInNewerVersion}. */
export const STAND_IN_VERSION = '1.99.0';

type JsonObject = { [key: string]: Json };

const isObject = (v: Json | undefined): v is JsonObject => v !== null && typeof v === 'object' && !Array.isArray(v);

function shippedVersions(): Map<string, JsonObject> {
  const versions = readdirSync(SHIPPED_DIR)
    .filter((f) => f.endsWith('.json'))
    .map((f) => f.slice(0, -'.json'.length));
  const parts = (v: string) => v.split('.').map(Number);
  versions.sort((a, b) => parts(a).reduce((d, x, i) => d || x - parts(b)[i]!, 0));
  return new Map(versions.map((v) => [v, JSON.parse(readFileSync(join(SHIPPED_DIR, `${v}.json`), 'utf8'))]));
}

/** Every nested schema with an `$id` of its own (a fragment), first occurrence of each. */
function fragmentsOf(node: Json, found = new Map<string, JsonObject>(), root = true): Map<string, JsonObject> {
  if (Array.isArray(node)) for (const n of node) fragmentsOf(n, found, false);
  else if (isObject(node)) {
    if (!root && typeof node.$id === 'string' && !found.has(node.$id)) found.set(node.$id, node);
    for (const value of Object.values(node)) fragmentsOf(value, found, false);
  }
  return found;
}

/** `schema` with each fragment equal to the one served replaced by a `$ref` to it, as a version file before materializing. */
function withFragmentRefs(node: Json, fragments: Map<string, JsonObject>, root = true): Json {
  if (Array.isArray(node)) return node.map((n) => withFragmentRefs(n, fragments, false));
  if (!isObject(node)) return node;
  const id = node.$id;
  if (!root && typeof id === 'string' && JSON.stringify(fragments.get(id)) === JSON.stringify(node))
    return { $ref: id };
  return Object.fromEntries(Object.entries(node).map(([k, v]) => [k, withFragmentRefs(v, fragments, false)]));
}

/**
 * `/mediawiki/page/change/1.99.0`, for tests and the bench only: 1.2.0 with its fragments by `$ref`
 * (so resolving it fetches them) and one more declared, optional top-level field, `test_only_note`
 * (a string of at most 100 characters). Not an upstream version.
 */
export function standInNewerVersion(): JsonObject {
  const shipped = shippedVersions();
  const base = shipped.get('1.2.0')!;
  const schema = withFragmentRefs(base, fragmentsOf(base)) as JsonObject;
  const properties = schema.properties as JsonObject;
  return {
    ...schema,
    $id: `${PAGE_CHANGE}/${STAND_IN_VERSION}`,
    properties: {
      ...properties,
      test_only_note: { type: 'string', maxLength: 100, description: 'Declared by the stand-in version only.' },
    },
  };
}

/** What the stand-in answers for a path instead of its document: a status (and body), or a dropped connection. */
export type RepositoryFault = { readonly status: number; readonly body?: string } | 'drop';

export interface SchemaRepository {
  /** `http://127.0.0.1:<port>/repositories/primary/jsonschema`: an `EVENT_SCHEMA_BASE_URIS` entry. */
  readonly baseUri: string;
  /** Paths requested (below the base), in order. */
  readonly requests: string[];
  /** Answers instead of the repository while set; return `undefined` to serve the path as usual. */
  fault: ((path: string) => RepositoryFault | undefined) | undefined;
  close(): Promise<void>;
}

/** The documents of the repository layout, by path below the base. */
export function repositoryDocuments(extra: Readonly<Record<string, Json>> = {}): Map<string, string> {
  const docs = new Map<string, string>();
  const add = (path: string, doc: Json) => {
    docs.set(path, toYaml(doc));
    docs.set(`${path}.yaml`, toYaml(doc));
    docs.set(`${path}.json`, JSON.stringify(doc));
  };
  const shipped = shippedVersions();
  for (const [version, schema] of shipped) {
    add(`${PAGE_CHANGE}/${version}`, schema);
    for (const [id, fragment] of fragmentsOf(schema)) if (!docs.has(id)) add(id, fragment);
  }
  add(`${PAGE_CHANGE}/latest`, [...shipped.values()].at(-1)!);
  for (const [path, doc] of Object.entries(extra)) add(path, doc);
  return docs;
}

/** Starts the stand-in on `port` (0: any free port) of 127.0.0.1. */
export async function startSchemaRepository(
  opts: { port?: number; documents?: Readonly<Record<string, Json>> } = {},
): Promise<SchemaRepository> {
  const docs = repositoryDocuments(opts.documents);
  const requests: string[] = [];
  const repository: SchemaRepository = { baseUri: '', requests, fault: undefined, close: async () => {} };
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const url = req.url ?? '/';
    const path = url.startsWith(`${REPOSITORY_PATH}/`) ? url.slice(REPOSITORY_PATH.length) : url;
    requests.push(path);
    const fault = repository.fault?.(path);
    if (fault === 'drop') {
      req.socket.destroy();
      return;
    }
    if (fault) {
      res.writeHead(fault.status, { 'content-type': 'text/html' }).end(fault.body ?? '');
      return;
    }
    const doc = url.startsWith(`${REPOSITORY_PATH}/`) ? docs.get(path) : undefined;
    if (doc === undefined) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('Not Found');
      return;
    }
    const type = path.endsWith('.json') ? 'application/json' : 'application/x-yaml';
    res.writeHead(200, { 'content-type': type }).end(doc);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, '127.0.0.1', resolve);
  });
  const { port } = server.address() as AddressInfo;
  return Object.assign(repository, {
    baseUri: `http://127.0.0.1:${port}${REPOSITORY_PATH}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  });
}
