/**
 * Makes an enriched event conform to the `mediawiki/page/change` version it will name, as
 * Wikimedia's sink does (rows typed by the stream's schema): fields the version does not declare
 * are dropped, then the event is validated. The versions are the shipped ones, and those the
 * container resolved from the schema repository (lib/schema-repository). An event naming a version
 * neither has goes out as it is: fields the project cannot see in a schema are never dropped.
 */
import { ConfigurationError } from '../settings/catalogue.js';
import { InvalidOutputEventError } from './errors.js';
import { OUTPUT_SCHEMAS, type FieldShape, type OutputSchema, type SchemaError } from '../schemas/page-change-output.js';
import type { PageChangeEvent } from './page-change.js';

/** The output schemas known now, by `$id`: the shipped ones (`OUTPUT_SCHEMAS`) or an `OutputSchemaResolver`. */
export interface OutputSchemas {
  get(uri: string): OutputSchema | undefined;
}

/** What conforming did to one event; counted per batch (observability.ts). */
export interface OutputConformance {
  /** The `$schema` the event names. */
  readonly schemaUri: string;
  /**
   * Paths of the fields dropped, one per field: `performer.user_central_id`; `*` stands for a map's
   * key (`revision.content_slots.*.x`), `[]` for an array's items.
   */
  readonly dropped: readonly string[];
  /** The event names a version neither shipped nor resolved: produced as it is, not validated. */
  readonly unknownVersion: boolean;
}

/**
 * The schema `OUTPUT_SCHEMA_URI` names, or `undefined` when unset. Throws `ConfigurationError` for
 * a version `schemas` lacks: a pinned output that cannot be checked would relabel events without
 * making them conform.
 */
export function pinnedOutputSchema(
  uri: string | undefined,
  schemas: OutputSchemas = OUTPUT_SCHEMAS,
): OutputSchema | undefined {
  if (uri === undefined) return undefined;
  const schema = schemas.get(uri);
  if (!schema) {
    throw new ConfigurationError(
      `OUTPUT_SCHEMA_URI ${uri} is not a shipped schema (${[...OUTPUT_SCHEMAS.keys()].join(', ')}) ` +
        'nor one resolved from EVENT_SCHEMA_BASE_URIS; add it with npm run schemas:materialize',
    );
  }
  return schema;
}

/**
 * Conforms `event` in place to the pinned schema, or else to the version its `$schema` names.
 * Throws `InvalidOutputEventError` naming the first violation and its schema path.
 */
export function conformToOutputSchema(
  event: PageChangeEvent,
  pinnedUri?: string,
  schemas: OutputSchemas = OUTPUT_SCHEMAS,
): OutputConformance {
  const pinned = pinnedOutputSchema(pinnedUri, schemas);
  const schema = pinned ?? schemas.get(event.$schema);
  if (!schema) return { schemaUri: event.$schema, dropped: [], unknownVersion: true };
  const dropped: string[] = [];
  dropUndeclared(event, schema.shape, '', dropped);
  if (pinned) event.$schema = pinned.uri;
  if (!schema.validate(event)) {
    const first = schema.errors()[0];
    const where = first?.instancePath ? first.instancePath : 'the event';
    const path = first ? schemaPathOf(schema.shape, first) : '#';
    throw new InvalidOutputEventError(
      `enriched event does not conform to ${schema.uri}: ${where} ${first?.message ?? 'is invalid'} (schema path ${path})`,
    );
  }
  return { schemaUri: schema.uri, dropped, unknownVersion: false };
}

/**
 * The error's path in the whole schema: the validators share compiled fragments, whose errors
 * name paths inside the fragment only, so the path is rebuilt from where in the event it failed.
 */
function schemaPathOf(shape: FieldShape, error: SchemaError): string {
  let path = '#';
  let at: FieldShape | undefined = shape;
  for (const raw of error.instancePath.split('/').slice(1)) {
    const segment = raw.replaceAll('~1', '/').replaceAll('~0', '~');
    if (at?.fields && Object.hasOwn(at.fields, segment)) {
      path += `/properties/${segment}`;
      at = at.fields[segment];
    } else if (at?.entries) {
      path += '/additionalProperties';
      at = at.entries;
    } else if (at?.items) {
      path += '/items';
      at = at.items;
    } else break;
  }
  return `${path}/${error.schemaPath.split('/').at(-1)}`;
}

const hasShape = (shape: FieldShape) => !!(shape.fields || shape.entries || shape.items || shape.closed);

/**
 * Deletes, in place, every property a closed object of `shape` does not declare. Visits keys only:
 * strings (content bodies) are not read.
 */
function dropUndeclared(value: unknown, shape: FieldShape, path: string, dropped: string[]): void {
  if (value === null || typeof value !== 'object') return;
  if (Array.isArray(value)) {
    if (shape.items && hasShape(shape.items)) {
      const itemPath = `${path.slice(0, -1)}[].`;
      for (const item of value) dropUndeclared(item, shape.items, itemPath, dropped);
    }
    return;
  }
  const object = value as Record<string, unknown>;
  for (const key of Object.keys(object)) {
    const declared = shape.fields && Object.hasOwn(shape.fields, key) ? shape.fields[key]! : undefined;
    const child = declared ?? shape.entries;
    if (child) {
      if (hasShape(child)) dropUndeclared(object[key], child, `${path}${declared ? key : '*'}.`, dropped);
    } else if (shape.closed) {
      delete object[key];
      dropped.push(`${path}${key}`);
    }
  }
}
