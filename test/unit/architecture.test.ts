/**
 * The import graph of what ships and what deploys: `lib/` imports only `lib/`, the function
 * imports only `lib/`, `infra/` imports only `infra/` and `lib/`; no cycles anywhere. Inside
 * `lib/`, folders are floors: a folder imports itself and folders on lower floors only.
 */
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';

const ROOT = path.resolve(import.meta.dirname, '..', '..');

/** Relative imports (static, dynamic and type-only) of every .ts file under the given folders. */
function importGraph(dirs: readonly string[]): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  for (const dir of dirs) {
    for (const entry of readdirSync(path.join(ROOT, dir), { recursive: true, withFileTypes: true })) {
      if (!entry.isFile() || !entry.name.endsWith('.ts')) continue;
      const file = path.relative(ROOT, path.join(entry.parentPath, entry.name));
      const source = readFileSync(path.join(ROOT, file), 'utf8');
      const specifiers = [...source.matchAll(/(?:from|import)\s*\(?\s*['"](\.{1,2}\/[^'"]+)['"]/g)].map((m) => m[1]!);
      graph.set(
        file,
        specifiers.map((s) =>
          path.relative(ROOT, path.resolve(path.dirname(path.join(ROOT, file)), s)).replace(/\.js$/, '.ts'),
        ),
      );
    }
  }
  return graph;
}

const graph = importGraph(['lib', 'functions', 'infra']);
const top = (file: string) => file.split(path.sep)[0]!;

test('lib/ and the function import nothing above them; infra/ imports only infra/ and lib/', () => {
  const allowed: Record<string, readonly string[]> = {
    lib: ['lib'],
    functions: ['lib', 'functions'],
    infra: ['infra', 'lib'],
  };
  const violations: string[] = [];
  for (const [file, imports] of graph) {
    for (const target of imports)
      if (!allowed[top(file)]!.includes(top(target))) violations.push(`${file} → ${target}`);
  }
  assert.deepEqual(violations, []);
});

/**
 * The floors of `lib/`, lowest first. A folder may import itself and any folder on a lower floor;
 * folders on one floor do not import each other (the MediaWiki client, the Kafka client and producer,
 * and the decoding of Lambda's Kafka events know nothing of each other; the schema repository client
 * reads over HTTP as the MediaWiki client does; the pipeline joins them; redrive drives the pipeline's
 * decisions over Kafka; the ingest writes EventStreams into the input topic, keyed as the pipeline keys events).
 */
const LIB_FLOORS: readonly (readonly string[])[] = [
  ['core', 'types'],
  ['settings', 'schemas'],
  ['mediawiki', 'kafka', 'event-source', 'observability'],
  ['schema-repository'],
  ['pipeline'],
  ['redrive', 'ingest'],
];
const floorOf = (folder: string) => LIB_FLOORS.findIndex((floor) => floor.includes(folder));
const libFolder = (file: string) => file.split(path.sep)[1]!;

test('lib/ is folders only, each on a floor', () => {
  const entries = readdirSync(path.join(ROOT, 'lib'), { withFileTypes: true });
  assert.deepEqual(
    entries.filter((e) => !e.isDirectory()).map((e) => e.name),
    [],
    'no loose files at the top of lib/',
  );
  assert.deepEqual(
    entries.map((e) => e.name).filter((name) => floorOf(name) < 0),
    [],
    'every folder of lib/ is on a floor',
  );
  assert.ok(entries.length <= 12, `lib/ has ${entries.length} entries at its top (at most 12)`);
});

test('a lib/ folder imports only itself and lower floors', () => {
  const violations: string[] = [];
  for (const [file, imports] of graph) {
    if (top(file) !== 'lib') continue;
    for (const target of imports) {
      const from = libFolder(file);
      const to = libFolder(target);
      if (from !== to && floorOf(to) >= floorOf(from)) violations.push(`${file} → ${target}`);
    }
  }
  assert.deepEqual(violations, []);
});

