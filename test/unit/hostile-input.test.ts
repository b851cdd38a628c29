/**
 * Property-based tests of the batch pipeline against hostile record values: invalid UTF-8,
 * nesting 10^5 deep, values of megabytes, wrong types, missing fields, own `__proto__` /
 * `constructor` / `prototype` keys at every level, numbers past 2^53, titles from every
 * Unicode plane (lone surrogates raw and escaped, noncharacters, astral).
 *
 * For every batch: processBatch resolves; every record has exactly one outcome and exactly one
 * produced message; an error outcome is an error/2.1.0 event carrying the record (text or
 * base64); an enriched outcome is the input plus the fake wiki's content; the oracle's
 * expected outcome holds where it has one; Object.prototype is untouched.
 *
 * Hostile Action API bodies are in hostile-api-bodies.test.ts.
 */
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import fc from 'fast-check';
import { apiEndpointResolver } from '../../lib/mediawiki/domain-allowlist.js';
import { kafkaEsmEventFor } from '../../scripts/lib/esm-event.js';
import { processBatch, type BatchDependencies } from '../../lib/pipeline/process-batch.js';
import { NO_DEADLINE } from '../../lib/core/deadline.js';
import { RevisionMissingError } from '../../lib/mediawiki/errors.js';
import type { RevisionContentClient, RevisionResult } from '../../lib/mediawiki/revision-content-client.js';
import { memorySink } from '../../scripts/lib/dev-sinks.js';
import { DEFAULT_CONTENT_BUDGET_BYTES } from '../support/batch-deps.js';
import { assertNoPollution, check, fixedBase, MAX_MESSAGE_BYTES, TOPIC } from '../support/hostile/batch-checks.js';
import { assertCorrectEnrichment, assertErrorEvent, EVENTS, KNOWN_ERROR_TYPES } from '../support/hostile/outcomes.js';
import {
  ALLOWED_DOMAINS,
  baseEvent,
  baseParamsArb,
  DEEP_FORMS,
  deepRecord,
  HUGE_FORMS,
  hostileRecordArb,
  hugeRecord,
  TABLE,
  TEST_ALLOWLIST,
  type HostileRecord,
} from '../support/hostile/records.js';
import { countRecord, reportCounts } from '../support/hostile/tally.js';

/** The fake wiki: the table's revisions, main slot only; every call recorded. */
function tableClient() {
  const calls: Array<{ domain: string; revIds: readonly number[] }> = [];
  const client: RevisionContentClient = {
    stats: { requests: 0, responseBytes: 0, retries: 0 },
    async fetchRevisions({ domain, revIds, onResults }) {
      calls.push({ domain, revIds: [...revIds] });
      const out = new Map<number, RevisionResult>();
      for (const id of revIds) {
        const content = TABLE.get(id);
        out.set(
          id,
          content === undefined
            ? { ok: false, error: new RevisionMissingError(`revision ${id} not in the table`) }
            : { ok: true, revision: { revId: id, pageId: 1, slots: new Map([['main', { role: 'main', content }]]) } },
        );
      }
      onResults(out);
    },
    async close() {},
  };
  return { client, calls };
}

