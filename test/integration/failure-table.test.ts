/**
 * The seed's failure table, row by row, through a fault-injecting proxy in front of
 * the real MediaWiki: which failures are retried (and how often), which go straight
 * to the error topic, and that the Lambda deadline bounds every retry.
 */
import assert from 'node:assert/strict';
import { after, before, beforeEach, test } from 'node:test';
import { createRevision, ensureMediaWiki, hideRevisionContent, uniqueTitle } from '../support/mediawiki.js';
import { pageChangeEvent } from '../support/events.js';
import { enrichBatch, TEST_DOMAIN } from '../support/enrich-harness.js';
import { startFaultProxy, type Fault, type FaultProxy } from '../support/fault-proxy.js';
import { deadlineAt } from '../../lib/retry.js';

const MAX_RETRIES = 2;
let proxy: FaultProxy;
let page: { pageId: number; revId: number; text: string };

before(async () => {
  const { apiUrl } = await ensureMediaWiki();
  proxy = await startFaultProxy(apiUrl);
  page = await createRevision(uniqueTitle('Faults'), 'content behind faults ✓');
});
after(() => proxy.close());
beforeEach(() => proxy.reset());

const event = () => pageChangeEvent({ domain: TEST_DOMAIN, pageId: page.pageId, revId: page.revId, content: page.text });
const run = (api: Record<string, number> = {}) => enrichBatch(proxy.url, [event()], { api: { maxRetries: MAX_RETRIES, timeoutMs: 1000, retryBaseMs: 10, ...api } });

async function expectError(faults: Fault[] | Fault, errorType: string, attempts: number) {
  if (Array.isArray(faults)) proxy.script(...faults);
  else proxy.setDefault(faults);
  const { messages, result } = await run();
  assert.deepEqual(result.response.batchItemFailures, []);
  assert.equal(messages.length, 1);
  assert.equal(messages[0]!.kind, 'error', 'an error event');
  assert.equal(messages[0]!.event.error_type, errorType, messages[0]!.event.message);
  assert.equal(proxy.requests.length, attempts, `attempts at the wiki for ${errorType}`);
}

async function expectRecovery(faults: Fault[]) {
  proxy.script(...faults);
  const { messages } = await run();
  assert.equal(messages[0]!.kind, 'output', JSON.stringify(messages[0]!.event.message));
  assert.equal(messages[0]!.event.revision.content_slots.main.content_body, page.text);
  assert.equal(proxy.requests.length, faults.length + 1);
}

