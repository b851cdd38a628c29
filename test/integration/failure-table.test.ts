/**
 * The MediaWiki failure table, row by row, through a fault-injecting proxy in front of
 * the real MediaWiki: which failures are retried (and how often, and for how long), which
 * go straight to the error topic, and that the Lambda deadline bounds every retry. The
 * whole table runs twice: with the URL naming the wiki, and the way Wikimedia runs it,
 * through a service mesh proxy on one fixed URL that routes by `Host`
 * (`MW_API_HOST_HEADER=domain`).
 */
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, test } from 'node:test';
import type { MediaWikiApiConfig } from '../../lib/settings/config.js';
import { createRevision, ensureMediaWiki, hideRevisionContent, uniqueTitle } from '../support/mediawiki.js';
import { pageChangeEvent } from '../../scripts/lib/page-change-events.js';
import { enrichBatch, TEST_DOMAIN } from '../support/enrich-harness.js';
import { startFaultProxy, type Fault, type FaultProxy } from '../support/fault-proxy.js';
import { startHostRouter, type HostRouter } from '../support/host-router.js';
import type { Deadline } from '../../lib/core/deadline.js';
import type { RetryClock } from '../../lib/mediawiki/revision-content-client.js';
import { virtualClock } from '../support/virtual-clock.js';

const MAX_RETRIES = 2;
/** The client's request timeout in tests that inject a read timeout (the proxy never answers). */
const READ_TIMEOUT = { timeoutMs: 1000 };
const FIRST_RECORD = { itemIdentifier: { partition: 'mediawiki.page_change.v1-0', offset: 0 } };
/** The production backoff defaults, for the time-based rows. */
const PRODUCTION_BACKOFF = { retryBaseMs: 200, retryMaxMs: 5000, maxRetries: undefined } as const;
let proxy: FaultProxy;
let router: HostRouter;
let page: { pageId: number; revId: number; text: string };

before(async () => {
  const { apiUrl } = await ensureMediaWiki();
  proxy = await startFaultProxy(apiUrl);
  router = await startHostRouter({ [TEST_DOMAIN]: proxy.url });
  page = await createRevision(uniqueTitle('Faults'), 'content behind faults ✓');
});
after(async () => {
  await router.close();
  await proxy.close();
});
beforeEach(() => {
  proxy.reset();
  router.requests.length = 0;
});

interface Route {
  readonly name: string;
  /** The API URL the client is configured with, and the settings that go with it. */
  readonly url: () => string;
  readonly api: Partial<MediaWikiApiConfig>;
}

const ROUTES: Route[] = [
  { name: 'URL names the wiki', url: () => proxy.url, api: {} },
  { name: 'mesh proxy, wiki chosen by Host', url: () => router.url, api: { hostHeader: 'domain' } },
];

