/**
 * The `mediawiki/page/change` versions the project ships for its output: for each, the
 * precompiled validator and the field shape that says what the version declares. Both are
 * generated from the materialized schemas in `lib/schemas/mediawiki-page-change/` by
 * `npm run schemas:materialize` (scripts/materialize-schemas.ts); add a version there.
 */
import * as generated from './page-change-output.validate.js';

/**
 * What a schema declares of an object or array, for dropping what it does not. A field with no
 * shape of its own (`{}`) is kept as it is, whatever it holds.
 */
export interface FieldShape {
  /** Declared properties of an object, each with its own shape. */
  readonly fields?: Readonly<Record<string, FieldShape>>;
  /** `additionalProperties: false`: properties not in `fields` are not allowed. */
  readonly closed?: true;
  /** `additionalProperties` is a schema: the shape of every property not in `fields` (a map's values). */
  readonly entries?: FieldShape;
  /** The shape of an array's items. */
  readonly items?: FieldShape;
}

/** One ajv error, as the generated validators report the first one. */
export interface SchemaError {
  readonly instancePath: string;
  readonly schemaPath: string;
  readonly message?: string;
}

export interface OutputSchema {
  /** `$id` of the schema, the value an event's `$schema` names it by: `/mediawiki/page/change/1.2.0`. */
  readonly uri: string;
  readonly version: string;
  readonly shape: FieldShape;
  /** True when the event conforms; otherwise `errors()` holds the first error. */
  validate(event: unknown): boolean;
  errors(): readonly SchemaError[];
}

export const PAGE_CHANGE_SCHEMA_PREFIX = '/mediawiki/page/change/';

type GeneratedValidator = ((data: unknown) => boolean) & { errors?: SchemaError[] | null };

function outputSchema(version: string): OutputSchema {
  const validate = (generated as unknown as Record<string, GeneratedValidator>)[`v${version.replaceAll('.', '_')}`];
  if (!validate) throw new Error(`page-change-output.validate.ts lacks a validator for ${version}`);
  return {
    uri: `${PAGE_CHANGE_SCHEMA_PREFIX}${version}`,
    version,
    shape: (generated.shapes as Record<string, FieldShape>)[version]!,
    validate: (event) => validate(event),
    errors: () => validate.errors ?? [],
  };
}

/** Shipped output schemas by `$id`, oldest version first. */
export const OUTPUT_SCHEMAS: ReadonlyMap<string, OutputSchema> = new Map(
  Object.keys(generated.shapes as Record<string, FieldShape>).map((version) => {
    const schema = outputSchema(version);
    return [schema.uri, schema] as const;
  }),
);