test('read timeout: retried up to the threshold, then MediaWikiNetworkError', () => expectError({ kind: 'timeout' }, 'MediaWikiNetworkError', MAX_RETRIES + 1));
test('read timeout then success: enriched', () => expectRecovery([{ kind: 'timeout' }]));
test('connection reset: retried, then MediaWikiNetworkError', () => expectError({ kind: 'reset' }, 'MediaWikiNetworkError', MAX_RETRIES + 1));
test('connect timeout/refused: retried, then MediaWikiNetworkError', async () => {
  const { messages } = await enrichBatch('http://127.0.0.1:9/api.php', [event()], { api: { maxRetries: MAX_RETRIES, retryBaseMs: 5, connectTimeoutMs: 200 } });
  assert.equal(messages[0]!.event.error_type, 'MediaWikiNetworkError');
  assert.match(messages[0]!.event.message, /after 2 retries/);
});
test('HTTP 204: no retry, MediaWikiHttpNoContent', () => expectError({ kind: 'status', status: 204 }, 'MediaWikiHttpNoContent', 1));
for (const status of [301, 302, 307]) {
  test(`HTTP ${status}: not followed, no retry, MediaWikiHttpRedirect`, async () => {
    await expectError({ kind: 'status', status, headers: { location: `http://127.0.0.1:${proxy.port}/elsewhere.php` } }, 'MediaWikiHttpRedirect', 1);
    assert.ok(!proxy.requests.some((r) => r.url.includes('elsewhere')), 'redirect not followed');
  });
}
for (const status of [400, 403, 404, 429]) {
  test(`HTTP ${status}: no retry, MediaWikiHttpClientError`, () => expectError({ kind: 'status', status }, 'MediaWikiHttpClientError', 1));
}
for (const status of [500, 502, 503, 504]) {
  test(`HTTP ${status}: retried up to the threshold, then MediaWikiHttpServerError`, () => expectError({ kind: 'status', status }, 'MediaWikiHttpServerError', MAX_RETRIES + 1));
}
test('HTTP 503 then success: enriched', () => expectRecovery([{ kind: 'status', status: 503 }, { kind: 'status', status: 502 }]));
for (const status of [501, 505, 507]) {
  test(`HTTP ${status}: no retry, MediaWikiHttpServerError`, () => expectError({ kind: 'status', status }, 'MediaWikiHttpServerError', 1));
}
test('200 with badrevids: retried, then RevisionMissing', () => expectError({ kind: 'omit-revisions' }, 'RevisionMissing', MAX_RETRIES + 1));
test('200 with badrevids then success (replica caught up): enriched', () => expectRecovery([{ kind: 'omit-revisions' }]));
test('200 with a maxlag error (the real wiki\'s): retried, then MediaWikiMaxlag', () => expectError({ kind: 'maxlag', retryAfterSeconds: 0 }, 'MediaWikiMaxlag', MAX_RETRIES + 1));
test('maxlag honours Retry-After before the retry', async () => {
  proxy.script({ kind: 'maxlag', retryAfterSeconds: 1 });
  const { messages } = await run();
  assert.equal(messages[0]!.kind, 'output');
  const [first, second] = proxy.requests;
  assert.ok(second!.at - first!.at >= 1000, `waited ${second!.at - first!.at} ms`);
});
test('content hidden since the event (real texthidden): no retry, ContentHidden', async () => {
  const title = uniqueTitle('Suppressed');
  const hidden = await createRevision(title, 'suppressed later');
  await createRevision(title, 'newer');
  await hideRevisionContent(hidden.revId);
  const { messages } = await enrichBatch(proxy.url, [pageChangeEvent({ domain: TEST_DOMAIN, pageId: hidden.pageId, revId: hidden.revId })], { api: { maxRetries: MAX_RETRIES } });
  assert.equal(messages[0]!.event.error_type, 'ContentHidden');
  assert.equal(proxy.requests.length, 1);
});
test('200 with another API error: no retry, MediaWikiApiError', () =>
  expectError({ kind: 'status', status: 200, body: '{"error":{"code":"internal_api_error_DBQueryError","info":"db down"}}' }, 'MediaWikiApiError', 1));
test('no retry may run past the deadline: the record is redelivered, not errored', async () => {
  proxy.setDefault({ kind: 'timeout' });
  const started = Date.now();
  const { result, messages } = await enrichBatch(proxy.url, [event()], { api: { maxRetries: 50, timeoutMs: 5000, retryBaseMs: 10 }, deadline: deadlineAt(started + 1200) });
  const elapsed = Date.now() - started;
  assert.ok(elapsed < 1700, `returned after ${elapsed} ms`);
  assert.equal(messages.length, 0, 'nothing half-written');
  assert.deepEqual(result.response.batchItemFailures, [{ itemIdentifier: { partition: 'mediawiki.page_change.v1-0', offset: 0 } }]);
});
test('the configured User-Agent and maxlag go with every request', async () => {
  proxy.script({ kind: 'status', status: 503 });
  await run();
  assert.equal(proxy.requests.length, 2);
  for (const r of proxy.requests) {
    assert.equal(r.userAgent, 'mw-page-content-change-enrich-tests/0.1 (test@example.org)');
    assert.match(r.url, /[?&]maxlag=5(&|$)/);
    assert.match(r.url, /[?&]formatversion=2(&|$)/);
  }
});
