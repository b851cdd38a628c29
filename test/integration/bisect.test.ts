/**
 * A request that fails for good fails only the revisions that fail on their own: the
 * client splits it in halves down to single revisions. Requests are counted at a
 * fault-injecting proxy in front of the real MediaWiki, for one bad revision among 50
 * (at most 2·⌈log2 50⌉ = 12 extra requests) and for an outage (a small constant more
 * than the retries alone).
 */
import assert from 'node:assert/strict';
import { after, before, beforeEach, test } from 'node:test';
import { createRevision, ensureMediaWiki, uniqueTitle } from '../support/mediawiki.js';
import { pageChangeEvent } from '../../scripts/lib/page-change-events.js';
import { enrichBatch, TEST_DOMAIN } from '../support/enrich-harness.js';
import { startFaultProxy, type Fault, type FaultProxy } from '../support/fault-proxy.js';

const MAX_RETRIES = 2;
const SPLIT_REQUESTS = 2 * Math.ceil(Math.log2(50));
let proxy: FaultProxy;
const revisions: Array<{ pageId: number; revId: number; text: string }> = [];

before(async () => {
  const { apiUrl } = await ensureMediaWiki();
  proxy = await startFaultProxy(apiUrl);
  const title = uniqueTitle('Bisect');
  for (let i = 0; i < 50; i++) {
    revisions.push(await createRevision(title, `revision ${i} of a page with one bad revision ✓`));
  }
});
after(() => proxy.close());
beforeEach(() => proxy.reset());

const events = () =>
  revisions.map((r) => pageChangeEvent({ domain: TEST_DOMAIN, pageId: r.pageId, revId: r.revId, content: r.text }));
// No test through `run` injects a timeout: the request timeout is far beyond any answer of a loaded wiki, so the
// good halves' answers are never late.
const run = () =>
  enrichBatch(proxy.url, events(), { api: { maxRetries: MAX_RETRIES, timeoutMs: 60_000, retryBaseMs: 10 } });
const apiError: Fault = {
  kind: 'status',
  status: 200,
  body: '{"error":{"code":"internal_api_error_MWException","info":"broken revision"}}',
};

/** `fault` for every request that asks for one of `bad`; the rest reach the wiki. */
function failRequestsWith(bad: readonly number[], fault: Fault) {
  proxy.setDefault((req) => (req.revids.some((id) => bad.includes(id)) ? fault : undefined));
}

type Messages = Awaited<ReturnType<typeof run>>['messages'];

function assertOnlyTheseFailed(messages: Messages, bad: readonly number[], errorType: string) {
  assert.equal(messages.length, 50);
  for (const m of messages) {
    const revId = m.event.revision?.rev_id ?? JSON.parse(m.event.raw_event).revision.rev_id;
    if (bad.includes(revId)) {
      assert.equal(m.kind, 'error', `revision ${revId}`);
      assert.equal(m.event.error_type, errorType);
      assert.match(m.event.message, new RegExp(`revision ${revId} fails alone`));
    } else {
      assert.equal(m.kind, 'output', `revision ${revId}: ${m.event.message}`);
      assert.equal(m.event.revision.content_slots.main.content_body, revisions.find((r) => r.revId === revId)!.text);
    }
  }
}

for (const position of [0, 17, 49]) {
  test(`one revision the API errors on (position ${position} of 50): only it fails, ≤ 12 extra requests`, async () => {
    const bad = [revisions[position]!.revId];
    failRequestsWith(bad, apiError);
    const { messages, result } = await run();
    assert.deepEqual(result.response.batchItemFailures, []);
    assertOnlyTheseFailed(messages, bad, 'MediaWikiApiError');
    assert.ok(proxy.requests.length - 1 <= SPLIT_REQUESTS, `${proxy.requests.length} requests`);
    assert.ok(
      proxy.requests.some((r) => r.revids.length === 1 && r.revids[0] === bad[0]),
      'asked for alone',
    );
  });
}

