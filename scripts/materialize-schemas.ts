/**
 * Materializes `mediawiki/page/change` schemas from a checkout of Wikimedia's schema repository
 * (schemas/event/primary: `jsonschema/mediawiki/page/change/<version>.yaml`) into
 * `lib/schemas/mediawiki-page-change/<version>.json`, every `$ref` resolved, then precompiles the
 * validators and field shapes of every shipped version into `lib/schemas/page-change-output.validate.ts`:
 *
 *   npm run schemas:materialize -- --from ~/schemas-event-primary            every version in the checkout
 *   npm run schemas:materialize -- --from ~/schemas-event-primary 1.3.0      one version more
 *   npm run schemas:materialize                                               the validators of the shipped versions again
 *   npm run schemas:materialize -- --check                                    exit 1 when the validators are stale
 *
 * Published versions are materialized upstream already (jsonschema-tools resolves their `$ref`s
 * and merges `allOf`); a `$ref` left in one is resolved here against the checkout, and a schema
 * that still needs merging (`allOf`, as in `current.yaml`) is refused.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { _, Ajv } from 'ajv';
import { parse as parseYaml } from 'yaml';
import { OUTPUT_FORMATS } from '../lib/schemas/output-formats.js';
import type { FieldShape } from '../lib/schemas/page-change-output.js';
import { compilable, dereference, type Json, SchemaDocumentError, shapeOf } from '../lib/schemas/schema-document.js';
import { AJV_OPTIONS, StaleValidatorError, standaloneModuleSource } from './build-validator.js';

const ROOT = join(import.meta.dirname, '..');
export const SCHEMA_DIR = join(ROOT, 'lib', 'schemas', 'mediawiki-page-change');
export const OUTPUT_VALIDATOR_FILE = join(ROOT, 'lib', 'schemas', 'page-change-output.validate.ts');
const UPSTREAM_DIR = ['jsonschema', 'mediawiki', 'page', 'change'];
const VERSION = /^\d+\.\d+\.\d+$/;

export class SchemaMaterializationError extends Error {
  override readonly name = 'SchemaMaterializationError';
}

/** The versions a checkout publishes, oldest first. */
export function publishedVersions(checkout: string): string[] {
  const dir = join(checkout, ...UPSTREAM_DIR);
  if (!existsSync(dir))
    throw new SchemaMaterializationError(`${dir} does not exist: give a schemas/event/primary checkout`);
  return sortVersions(
    readdirSync(dir)
      .filter((f) => f.endsWith('.yaml'))
      .map((f) => f.slice(0, -'.yaml'.length))
      .filter((v) => VERSION.test(v)),
  );
}

export function sortVersions(versions: readonly string[]): string[] {
  const parts = (v: string) => v.split('.').map(Number);
  return [...versions].sort((a, b) => {
    const [pa, pb] = [parts(a), parts(b)];
    for (let i = 0; i < 3; i++) if (pa[i] !== pb[i]) return pa[i]! - pb[i]!;
    return 0;
  });
}

/** One version of `mediawiki/page/change` from the checkout, every `$ref` resolved. */
export async function materialize(checkout: string, version: string): Promise<Json> {
  const readSchema = async (id: string): Promise<Json> => {
    const file = join(checkout, 'jsonschema', `${id.replace(/^\/+/, '')}.yaml`);
    if (!existsSync(file)) throw new SchemaMaterializationError(`schema ${id} not found in the checkout (${file})`);
    return parseYaml(readFileSync(file, 'utf8')) as Json;
  };
  const id = `/mediawiki/page/change/${version}`;
  try {
    return await dereference(await readSchema(id), readSchema, id);
  } catch (err) {
    if (err instanceof SchemaDocumentError) throw new SchemaMaterializationError(err.message, { cause: err });
    throw err;
  }
}

/** The shipped schemas, by version, oldest first. */
export function shippedSchemas(): Array<{ version: string; schema: Json }> {
  if (!existsSync(SCHEMA_DIR)) return [];
  const versions = readdirSync(SCHEMA_DIR)
    .filter((f) => f.endsWith('.json'))
    .map((f) => f.slice(0, -'.json'.length));
  return sortVersions(versions).map((version) => ({
    version,
    schema: JSON.parse(readFileSync(join(SCHEMA_DIR, `${version}.json`), 'utf8')) as Json,
  }));
}

/**
 * The fragments the schemas share (`/fragment/...`, kept with their `$id` when materialized),
 * each compiled once: the same fragment appears at several places of a version and in several
 * versions, and inlining every copy would make the validators several times larger.
 */
