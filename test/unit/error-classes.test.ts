/**
 * The error classes of a failed record (lib/mediawiki/errors.ts, lib/pipeline/errors.ts): each is its own named
 * class with the stable `errorType` of docs/record-journey.md, and its `name` is the class's name, in the minified
 * function bundle too (where class names are mangled, so `enrichErrorOf` writes the name out).
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';
import { build } from 'esbuild';
import { EnrichError } from '../../lib/core/errors.js';
import * as mediawiki from '../../lib/mediawiki/errors.js';
import * as pipeline from '../../lib/pipeline/errors.js';

const ROOT = path.resolve(import.meta.dirname, '..', '..');

/** Every fixed `errorType` (docs/record-journey.md): renaming one breaks the consumers of error events. */
const FIXED_TYPES: Record<string, string> = {
  DomainNotAllowedError: 'DomainNotAllowed',
  RevisionMissingError: 'RevisionMissing',
  ContentHiddenError: 'ContentHidden',
  MediaWikiNetworkError: 'MediaWikiNetworkError',
  MediaWikiMaxlagError: 'MediaWikiMaxlag',
  MediaWikiApiError: 'MediaWikiApiError',
  InvalidJsonError: 'InvalidJson',
  InvalidEventError: 'InvalidEvent',
  ContentIntegrityMismatchError: 'ContentIntegrityMismatch',
  MessageTooLargeError: 'MessageTooLarge',
  InvalidOutputEventError: 'InvalidOutputEvent',
};

test('each record error is a named EnrichError class with its stable errorType, and its name is the class name', () => {
  const classes = Object.entries({ ...mediawiki, ...pipeline }).filter(
    ([, value]) => typeof value === 'function' && value.prototype instanceof EnrichError,
  ) as Array<[string, new (message: string) => EnrichError]>;
  const fixed = classes.filter(([name]) => name !== 'MediaWikiHttpError');
  assert.deepEqual(fixed.map(([name]) => name).sort(), Object.keys(FIXED_TYPES).sort());
  for (const [name, ErrorClass] of fixed) {
    const error = new ErrorClass('what happened');
    assert.ok(error instanceof ErrorClass && error instanceof EnrichError && error instanceof Error, name);
    assert.equal(error.name, name);
    assert.equal(error.errorType, FIXED_TYPES[name], name);
    assert.equal(error.message, 'what happened');
    assert.match(String(error.stack), new RegExp(`^${name}: what happened`));
  }
  const http = new mediawiki.MediaWikiHttpError(503, 'unavailable');
  assert.equal(http.name, 'MediaWikiHttpError');
  assert.equal(http.errorType, 'MediaWikiHttpServerError');
  assert.equal(http.status, 503);
});

test('in a minified bundle (as the functions ship) the errors keep their names and types', async () => {
  const result = await build({
    stdin: {
      contents:
        "import { RevisionMissingError, MediaWikiApiError } from './lib/mediawiki/errors.ts';\n" +
        "import { InvalidJsonError } from './lib/pipeline/errors.ts';\n" +
        'export const made = [new RevisionMissingError("m"), new MediaWikiApiError("m"), new InvalidJsonError("m")]' +
        '.map((e) => [e.name, e.errorType]);',
      resolveDir: ROOT,
      loader: 'ts',
    },
    bundle: true,
    minify: true,
    format: 'esm',
    platform: 'node',
    write: false,
  });
  const code = result.outputFiles[0]!.text;
  assert.doesNotMatch(code, /class RevisionMissingError\b/, 'the bundle mangles class names');
  const { made } = (await import(`data:text/javascript;base64,${Buffer.from(code).toString('base64')}`)) as {
    made: string[][];
  };
  assert.deepEqual(made, [
    ['RevisionMissingError', 'RevisionMissing'],
    ['MediaWikiApiError', 'MediaWikiApiError'],
    ['InvalidJsonError', 'InvalidJson'],
  ]);
});