test('one revision the wiki answers 500 for: retried as a whole, then split; ≤ 12 more requests', async () => {
  const bad = [revisions[30]!.revId];
  failRequestsWith(bad, { kind: 'status', status: 500 });
  const { messages } = await run();
  assertOnlyTheseFailed(messages, bad, 'MediaWikiHttpServerError');
  const whole = proxy.requests.filter((r) => r.revids.length === 50).length;
  assert.equal(whole, MAX_RETRIES + 1, 'the whole request got its retries');
  assert.ok(proxy.requests.length - whole <= SPLIT_REQUESTS, `${proxy.requests.length} requests`);
});

test('one revision whose request times out (a huge page): only it fails', async () => {
  const bad = [revisions[5]!.revId];
  failRequestsWith(bad, { kind: 'timeout' });
  // The bad half's request never gets an answer, so the client's timer must end it; the good halves' answers come
  // from the wiki within that time (2 s: about 40 times what the local wiki takes for 25 revisions on a busy runner).
  const api = { maxRetries: 1, timeoutMs: 2000, retryBaseMs: 10 };
  const { messages } = await enrichBatch(proxy.url, events(), { api });
  assertOnlyTheseFailed(messages, bad, 'MediaWikiNetworkError');
  assert.ok(proxy.requests.length <= 2 + SPLIT_REQUESTS, `${proxy.requests.length} requests`);
});

test('two bad revisions in different halves: both found, the other 48 enriched', async () => {
  const bad = [revisions[3]!.revId, revisions[40]!.revId];
  failRequestsWith(bad, apiError);
  const { messages } = await run();
  assertOnlyTheseFailed(messages, bad, 'MediaWikiApiError');
  assert.ok(proxy.requests.length <= 1 + 2 * SPLIT_REQUESTS, `${proxy.requests.length} requests`);
});

for (const fault of [{ kind: 'status', status: 503 }, { kind: 'reset' }] as const) {
  const name = fault.kind === 'status' ? 'HTTP 503' : 'connection reset';
  test(`the whole wiki failing (${name}): no more than the retries plus 2 probes`, async () => {
    proxy.setDefault(fault);
    const { messages, result } = await run();
    assert.deepEqual(result.response.batchItemFailures, []);
    assert.equal(messages.length, 50);
    const expected = fault.kind === 'status' ? 'MediaWikiHttpServerError' : 'MediaWikiNetworkError';
    for (const m of messages) assert.equal(m.event.error_type, expected);
    assert.match(messages[0]!.event.message, /after 2 retries/);
    assert.equal(proxy.requests.length, MAX_RETRIES + 1 + 2);
  });
}

test('failures that say nothing about the revisions are not split (403, maxlag, connection refused)', async () => {
  for (const fault of [
    { kind: 'status', status: 403 },
    { kind: 'maxlag', retryAfterSeconds: 0 },
  ] as const) {
    proxy.reset();
    proxy.setDefault(fault);
    const { messages } = await run();
    assert.equal(messages.filter((m) => m.kind === 'error').length, 50);
    assert.ok(
      proxy.requests.every((r) => r.revids.length === 50),
      `${fault.kind}: never split`,
    );
  }
  const api = { maxRetries: MAX_RETRIES, retryBaseMs: 5, connectTimeoutMs: 200 };
  const refused = await enrichBatch('http://127.0.0.1:9/api.php', events(), { api });
  assert.equal(refused.stats.requests, MAX_RETRIES + 1);
  assert.equal(refused.messages.filter((m) => m.event.error_type === 'MediaWikiNetworkError').length, 50);
});

test('a request too large for the server (HTTP 414) is split until the parts go through', async () => {
  proxy.setDefault((req) => (req.revids.length > 20 ? { kind: 'status', status: 414 } : undefined));
  const { messages } = await run();
  assert.equal(messages.filter((m) => m.kind === 'output').length, 50);
  const sizes = proxy.requests.map((r) => r.revids.length).sort((a, b) => b - a);
  assert.deepEqual(sizes, [50, 25, 25, 13, 13, 12, 12]);
});