test("lib/kafka/ is a Kafka client and producer only: no Lambda event types, no pipeline's streams", () => {
  const violations: string[] = [];
  for (const file of graph.keys()) {
    if (!file.startsWith(path.join('lib', 'kafka') + path.sep)) continue;
    const source = readFileSync(path.join(ROOT, file), 'utf8');
    if (/from 'aws-lambda'/.test(source)) violations.push(`${file} imports aws-lambda`);
    if (/\b(outputTopic|errorTopic|StreamKind)\b/.test(source)) violations.push(`${file} names the pipeline's streams`);
  }
  assert.deepEqual(violations, []);
});

test('the development tools sit below what uses them: scripts/ imports no test/ or bench/, bench/ no test/', () => {
  const tools = importGraph(['scripts', 'bench']);
  const below: Record<string, readonly string[]> = { scripts: ['test', 'bench'], bench: ['test'] };
  const violations: string[] = [];
  for (const [file, imports] of tools) {
    for (const target of imports) if (below[top(file)]!.includes(top(target))) violations.push(`${file} → ${target}`);
  }
  assert.deepEqual(violations, []);
  assert.ok(tools.get(path.join('bench', 'run.ts'))!.includes(path.join('scripts', 'kafka', 'broker.ts')));
});

/**
 * The floors of `infra/`, lowest first: the configuration, the constructs (which know AWS, not environments), the
 * stack that wires them from a configuration, and the app at the top.
 */
const INFRA_FLOORS: readonly (readonly string[])[] = [['config'], ['constructs'], ['stack'], ['app.ts']];
const infraFloorOf = (file: string) => INFRA_FLOORS.findIndex((floor) => floor.includes(file.split(path.sep)[1]!));

test('infra/ is on floors, and each file imports only its floor and lower ones', () => {
  const violations: string[] = [];
  for (const [file, imports] of graph) {
    if (top(file) !== 'infra') continue;
    assert.ok(infraFloorOf(file) >= 0, `${file} is on no floor of infra/`);
    for (const target of imports) {
      if (top(target) === 'infra' && infraFloorOf(target) > infraFloorOf(file)) violations.push(`${file} → ${target}`);
    }
  }
  assert.deepEqual(violations, []);
});

test('the import graph has no cycles', () => {
  const state = new Map<string, 'visiting' | 'done'>();
  const cycles: string[] = [];
  const visit = (file: string, trail: string[]) => {
    if (state.get(file) === 'done') return;
    if (state.get(file) === 'visiting') {
      cycles.push([...trail.slice(trail.indexOf(file)), file].join(' → '));
      return;
    }
    state.set(file, 'visiting');
    for (const next of graph.get(file) ?? []) visit(next, [...trail, file]);
    state.set(file, 'done');
  };
  for (const file of graph.keys()) visit(file, []);
  assert.deepEqual(cycles, []);
});

test('the graph is read from real files (a guard against a regex that matches nothing)', () => {
  assert.ok(
    graph
      .get(path.join('functions', 'page-content-change-enrich', 'handler.ts'))!
      .includes(path.join('lib', 'pipeline', 'process-batch.ts')),
  );
});

test('lib/ makes loggers and metrics one way, on demand: importing any lib/ module creates none', async () => {
  const { Logger } = await import('@aws-lambda-powertools/logger');
  const { Metrics } = await import('@aws-lambda-powertools/metrics');
  const libFiles = [...graph.keys()].filter((f) => top(f) === 'lib' && !f.endsWith('.d.ts'));
  const made: string[] = [];
  const instances: string[] = [];
  for (const file of libFiles) {
    const source = readFileSync(path.join(ROOT, file), 'utf8');
    if (/new (Logger|Metrics)\(/.test(source) && file !== path.join('lib', 'observability', 'powertools.ts'))
      made.push(file);
    const module = (await import(path.join(ROOT, file))) as Record<string, unknown>;
    for (const [name, value] of Object.entries(module))
      if (value instanceof Logger || value instanceof Metrics) instances.push(`${file}: ${name}`);
  }
  assert.ok(libFiles.length > 50, 'every lib/ module was imported');
  assert.deepEqual(made, [], 'Powertools loggers and metrics are made in lib/observability/powertools.ts only');
  assert.deepEqual(instances, [], 'no lib/ module exports a logger or metrics made at import');
});
