/**
 * Compiles, at run time, a `mediawiki/page/change` version the bundle lacks (fetched from the
 * schema repository) into the same `OutputSchema` as the shipped, precompiled ones: ajv with the
 * project's options and formats, and the field shape read from the same document. ajv is imported
 * on first use only: a container that sees shipped versions only never loads it.
 */
import { OUTPUT_FORMATS } from './output-formats.js';
import type { OutputSchema, SchemaError } from './page-change-output.js';
import { compilable, type Json, SchemaDocumentError, shapeOf } from './schema-document.js';

/**
 * The ajv options the function validates with, precompiled or not. `strictNumbers` keeps
 * Infinity/NaN (from 1e309) from passing as integers; the first error is enough for the error event.
 */
export const AJV_OPTIONS = { allErrors: false, strict: false, strictNumbers: true } as const;

/**
 * ajv's class. Node gives an ES module importing CommonJS its named exports; the function bundle's
 * lazily imported chunk gives `module.exports` as `default` only (esbuild), which holds `Ajv` too.
 */
async function importAjv() {
  const module = await import('ajv');
  return module.Ajv ?? (module.default as unknown as typeof module).Ajv;
}
let ajvClass: ReturnType<typeof importAjv> | undefined;

/**
 * The output schema of `document`, a materialized schema (every `$ref` resolved) whose `$id`, when
 * it has one, is `uri`. Throws `SchemaDocumentError` when it is not one ajv accepts as JSON Schema.
 */
export async function compileOutputSchema(uri: string, document: Json): Promise<OutputSchema> {
  if (document === null || typeof document !== 'object' || Array.isArray(document)) {
    throw new SchemaDocumentError(`${uri}: the document is not a JSON Schema object`);
  }
  if (document.$id !== undefined && document.$id !== uri) {
    throw new SchemaDocumentError(`${uri}: the document is ${JSON.stringify(document.$id)}`);
  }
  const Ajv = await (ajvClass ??= importAjv());
  // `logger: false`: a format the project does not check is ignored without a console line per compile.
  const ajv = new Ajv({ ...AJV_OPTIONS, formats: OUTPUT_FORMATS, logger: false });
  let validate: ReturnType<typeof ajv.compile>;
  try {
    validate = ajv.compile({ ...(compilable(document) as object), $id: uri });
  } catch (err) {
    throw new SchemaDocumentError(`${uri} is not a JSON Schema ajv compiles: ${(err as Error).message}`);
  }
  return {
    uri,
    version: uri.slice(uri.lastIndexOf('/') + 1),
    shape: shapeOf(document),
    validate: (event) => validate(event),
    errors: () => (validate.errors ?? []) as readonly SchemaError[],
  };
}
