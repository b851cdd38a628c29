/**
 * Independent checks of the output's schema conformance: the upstream `mediawiki/page/change`
 * schemas (the reference copies when present, else the shipped materialized ones) compiled by ajv
 * at run time with ajv-formats, and what an event keeps of its fields under a version, read from
 * the schema itself rather than from the generated field shapes.
 */
import { existsSync, readFileSync } from 'node:fs';
import { Ajv, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { referenceDir } from './reference.js';

const SHIPPED = new URL('../../lib/schemas/mediawiki-page-change/', import.meta.url);

/** The schema of `/mediawiki/page/change/<version>`: the reference copy, or else the shipped one; `undefined` if neither. */
export function pageChangeSchema(uri: string): any {
  const version = /^\/mediawiki\/page\/change\/(\d+\.\d+\.\d+)$/.exec(uri)?.[1];
  if (!version) return undefined;
  const reference = new URL(`schemas/mediawiki-page-change-${version}.json`, referenceDir());
  const shipped = new URL(`${version}.json`, SHIPPED);
  const file = [reference, shipped].find((f) => existsSync(f));
  return file ? JSON.parse(readFileSync(file, 'utf8')) : undefined;
}

const addFormats = ((addFormatsModule as any).default ?? addFormatsModule) as (ajv: Ajv) => Ajv;
const compiled = new Map<string, ValidateFunction>();

/** A validator of the version `uri` names, compiled now by ajv with ajv-formats. */
export function referenceValidator(uri: string): ValidateFunction {
  let validate = compiled.get(uri);
  if (!validate) {
    const schema = pageChangeSchema(uri);
    if (!schema) throw new Error(`no schema for ${uri}`);
    validate = compileReference(schema);
    compiled.set(uri, validate);
  }
  return validate;
}

/** A materialized schema compiled now by ajv with ajv-formats. */
export function compileReference(schema: any): ValidateFunction {
  const ajv = new Ajv({ strict: false, allErrors: true });
  addFormats(ajv);
  const strip = (node: any, root: boolean): any => {
    if (Array.isArray(node)) return node.map((n) => strip(n, false));
    if (node === null || typeof node !== 'object') return node;
    const out: any = {};
    for (const [k, v] of Object.entries(node)) {
      // The draft's URI and the fragments' own ids (repeated in one schema); `properties.$schema` stays.
      if (typeof v === 'string' && (k === '$schema' || (!root && k === '$id'))) continue;
      out[k] = strip(v, false);
    }
    return out;
  };
  return ajv.compile(strip(schema, true));
}

/** A copy of `value` with only what `schema` declares where it closes an object (`additionalProperties: false`). */
export function declaredOnly(value: any, schema: any): any {
  if (value === null || typeof value !== 'object' || !schema || typeof schema !== 'object') return value;
  if (Array.isArray(value)) return value.map((v) => declaredOnly(v, schema.items));
  const out: any = {};
  // Defined, not assigned: a `__proto__` key is data here too.
  const put = (key: string, v: unknown) =>
    Object.defineProperty(out, key, { value: v, enumerable: true, writable: true, configurable: true });
  for (const key of Object.keys(value)) {
    const declared = schema.properties && Object.hasOwn(schema.properties, key) ? schema.properties[key] : undefined;
    if (declared) put(key, declaredOnly(value[key], declared));
    else if (typeof schema.additionalProperties === 'object')
      put(key, declaredOnly(value[key], schema.additionalProperties));
    else if (schema.additionalProperties !== false) put(key, value[key]);
  }
  return out;
}
