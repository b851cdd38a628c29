/**
 * A schema document of Wikimedia's schema repository, as the build (scripts/materialize-schemas.ts)
 * and the function (lib/schema-repository) both read it: which `$schema` URIs name a document of the
 * repository, `$ref`s resolved, what it declares (its field shape), and the copy ajv compiles.
 */
import type { FieldShape } from './page-change-output.js';

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** A document that cannot be used as a materialized schema: a `$ref` that does not resolve, an `allOf` left. */
export class SchemaDocumentError extends Error {
  override readonly name = 'SchemaDocumentError';
}

/** A `$schema` or `$ref` that is not a repository path: refused before any request. */
export class UnsafeSchemaUriError extends Error {
  override readonly name = 'UnsafeSchemaUriError';
}

/**
 * `/<name>/<…>/<major.minor.patch>`: names of letters, digits, `_` and `-`, and a semantic version.
 * No scheme or host, no `.` or `..` segment, no `%`-escape, query or fragment: appended to a base
 * URI, it cannot leave the base (the same stance as the allowlist of `meta.domain`).
 */
const REPOSITORY_PATH = /^(?:\/[A-Za-z0-9_-]{1,100}){1,10}\/\d{1,9}\.\d{1,9}\.\d{1,9}$/;

/** The URI as a path of the repository; throws {@link UnsafeSchemaUriError} for anything else. */
export function repositoryPathOf(uri: string): string {
  if (!REPOSITORY_PATH.test(uri)) {
    throw new UnsafeSchemaUriError(
      `${JSON.stringify(uri.slice(0, 200))} is not a schema repository path (/<name>/…/<major.minor.patch>)`,
    );
  }
  return uri;
}

export function isRepositoryPath(uri: string): boolean {
  return REPOSITORY_PATH.test(uri);
}

/**
 * `root` with every `$ref` resolved: `#/pointer` in the same document, `/<id>[#/pointer]` in the
 * document `load` returns for that repository path (each loaded once). A schema that still needs
 * merging (`allOf`, as an unmaterialized `current.yaml`) is refused: its field shape would miss
 * what the merge declares.
 */
export async function dereference(root: Json, load: (id: string) => Promise<Json>, label: string): Promise<Json> {
  const loaded = new Map<string, Promise<Json>>();
  const documentOf = (id: string) => {
    let doc = loaded.get(id);
    if (!doc) loaded.set(id, (doc = load(repositoryPathOf(id))));
    return doc;
  };
  const resolve = async (node: Json, doc: Json, depth: number): Promise<Json> => {
    if (depth > 64) throw new SchemaDocumentError(`${label}: $ref nesting deeper than 64: a cycle?`);
    if (Array.isArray(node)) return Promise.all(node.map((n) => resolve(n, doc, depth + 1)));
    if (node === null || typeof node !== 'object') return node;
    if ('allOf' in node) throw new SchemaDocumentError(`${label} is not materialized (allOf)`);
    const { $ref, ...rest } = node;
    const out: Record<string, Json> = {};
    if (typeof $ref === 'string') {
      const [id, fragment = ''] = $ref.split('#');
      const target = id ? await documentOf(id) : doc;
      Object.assign(out, await resolve(pointer(target, fragment, label), target, depth + 1));
    }
    for (const [key, value] of Object.entries(rest)) out[key] = await resolve(value, doc, depth + 1);
    return out;
  };
  return resolve(root, root, 0);
}

function pointer(doc: Json, path: string, label: string): Json {
  let node = doc;
  for (const raw of path.split('/').filter(Boolean)) {
    const key = decodeURIComponent(raw).replaceAll('~1', '/').replaceAll('~0', '~');
    if (node === null || typeof node !== 'object' || !Object.hasOwn(node, key)) {
      throw new SchemaDocumentError(`${label}: $ref pointer ${path} does not resolve`);
    }
    node = (node as Record<string, Json>)[key]!;
  }
  return node;
}

/** What a schema node declares, for projection (see `FieldShape`). */
export function shapeOf(schema: Json): FieldShape {
  if (schema === null || typeof schema !== 'object' || Array.isArray(schema)) return {};
  const shape: { -readonly [K in keyof FieldShape]: FieldShape[K] } = {};
  const properties = schema.properties;
  if (properties && typeof properties === 'object' && !Array.isArray(properties)) {
    shape.fields = Object.fromEntries(Object.entries(properties).map(([k, v]) => [k, shapeOf(v)]));
  }
  if (schema.additionalProperties === false) shape.closed = true;
  else if (schema.additionalProperties && typeof schema.additionalProperties === 'object') {
    shape.entries = shapeOf(schema.additionalProperties);
  }
  if (schema.items && typeof schema.items === 'object' && !Array.isArray(schema.items)) {
    shape.items = shapeOf(schema.items);
  }
  return shape;
}

const ANNOTATIONS = new Set(['title', 'description', 'examples']);
/** Keywords whose value maps names to schemas: a property called `title` is not an annotation. */
const SCHEMA_MAPS = new Set(['properties', 'patternProperties', 'definitions']);

/**
 * The schema as ajv compiles it: without `$schema`, which names draft-07 by an https URI ajv does
 * not know (draft-07 is its default); without annotations, which validate nothing; the root keeps
 * its `$id`. A nested schema with an `$id` (a fragment, repeated wherever it is used) becomes
 * `{ $ref: fragmentRef(id, content) }` when `fragmentRef` is given (the build compiles each once),
 * else is inlined without its `$id`.
 */
export function compilable(
  schema: Json,
  fragmentRef?: (id: string, content: Record<string, Json>) => string,
  root = true,
): Json {
  if (Array.isArray(schema)) return schema.map((s) => compilable(s, fragmentRef, false));
  if (schema === null || typeof schema !== 'object') return schema;
  const out: Record<string, Json> = {};
  for (const [key, value] of Object.entries(schema)) {
    if ((key === '$id' || key === '$schema') && typeof value === 'string') continue;
    if (ANNOTATIONS.has(key)) continue;
    if (SCHEMA_MAPS.has(key) && value !== null && typeof value === 'object' && !Array.isArray(value)) {
      out[key] = Object.fromEntries(Object.entries(value).map(([k, v]) => [k, compilable(v, fragmentRef, false)]));
    } else out[key] = compilable(value, fragmentRef, false);
  }
  const id = typeof schema.$id === 'string' ? schema.$id : undefined;
  if (root) return { $id: id ?? null, ...out };
  return id && fragmentRef ? { $ref: fragmentRef(id, out) } : out;
}
