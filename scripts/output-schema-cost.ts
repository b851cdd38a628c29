/**
 * CPU cost of making enriched events conform to their output schema (dropping undeclared fields,
 * then validating), per event, on events shaped like the real enwiki sample with a content body of
 * the given size. Callable from the bench (`outputSchemaCost`) or on its own:
 *
 *   npx tsx scripts/output-schema-cost.ts [--content-bytes 10240] [--events 20000] [--undeclared] [--fetched]
 *
 * `--fetched`: a version the bundle lacks, fetched from the local stand-in repository and compiled at
 * run time; prints the cold cost of that once, and the warm cost per event.
 *
 * Each event is a fresh parse of the same JSON, as every record is in the pipeline; the events are
 * parsed before the clock starts, so the figure is what `conformToOutputSchema` adds.
 */
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { NO_DEADLINE } from '../lib/core/deadline.js';
import { conformToOutputSchema, type OutputSchemas } from '../lib/pipeline/output-schema.js';
import { outputSchemaResolver } from '../lib/schema-repository/output-schema-resolver.js';
import { OUTPUT_SCHEMAS } from '../lib/schemas/page-change-output.js';
import { STAND_IN_VERSION, standInNewerVersion, startSchemaRepository } from './lib/schema-repository.js';
import type { PageChangeEvent } from '../lib/pipeline/page-change.js';
import { DEFAULT_TOPICS } from '../lib/settings/catalogue.js';

export interface OutputSchemaCost {
  readonly events: number;
  readonly contentBytes: number;
  /** CPU (user + system) ms per event that conforming adds. */
  readonly msPerEvent: number;
  /** Fields dropped per event (the event carries one undeclared field per closed level it touches). */
  readonly droppedPerEvent: number;
}

/**
 * An enriched 1.2.0 event with a content body of `contentBytes`; with `undeclared`, carrying
 * `user_central_id` (1.3.0) in `performer` and `revision.editor`, which 1.2.0 does not declare.
 */
export function costEventJson(
  contentBytes: number,
  undeclared: boolean,
  schema = '/mediawiki/page/change/1.2.0',
): string {
  const editor = {
    edit_count: 837,
    groups: ['extendedconfirmed', '*', 'user', 'autoconfirmed'],
    is_bot: false,
    is_system: false,
    is_temp: false,
    registration_dt: '2025-03-19T20:16:57Z',
    ...(undeclared ? { user_central_id: 77921265 } : {}),
    user_id: 49392910,
    user_text: 'Example editor',
  };
  const body = 'Lorem ipsum [[dolor]] sit {{amet}}, '.repeat(Math.ceil(contentBytes / 36)).slice(0, contentBytes);
  return JSON.stringify({
    $schema: schema,
    changelog_kind: 'update',
    page_change_kind: 'edit',
    dt: '2025-10-29T11:05:00Z',
    wiki_id: 'enwiki',
    meta: {
      domain: 'en.wikipedia.org',
      dt: '2025-10-29T11:05:04.238793Z',
      request_id: '3e0486c5-21a6-4625-9f7e-87a8b5b2e77b',
      stream: DEFAULT_TOPICS.output,
      uri: 'https://en.wikipedia.org/wiki/Example',
      id: '9d83dcf6-fe87-4d41-a9b3-2ef95ea31b92',
    },
    page: { is_redirect: false, namespace_id: 0, page_id: 70793851, page_title: 'Example' },
    performer: editor,
    revision: {
      rev_id: 1319367938,
      rev_dt: '2025-10-29T11:05:00Z',
      is_minor_edit: false,
      rev_sha1: 'kr0gwmewsni4zbo9n0sq24rrj7jjnsl',
      rev_size: contentBytes,
      rev_parent_id: 1319295223,
      comment: 'link',
      editor,
      is_content_visible: true,
      is_editor_visible: true,
      is_comment_visible: true,
      content_slots: {
        main: {
          slot_role: 'main',
          content_model: 'wikitext',
          content_sha1: 'kr0gwmewsni4zbo9n0sq24rrj7jjnsl',
          content_size: contentBytes,
          content_format: 'text/x-wiki',
          origin_rev_id: 1319367938,
          content_body: body,
        },
      },
    },
  });
}

function cpuMs(): number {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
}

export function outputSchemaCost(
  options: { contentBytes?: number; events?: number; undeclared?: boolean; schema?: string } = {},
  schemas: OutputSchemas = OUTPUT_SCHEMAS,
): OutputSchemaCost {
  const contentBytes = options.contentBytes ?? 10 * 1024;
  const events = options.events ?? 20_000;
  const json = costEventJson(contentBytes, options.undeclared ?? false, options.schema);
  const parseAll = () => Array.from({ length: events }, () => JSON.parse(json) as PageChangeEvent);
  for (const e of parseAll().slice(0, 2000)) conformToOutputSchema(e, undefined, schemas); // warm up (JIT)
  const parsed = parseAll();
  let dropped = 0;
  const start = cpuMs();
  for (const e of parsed) dropped += conformToOutputSchema(e, undefined, schemas).dropped.length;
  const conformMs = cpuMs() - start;
  return { events, contentBytes, msPerEvent: conformMs / events, droppedPerEvent: dropped / events };
}

/** A version resolved at run time: the cold cost of fetching and compiling it once, then the warm cost per event. */
export interface FetchedSchemaCost extends OutputSchemaCost {
  /** Wall-clock ms to fetch (with its `$ref`s, from a local repository) and compile the version, ajv's import included. */
  readonly coldMs: number;
  /** CPU ms of the same. */
  readonly coldCpuMs: number;
}

/**
 * The cost of a version the bundle lacks (the stand-in's test-only 1.99.0), resolved from the local
 * stand-in repository (scripts/lib/schema-repository.ts) as the function resolves one from Wikimedia's.
 */
export async function fetchedSchemaCost(
  options: { contentBytes?: number; events?: number; undeclared?: boolean } = {},
): Promise<FetchedSchemaCost> {
  const schema = `/mediawiki/page/change/${STAND_IN_VERSION}`;
  const repository = await startSchemaRepository({ documents: { [schema]: standInNewerVersion() } });
  const resolver = outputSchemaResolver({
    baseUris: [repository.baseUri],
    timeoutMs: 30_000,
    retryIntervalMs: 60_000,
    userAgent: 'mw-page-content-change-enrich output-schema-cost',
    retryBaseMs: 200,
    retryMaxMs: 5000,
  });
  try {
    const [wall, cpu] = [performance.now(), cpuMs()];
    await resolver.prepare([schema], NO_DEADLINE);
    const [coldMs, coldCpuMs] = [performance.now() - wall, cpuMs() - cpu];
    if (!resolver.get(schema)) throw new Error(`${schema} was not resolved from ${repository.baseUri}`);
    return { ...outputSchemaCost({ ...options, schema }, resolver), coldMs, coldCpuMs };
  } finally {
    await resolver.close();
    await repository.close();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const { values } = parseArgs({
    options: {
      'content-bytes': { type: 'string' },
      events: { type: 'string' },
      undeclared: { type: 'boolean' },
      fetched: { type: 'boolean' },
    },
  });
  const options = {
    contentBytes: values['content-bytes'] ? Number(values['content-bytes']) : undefined,
    events: values.events ? Number(values.events) : undefined,
    undeclared: values.undeclared,
  };
  console.log(JSON.stringify(values.fetched ? await fetchedSchemaCost(options) : outputSchemaCost(options)));
}