for (const route of ROUTES) {
  describe(`failure table (${route.name})`, () => {
    const event = () =>
      pageChangeEvent({ domain: TEST_DOMAIN, pageId: page.pageId, revId: page.revId, content: page.text });
    type Values = Parameters<typeof enrichBatch>[1];
    const enrich = (values: Values, api: Partial<MediaWikiApiConfig> = {}, deadline?: Deadline, clock?: RetryClock) =>
      enrichBatch(route.url(), values, { api: { ...route.api, ...api }, deadline, clock });
    // The client's timeout fires only where a test injects a timeout (`READ_TIMEOUT`); elsewhere it is far
    // beyond any answer of a loaded wiki, so no test's attempt count depends on how fast the wiki answers.
    const run = (api: Partial<MediaWikiApiConfig> = {}, clock?: RetryClock) =>
      enrich([event()], { maxRetries: MAX_RETRIES, timeoutMs: 600_000, retryBaseMs: 10, ...api }, undefined, clock);

    async function expectError(faults: Fault[] | Fault, errorType: string, attempts: number, api = {}) {
      if (Array.isArray(faults)) proxy.script(...faults);
      else proxy.setDefault(faults);
      const { messages, result } = await run(api);
      assert.deepEqual(result.response.batchItemFailures, []);
      assert.equal(messages.length, 1);
      assert.equal(messages[0]!.kind, 'error', 'an error event');
      assert.equal(messages[0]!.event.error_type, errorType, messages[0]!.event.message);
      assert.equal(proxy.requests.length, attempts, `attempts at the wiki for ${errorType}`);
    }

    async function expectRecovery(faults: Fault[], api = {}) {
      proxy.script(...faults);
      const { messages } = await run(api);
      assert.equal(messages[0]!.kind, 'output', JSON.stringify(messages[0]!.event.message));
      assert.equal(messages[0]!.event.revision.content_slots.main.content_body, page.text);
      // With a short timeout a loaded wiki's answer can come after it: the client saw a timeout and retried.
      const slowWiki = proxy.requests.filter((r) => r.fault === undefined && r.clientGaveUp).length;
      for (const r of proxy.requests)
        if (r.fault === 'timeout') assert.equal(r.clientGaveUp, true, 'the client gave up');
      assert.equal(proxy.requests.length - slowWiki, faults.length + 1);
    }

    test('read timeout: retried up to the threshold, then MediaWikiNetworkError', () =>
      expectError({ kind: 'timeout' }, 'MediaWikiNetworkError', MAX_RETRIES + 1, READ_TIMEOUT));
    test('read timeout then success: enriched', () => expectRecovery([{ kind: 'timeout' }], READ_TIMEOUT));
    test('connection reset: retried, then MediaWikiNetworkError', () =>
      expectError({ kind: 'reset' }, 'MediaWikiNetworkError', MAX_RETRIES + 1));
    test('connect timeout/refused: retried, then MediaWikiNetworkError', async () => {
      const api = { ...route.api, maxRetries: MAX_RETRIES, retryBaseMs: 5, connectTimeoutMs: 200 };
      const { messages } = await enrichBatch('http://127.0.0.1:9/api.php', [event()], { api });
      assert.equal(messages[0]!.event.error_type, 'MediaWikiNetworkError');
      assert.match(messages[0]!.event.message, /after 2 retries/);
    });
    test('HTTP 204: no retry, MediaWikiHttpNoContent', () =>
      expectError({ kind: 'status', status: 204 }, 'MediaWikiHttpNoContent', 1));
    for (const status of [301, 302, 307]) {
      test(`HTTP ${status}: not followed, no retry, MediaWikiHttpRedirect`, async () => {
        const headers = { location: `http://127.0.0.1:${proxy.port}/elsewhere.php` };
        await expectError({ kind: 'status', status, headers }, 'MediaWikiHttpRedirect', 1);
        assert.ok(!proxy.requests.some((r) => r.url.includes('elsewhere')), 'redirect not followed');
      });
    }
    for (const status of [400, 403, 404, 429]) {
      test(`HTTP ${status}: no retry, MediaWikiHttpClientError`, () =>
        expectError({ kind: 'status', status }, 'MediaWikiHttpClientError', 1));
    }
    for (const status of [500, 502, 503, 504]) {
      test(`HTTP ${status}: retried up to the threshold, then MediaWikiHttpServerError`, () =>
        expectError({ kind: 'status', status }, 'MediaWikiHttpServerError', MAX_RETRIES + 1));
    }
    test('HTTP 503 then success: enriched', () =>
      expectRecovery([
        { kind: 'status', status: 503 },
        { kind: 'status', status: 502 },
      ]));
    for (const status of [501, 505, 507]) {
      test(`HTTP ${status}: no retry, MediaWikiHttpServerError`, () =>
        expectError({ kind: 'status', status }, 'MediaWikiHttpServerError', 1));
    }
    test('200 with badrevids: retried, then RevisionMissing', () =>
      expectError({ kind: 'omit-revisions' }, 'RevisionMissing', MAX_RETRIES + 1));
    test('200 with badrevids then success (replica caught up): enriched', () =>
      expectRecovery([{ kind: 'omit-revisions' }]));
    test("200 with a maxlag error (the real wiki's): retried, then MediaWikiMaxlag", () =>
      expectError({ kind: 'maxlag', retryAfterSeconds: 0 }, 'MediaWikiMaxlag', MAX_RETRIES + 1));
    test('maxlag honours Retry-After before the retry', async () => {
      proxy.script({ kind: 'maxlag', retryAfterSeconds: 1 });
      const clock = virtualClock();
      const { messages } = await run({}, clock);
      assert.equal(messages[0]!.kind, 'output');
      assert.equal(proxy.requests.length, 2);
      assert.deepEqual(clock.sleeps, [1000], 'one wait between the two requests: the Retry-After, longer than backoff');
    });
    test('content hidden since the event (real texthidden): no retry, ContentHidden', async () => {
      const title = uniqueTitle('Suppressed');
      const hidden = await createRevision(title, 'suppressed later');
      await createRevision(title, 'newer');
      await hideRevisionContent(hidden.revId);
      const hiddenEvent = pageChangeEvent({ domain: TEST_DOMAIN, pageId: hidden.pageId, revId: hidden.revId });
      const { messages } = await enrich([hiddenEvent], { maxRetries: MAX_RETRIES });
      assert.equal(messages[0]!.event.error_type, 'ContentHidden');
      assert.equal(proxy.requests.length, 1);
    });
    test('200 with another API error: no retry, MediaWikiApiError', () =>
      expectError(
        { kind: 'status', status: 200, body: '{"error":{"code":"internal_api_error_DBQueryError","info":"db down"}}' },
        'MediaWikiApiError',
        1,
      ));
    // The request timeout (10 minutes) is far past the deadline (1.2 s): only the deadline can end
    // the request, and the test's own timeout (60 s) stands guard should it not.
    test('no retry may run past the deadline: the record is redelivered, not errored', {
      timeout: 60_000,
    }, async () => {
      // The deadline, 1.2 s away when the request starts, has passed once the wiki holds it (a busy machine
      // cannot start the request too late, nor leave time for a retry).
      let reached = false;
      const deadline: Deadline = { remainingMs: () => (reached ? -1 : 1200) };
      proxy.setDefault(() => {
        reached = true;
        return { kind: 'timeout' };
      });
      const api = { maxRetries: 50, timeoutMs: 600_000, retryBaseMs: 10 };
      const { result, messages } = await enrich([event()], api, deadline);
      assert.equal(messages.length, 0, 'nothing half-written');
      assert.deepEqual(result.response.batchItemFailures, [FIRST_RECORD]);
      assert.equal(proxy.requests.length, 1, 'no retry after the deadline');
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

    // HTTP 408 ("Connection Timeout … Retry: Yes" in the table): retried like a 5xx.
    test('HTTP 408: retried up to the threshold, then MediaWikiHttpClientError', () =>
      expectError({ kind: 'status', status: 408 }, 'MediaWikiHttpClientError', MAX_RETRIES + 1));
    test('HTTP 408 then success: enriched', () => expectRecovery([{ kind: 'status', status: 408 }]));
    test('HTTP 503 honours Retry-After before the retry', async () => {
      proxy.script({ kind: 'status', status: 503, headers: { 'retry-after': '1' } });
      const clock = virtualClock();
      const { messages } = await run({}, clock);
      assert.equal(messages[0]!.kind, 'output');
      assert.equal(proxy.requests.length, 2);
      assert.deepEqual(clock.sleeps, [1000], 'one wait between the two requests: the Retry-After, longer than backoff');
    });

    test('replica lag of ~3 s (badrevids, then the revision): enriched within the default retry budget', async () => {
      const clock = virtualClock();
      const lagUntil = clock.now() + 3000;
      const askedAt: number[] = [];
      proxy.setDefault(() => {
        askedAt.push(clock.now());
        return clock.now() < lagUntil ? { kind: 'omit-revisions' } : undefined;
      });
      const { messages, result } = await enrich(
        [event()],
        { ...PRODUCTION_BACKOFF, timeoutMs: 600_000 },
        undefined,
        clock,
      );
      assert.deepEqual(result.response.batchItemFailures, []);
      assert.equal(messages[0]!.kind, 'output', messages[0]!.event.message);
      assert.equal(messages[0]!.event.revision.content_slots.main.content_body, page.text);
      assert.ok(proxy.requests.filter((r) => r.fault === 'omit-revisions').length >= 1);
      assert.ok(askedAt.at(-1)! >= lagUntil, 'the last request came after the lag');
      assert.equal(askedAt.length, clock.sleeps.length + 1, 'one wait before each retry');
      assert.ok(clock.slept() <= 10_000, `waited ${clock.slept()} ms, within the default retry budget`);
    });

    test('retries stop when the retry budget is spent, counted from the first failure', async () => {
      proxy.setDefault({ kind: 'status', status: 503 });
      const api = { retryBudgetMs: 1000, retryBaseMs: 50, retryMaxMs: 200, maxRetries: undefined };
      const clock = virtualClock();
      const { messages } = await enrich([event()], api, undefined, clock);
      assert.equal(messages[0]!.event.error_type, 'MediaWikiHttpServerError');
      const retries = clock.sleeps.length;
      assert.match(messages[0]!.event.message, new RegExp(`after ${retries} retries in ${clock.slept()} ms`));
      assert.equal(proxy.requests.length, retries + 1, 'one wait before each retry');
      // No wait ends past the budget; the client gives up once the next wait (at most the 200 ms cap) would.
      assert.ok(clock.slept() <= 1000, `retried for ${clock.slept()} ms`);
      assert.ok(clock.slept() > 1000 - 200, `gave up after ${clock.slept()} ms`);
      assert.ok(proxy.requests.length > 4, `${proxy.requests.length} attempts: more than a fixed count of 3 retries`);
    });

    test('unresolved when the deadline comes, within the retry budget: redelivered, not RevisionMissing', async () => {
      proxy.setDefault({ kind: 'omit-revisions' });
      const api = { ...PRODUCTION_BACKOFF, timeoutMs: 600_000 };
      const clock = virtualClock();
      const { messages, result } = await enrich([event()], api, clock.deadlineIn(1500), clock);
      assert.equal(messages.length, 0, 'no error event');
      assert.deepEqual(result.response.batchItemFailures, [FIRST_RECORD]);
      assert.equal(proxy.requests.length, clock.sleeps.length + 1, 'one wait before each retry');
      // A retry starts only when it can end by the deadline: its wait plus a request (1 s at most here).
      assert.ok(clock.slept() + 1000 <= 1500, `waited ${clock.slept()} ms of the 1500 ms to the deadline`);
    });
  });
}

describe('mesh proxy routing by Host (MW_API_HOST_HEADER=domain)', () => {
  const event = (domain: string, revId = page.revId) =>
    pageChangeEvent({ domain, pageId: page.pageId, revId, content: page.text });

  test('every request carries Host: meta.domain to the one fixed URL', async () => {
    const { messages } = await enrichBatch(router.url, [event(TEST_DOMAIN)], { api: { hostHeader: 'domain' } });
    assert.equal(messages[0]!.kind, 'output');
    assert.deepEqual(
      router.requests.map((r) => [r.host, r.routed]),
      [[TEST_DOMAIN, true]],
    );
  });

  test('without it the proxy sees its own address as Host and cannot route (404, not retried)', async () => {
    const { messages } = await enrichBatch(router.url, [event(TEST_DOMAIN)], { api: { maxRetries: 2 } });
    assert.equal(messages[0]!.event.error_type, 'MediaWikiHttpClientError');
    assert.equal(router.requests.length, 1);
    assert.match(router.requests[0]!.host!, /^127\.0\.0\.1:\d+$/);
  });

  test('an allowed domain the proxy does not know: 404, MediaWikiHttpClientError, no split', async () => {
    const other = 'other.wiki.local';
    const values = [event(other, page.revId + 1000), event(other, page.revId + 1001)];
    const { messages } = await enrichBatch(router.url, values, {
      api: { hostHeader: 'domain', allowedDomains: [TEST_DOMAIN, other], maxRetries: 2 },
    });
    assert.deepEqual(
      messages.map((m) => m.event.error_type),
      ['MediaWikiHttpClientError', 'MediaWikiHttpClientError'],
    );
    assert.deepEqual(
      router.requests.map((r) => [r.host, r.routed]),
      [[other, false]],
    );
  });

  test('the allowlist and the plain-hostname check apply to meta.domain before anything is sent', async () => {
    const values = ['en.wikipedia.org', '127.0.0.1', 'dev.wiki.local:8080', 'evil.example\r\nx-injected: 1'].map(event);
    const { messages } = await enrichBatch(router.url, values, { api: { hostHeader: 'domain' } });
    assert.deepEqual(
      messages.map((m) => m.event.error_type),
      Array(4).fill('DomainNotAllowed'),
    );
    assert.equal(router.requests.length, 0, 'nothing reached the proxy');
  });
});