class SharedFragments {
  readonly schemas: Array<Record<string, Json>> = [];
  private readonly idByContent = new Map<string, string>();
  private readonly taken = new Set<string>();

  /** The `$id` the fragment is compiled under: its own, or a variant of it if another content has it. */
  idFor(id: string, content: Record<string, Json>): string {
    const text = JSON.stringify(content);
    const known = this.idByContent.get(text);
    if (known) return known;
    let assigned = id;
    for (let n = 2; this.taken.has(assigned); n++) assigned = `${id}-${n}`;
    this.taken.add(assigned);
    this.idByContent.set(text, assigned);
    this.schemas.push({ $id: assigned, ...content });
    return assigned;
  }
}

const FORMATS_REQUIRE = 'require("./output-formats.js")';

/** The generated module's text for the shipped schemas and the current ajv version. */
export async function generateOutputValidatorSource(): Promise<string> {
  const ajv = new Ajv({
    ...AJV_OPTIONS,
    inlineRefs: false,
    formats: OUTPUT_FORMATS,
    code: { source: true, esm: true, formats: _`require("./output-formats.js")` },
  });
  const refs: Record<string, string> = {};
  const fragments = new SharedFragments();
  const roots: Json[] = [];
  const shapes: Record<string, FieldShape> = {};
  for (const { version, schema } of shippedSchemas()) {
    const id = (schema as { $id?: unknown }).$id;
    if (id !== `/mediawiki/page/change/${version}`) {
      throw new SchemaMaterializationError(`${version}.json has $id ${String(id)}`);
    }
    roots.push(compilable(schema, (fragmentId, content) => fragments.idFor(fragmentId, content)));
    refs[`v${version.replaceAll('.', '_')}`] = id;
    shapes[version] = shapeOf(schema);
  }
  for (const fragment of fragments.schemas) ajv.addSchema(fragment);
  for (const root of roots) ajv.addSchema(root as object);
  const source = await standaloneModuleSource(ajv, refs, {
    generatedFrom: 'scripts/materialize-schemas.ts from lib/schemas/mediawiki-page-change/*.json',
    regenerate: 'run `npm run schemas:materialize`',
    compact: true,
    replacements: {
      [FORMATS_REQUIRE]: {
        importLine: "import { OUTPUT_FORMATS } from './output-formats.js';",
        expression: 'OUTPUT_FORMATS',
      },
    },
  });
  return `${source}\n/** What each version declares, for dropping what it does not (FieldShape in page-change-output.ts). */\nexport const shapes = ${JSON.stringify(shapes)};\n`;
}

/** Writes the validators, or with `check` throws {@link StaleValidatorError} when the committed ones differ. */
export async function buildOutputValidators(options: { check?: boolean } = {}): Promise<void> {
  const source = await generateOutputValidatorSource();
  const current = existsSync(OUTPUT_VALIDATOR_FILE) ? readFileSync(OUTPUT_VALIDATOR_FILE, 'utf8') : undefined;
  if (current === source) return;
  if (options.check)
    throw new StaleValidatorError(`${OUTPUT_VALIDATOR_FILE} is stale: run npm run schemas:materialize`);
  writeFileSync(OUTPUT_VALIDATOR_FILE, source);
}

/** Writes the given versions (every published one when none is given) from the checkout. */
export async function writeMaterialized(checkout: string, versions: readonly string[]): Promise<string[]> {
  const chosen = versions.length > 0 ? [...versions] : publishedVersions(checkout);
  mkdirSync(SCHEMA_DIR, { recursive: true });
  for (const version of chosen) {
    if (!VERSION.test(version)) throw new SchemaMaterializationError(`${version} is not a version (X.Y.Z)`);
    writeFileSync(
      join(SCHEMA_DIR, `${version}.json`),
      `${JSON.stringify(await materialize(checkout, version), null, 2)}\n`,
    );
  }
  return chosen;
}

async function main(argv: readonly string[]): Promise<void> {
  const check = argv.includes('--check');
  const fromAt = argv.indexOf('--from');
  const checkout = fromAt >= 0 ? argv[fromAt + 1] : undefined;
  const versions = argv.filter((a, i) => VERSION.test(a) && i !== fromAt + 1);
  if (checkout)
    console.error(`materialized ${(await writeMaterialized(checkout, versions)).join(', ')} from ${checkout}`);
  await buildOutputValidators({ check });
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  main(process.argv.slice(2)).catch((err: Error) => {
    console.error(err.message);
    process.exit(1);
  });
}