/** Runs records through processBatch and checks every invariant. Returns the error types seen. */
async function runBatch(
  records: readonly HostileRecord[],
  partitions: readonly number[],
  opts: { allowUnexpected?: (r: HostileRecord) => boolean } = {},
) {
  for (const r of records) countRecord(r.label);

  const nextOffset = new Map<number, number>();
  const placed = records.map((r, i) => {
    const partition = partitions[i % partitions.length]!;
    const offset = nextOffset.get(partition) ?? 0;
    nextOffset.set(partition, offset + 1);
    return { record: r, partition, offset };
  });
  const event = kafkaEsmEventFor(
    placed.map((p) => ({
      topic: TOPIC,
      partition: p.partition,
      offset: p.offset,
      key: p.offset % 3 === 0 ? null : Buffer.from([0xff, p.offset & 0xff]),
      value: p.record.value,
    })),
  );
  // kafkaEsmEventFor writes '' for a null value; give the ESM's "no value" shape (absent) for null records.
  for (const p of placed)
    if (p.record.value === null) delete (event.records[`${TOPIC}-${p.partition}`]![p.offset] as any).value;

  const sink = memorySink();
  const { client, calls } = tableClient();
  const deps: BatchDependencies = {
    client,
    sink,
    events: EVENTS,
    maxMessageBytes: MAX_MESSAGE_BYTES,
    contentBudgetBytes: DEFAULT_CONTENT_BUDGET_BYTES,
    resolver: apiEndpointResolver('http://127.0.0.1:9/api.php', TEST_ALLOWLIST),
  };

  const result = await processBatch(event, NO_DEADLINE, deps); // a rejection fails the property

  assert.equal(result.outcomes.length, records.length, 'one outcome per record');
  assert.deepEqual(result.response.batchItemFailures, [], 'nothing to redeliver: the fake wiki never runs out of time');
  assert.equal(result.sinkFailures, 0);
  assert.equal(sink.messages.length, records.length, 'one message per record');

  const bySource = new Map(placed.map((p) => [`${p.partition}:${p.offset}`, p]));
  const seen = new Set<string>();
  const errorTypes: string[] = [];
  for (const [i, m] of sink.messages.entries()) {
    const id = `${m.source.partition}:${m.source.offset}`;
    assert.equal(m.source.topic, TOPIC);
    assert.ok(!seen.has(id), `record ${id} produced twice`);
    seen.add(id);
    const p = bySource.get(id);
    assert.ok(p, `message for unknown record ${id}`);
    const { record } = p;
    const where = `record ${id} (${record.label})`;
    const outcome = result.outcomes[i]!;
    assert.equal(outcome.kind, m.kind === 'output' ? 'enriched' : 'error', `${where}: outcome and message agree`);

    if (m.kind === 'error') {
      // Known gap (reported): a well-formed event nested too deep for JSON.stringify becomes `Unexpected:RangeError`.
      const deepEvent = record.label.startsWith('deep-') && record.expect.kind === 'any';
      const e = assertErrorEvent(m.value, record.value, where, {
        allowUnexpected: deepEvent || opts.allowUnexpected?.(record),
      });
      if (!KNOWN_ERROR_TYPES.has(e.error_type))
        assert.equal(e.error_type, 'Unexpected:RangeError', `${where}: ${e.message}`);
      errorTypes.push(e.error_type);
      if (record.expect.kind === 'enriched')
        assert.fail(`${where}: expected enrichment, got ${e.error_type}: ${e.message}`);
      if (record.expect.kind === 'error') assert.equal(e.error_type, record.expect.type, `${where}: ${e.message}`);
      continue;
    }
    // Enriched: the input must have been a decodable event; the output is exactly its enrichment.
    if (record.expect.kind === 'error') assert.fail(`${where}: expected ${record.expect.type}, got an enriched event`);
    const input = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(record.value!));
    const out = JSON.parse(m.value);
    const passthrough =
      input.meta.domain === 'canary' ||
      input.page_change_kind === 'delete' ||
      input.revision.is_content_visible === false;
    if (record.expect.kind === 'enriched') assert.equal(passthrough, record.expect.passthrough, where);
    if (!passthrough)
      assert.ok(
        (ALLOWED_DOMAINS as readonly string[]).includes(input.meta.domain),
        `${where}: enriched from a domain outside the allowlist: ${input.meta.domain}`,
      );
    assertCorrectEnrichment(out, m.key, input, { passthrough, content: TABLE.get(input.revision.rev_id) }, where);
    assert.ok(
      Buffer.byteLength(m.value) + Buffer.byteLength(m.key ?? '') <= MAX_MESSAGE_BYTES,
      `${where}: over the size limit`,
    );
  }
  assert.equal(seen.size, records.length);
  for (const c of calls) {
    assert.ok(
      (ALLOWED_DOMAINS as readonly string[]).includes(c.domain),
      `the client was asked for ${JSON.stringify(c.domain)}`,
    );
    for (const id of c.revIds)
      assert.ok(Number.isSafeInteger(id) && id >= 0, `the client was asked for revision ${id}`);
  }
  assertNoPollution('after batch');
  return errorTypes;
}

const BATCH = 100;
const partitionsArb = fc.array(fc.integer({ min: 0, max: 3 }), { minLength: 1, maxLength: 8 });

