/**
 * Property-based test of the batch pipeline against hostile Action API bodies: HTTP 200 with
 * any JSON shape, through the real revision content client and a fault proxy. Every record
 * still becomes one error or enriched message, and Object.prototype is untouched.
 */
import assert from 'node:assert/strict';
import { DEFAULT_CONTENT_BUDGET_BYTES } from '../support/batch-deps.js';
import { after, test } from 'node:test';
import fc from 'fast-check';
import { apiEndpointResolver } from '../../lib/mediawiki/domain-allowlist.js';
import { SETTINGS } from '../../lib/settings/catalogue.js';
import { kafkaEsmEventFor } from '../../scripts/lib/esm-event.js';
import { processBatch } from '../../lib/pipeline/process-batch.js';
import { NO_DEADLINE } from '../../lib/core/deadline.js';
import { memorySink } from '../../scripts/lib/dev-sinks.js';
import { assertNoPollution, check, fixedBase, MAX_MESSAGE_BYTES, TOPIC } from '../support/hostile/batch-checks.js';
import { assertErrorEvent, EVENTS, KNOWN_ERROR_TYPES } from '../support/hostile/outcomes.js';
import { baseEvent, TEST_ALLOWLIST } from '../support/hostile/records.js';
import { countRecord, reportCounts } from '../support/hostile/tally.js';

/** Action API bodies of every wrong shape, built level by level so the walk reaches each level. */
function hostileApiBodyArb(): fc.Arbitrary<string> {
  const any = fc.oneof(fc.jsonValue({ maxDepth: 2 }), fc.constantFrom(null, [], {}, '', 0, true));
  const notContinue = fc.constantFrom(undefined, null, 'x', 1, [], true);
  const opt = <T>(a: fc.Arbitrary<T>) => fc.oneof(fc.constant(undefined), a, any);
  const slot = fc.oneof(
    any,
    fc.record(
      {
        content: opt(fc.string()),
        contentmodel: opt(fc.string()),
        sha1: opt(fc.constantFrom('da39a3ee5e6b4b0d3255bfef95601890afd80709', 'zz', '')),
        size: opt(fc.nat()),
        texthidden: opt(fc.boolean()),
        textmissing: opt(fc.boolean()),
      },
      { requiredKeys: [] },
    ),
  );
  const rev = fc.oneof(
    any,
    fc.record(
      {
        revid: fc.oneof(fc.constant(7), any),
        slots: opt(fc.dictionary(fc.constantFrom('main', 'aux', '__proto__', 'constructor'), slot, { maxKeys: 3 })),
      },
      { requiredKeys: [] },
    ),
  );
  const page = fc.oneof(
    any,
    fc.record({ pageid: opt(fc.nat()), revisions: opt(fc.array(rev, { maxLength: 3 })) }, { requiredKeys: [] }),
  );
  const pages = fc.oneof(
    fc.array(page, { maxLength: 3 }),
    fc.dictionary(fc.string({ maxLength: 3 }), page, { maxKeys: 2 }),
  );
  const body = fc.record(
    {
      query: opt(fc.record({ pages: opt(pages), badrevids: opt(any) }, { requiredKeys: [] })),
      error: opt(
        fc.record(
          { code: opt(fc.constantFrom('maxlag', 'badrevids', 'x')), info: opt(fc.string()) },
          { requiredKeys: [] },
        ),
      ),
      continue: notContinue,
    },
    { requiredKeys: [] },
  );
  return fc.oneof(
    body.map((b) => JSON.stringify(b)),
    fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v)),
    fc.constantFrom(
      'null',
      '[]',
      '"x"',
      '1',
      '{"query":null}',
      '{"query":{"pages":{"1":{}}}}',
      '{"query":{"pages":[null]}}',
      `${'['.repeat(100_000)}${']'.repeat(100_000)}`,
      '{"continue":"rvcontinue"}',
    ),
  );
}

test('hostile Action API bodies (HTTP 200, any JSON shape) never reject processBatch: each record still becomes one error or enriched message', async () => {
  const { revisionContentClient } = await import('../../lib/mediawiki/revision-content-client.js');
  const { startFaultProxy } = await import('../support/fault-proxy.js');
  const proxy = await startFaultProxy('http://127.0.0.1:9/api.php');
  const resolver = apiEndpointResolver(proxy.url, TEST_ALLOWLIST);
  const client = revisionContentClient(
    {
      urlTemplate: proxy.url,
      allowedDomains: TEST_ALLOWLIST,
      userAgent: 'hostile-test',
      timeoutMs: 2000,
      connectTimeoutMs: 1000,
      retryBudgetMs: SETTINGS.MW_API_RETRY_BUDGET_MS.default,
      maxRetries: 0,
      retryBaseMs: 1,
      retryMaxMs: 1,
      maxlag: 5,
      revisionsPerRequest: 50,
      concurrency: 2,
      connections: 2,
      deadlineMarginMs: 0,
    },
    { resolver },
  );
  const unexpected = new Map<string, number>();
  try {
    await check(
      fc.asyncProperty(hostileApiBodyArb(), async (body) => {
        proxy.reset();
        proxy.setDefault({ kind: 'status', status: 200, body });
        const value = Buffer.from(JSON.stringify(baseEvent({ ...fixedBase, revId: 7, contentMeta: 'none' })));
        const sink = memorySink();
        const event = kafkaEsmEventFor([{ topic: TOPIC, partition: 0, offset: 0, key: null, value }]);
        const result = await processBatch(event, NO_DEADLINE, {
          client,
          resolver,
          sink,
          events: EVENTS,
          maxMessageBytes: MAX_MESSAGE_BYTES,
          contentBudgetBytes: DEFAULT_CONTENT_BUDGET_BYTES,
        });
        countRecord('api-body');
        assert.equal(result.outcomes.length, 1);
        assert.equal(sink.messages.length, 1, 'one message');
        const m = sink.messages[0]!;
        if (m.kind === 'error') {
          const e = assertErrorEvent(m.value, value, `api body ${body.slice(0, 200)}`, { allowUnexpected: true });
          if (!KNOWN_ERROR_TYPES.has(e.error_type))
            unexpected.set(`${e.error_type}: ${e.message}`, (unexpected.get(`${e.error_type}: ${e.message}`) ?? 0) + 1);
        } else {
          const out = JSON.parse(m.value);
          assert.equal(
            typeof out.revision.content_slots.main?.content_body,
            'string',
            'enriched only with string content',
          );
        }
        assertNoPollution(`api body ${body.slice(0, 200)}`);
      }),
      { numRuns: 300 },
    );
  } finally {
    await client.close();
    await proxy.close();
  }
  if (unexpected.size > 0)
    console.log(`hostile-input: unstable error types from hostile API bodies: ${JSON.stringify([...unexpected])}`);
});

after(() => reportCounts());