test('10,000+ adversarial records: no rejection, one correct outcome each, no prototype pollution', {
  timeout: 120_000,
}, async () => {
  const runs = 105;
  await check(
    fc.asyncProperty(
      fc.array(hostileRecordArb(), { minLength: BATCH, maxLength: BATCH }),
      partitionsArb,
      async (records, partitions) => {
        await runBatch(records, partitions);
      },
    ),
    { numRuns: runs, endOnFailure: true },
  );
});

test('nesting 10^5 deep: JSON.parse does not blow the stack; every form becomes one message', async () => {
  // V8's JSON.parse is iterative; JSON.stringify recurses and throws RangeError at this depth.
  const records = DEEP_FORMS.flatMap((form) => [
    deepRecord(fixedBase, form, 100_000),
    deepRecord({ ...fixedBase, kind: 'delete' }, form, 100_000),
    deepRecord(fixedBase, form, 1_000),
  ]);
  const types = await runBatch(records, [0, 1]);
  // Deep but well-formed events either enrich (shallow enough to serialise) or become error events;
  // the top-level shapes are decided before any serialisation.
  assert.ok(types.includes('InvalidEvent') && types.includes('InvalidJson'), types.join());
});

test('values of megabytes: bounded error events that still carry the record', async () => {
  const records = HUGE_FORMS.flatMap((form) => [
    hugeRecord(fixedBase, form, 3 * 1024 * 1024, '😀'),
    hugeRecord({ ...fixedBase, domain: 'canary' }, form, 2 * 1024 * 1024, 'x'),
  ]);
  const types = await runBatch(records, [0]);
  assert.ok(types.includes('MessageTooLarge'), types.join());
});

test('own __proto__, constructor and prototype keys at every level are data, never prototypes', async () => {
  await check(
    fc.asyncProperty(baseParamsArb, async (p) => {
      const keys = ['__proto__', 'constructor', 'prototype'];
      const poison = (depth: number): string =>
        depth === 0
          ? '{"polluted":"yes"}'
          : `{${keys.map((k) => `"${k}":${poison(depth - 1)}`).join(',')},"polluted":"yes"}`;
      const text = JSON.stringify(baseEvent(p));
      // Splice the poison object into every object of the event, as raw JSON text.
      const spliced = text.replace(
        /\{(?=")/g,
        `{"__proto__":${poison(2)},"constructor":${poison(1)},"prototype":${poison(1)},`,
      );
      const record: HostileRecord = { label: 'proto-keys-text', value: Buffer.from(spliced), expect: { kind: 'any' } };
      await runBatch([record], [0]);
      const parsed = JSON.parse(spliced);
      assert.ok(
        Object.hasOwn(parsed, '__proto__') && Object.hasOwn(parsed.meta, 'constructor'),
        'the poison is really in the record',
      );
    }),
    { numRuns: 50 },
  );
});

/** One record through the pipeline with the table client; the message it became. */
async function single(value: Buffer) {
  const sink = memorySink();
  const { client } = tableClient();
  const event = kafkaEsmEventFor([{ topic: TOPIC, partition: 0, offset: 0, key: null, value }]);
  await processBatch(event, NO_DEADLINE, {
    client,
    sink,
    events: EVENTS,
    maxMessageBytes: MAX_MESSAGE_BYTES,
    contentBudgetBytes: DEFAULT_CONTENT_BUDGET_BYTES,
    resolver: apiEndpointResolver('http://127.0.0.1:9/api.php', TEST_ALLOWLIST),
  });
  assert.equal(sink.messages.length, 1);
  return { kind: sink.messages[0]!.kind, event: JSON.parse(sink.messages[0]!.value) };
}

test('a number literal past the double range in an unbounded integer field is rejected, not output as null', async () => {
  const text = JSON.stringify(baseEvent(fixedBase)).replace('"namespace_id":0', '"namespace_id":1e309');
  const m = await single(Buffer.from(text));
  assert.equal(m.kind, 'error', `enriched with page.namespace_id = ${JSON.stringify(m.event.page?.namespace_id)}`);
  assert.equal(m.event.error_type, 'InvalidEvent');
});

test('a well-formed event nested too deep to serialise becomes an error event of a documented type', async () => {
  const m = await single(deepRecord(fixedBase, 'extra-field', 100_000).value!);
  assert.equal(m.kind, 'error');
  assert.ok(KNOWN_ERROR_TYPES.has(m.event.error_type), m.event.error_type);
});

after(() => reportCounts(10_000));
