/**
 * The MediaWiki failure table, row by row, in the unit suite: the real revision client against a
 * small local HTTP fake that answers every request with one failure. A retried row is asked
 * 1 + maxRetries times and waits before each retry; a final row is asked once and goes straight
 * to an error. The retries wait on a virtual clock, so the table runs without sleeping.
 */
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';
import { after, before, test } from 'node:test';
import { NO_DEADLINE } from '../../lib/core/deadline.js';
import { apiEndpointResolver } from '../../lib/mediawiki/domain-allowlist.js';
import { FinalFailure, httpStatusFailure, RetryableFailure } from '../../lib/mediawiki/failure-table.js';
import { fetchAllRevisions, revisionContentClient } from '../../lib/mediawiki/revision-content-client.js';
import { TEST_DOMAIN, testApiConfig } from '../support/enrich-harness.js';
import { virtualClock } from '../support/virtual-clock.js';

const MAX_RETRIES = 2;
const REV_ID = 42;

type Answer = (req: IncomingMessage, res: ServerResponse) => void;
const json =
  (body: unknown, headers: Record<string, string> = {}): Answer =>
  (_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json', ...headers });
    res.end(JSON.stringify(body));
  };
const status =
  (code: number): Answer =>
  (_req, res) => {
    res.writeHead(code, { 'content-type': 'text/plain' });
    res.end(code === 204 || code === 304 ? undefined : `injected ${code}`);
  };
const revision = (slot: Record<string, unknown>) => ({
  query: { pages: [{ pageid: 1, revisions: [{ revid: REV_ID, slots: { main: slot } }] }] },
});

interface Row {
  readonly failure: string;
  readonly answer: Answer;
  readonly retried: boolean;
  readonly errorType: string;
}

const statusRows = (codes: number[], retried: boolean, errorType: string): Row[] =>
  codes.map((code) => ({ failure: `HTTP ${code}`, answer: status(code), retried, errorType }));

/** The whole table: every row the client module names, and statuses on either side of each boundary. */
const TABLE: Row[] = [
  { failure: 'read timeout', answer: () => undefined, retried: true, errorType: 'MediaWikiNetworkError' },
  {
    failure: 'connection reset',
    answer: (req) => req.socket.destroy(),
    retried: true,
    errorType: 'MediaWikiNetworkError',
  },
  ...statusRows([408], true, 'MediaWikiHttpClientError'),
  ...statusRows([500, 502, 503, 504], true, 'MediaWikiHttpServerError'),
  ...statusRows([204], false, 'MediaWikiHttpNoContent'),
  ...statusRows([301, 302, 304, 307, 308], false, 'MediaWikiHttpRedirect'),
  ...statusRows([400, 401, 403, 404, 409, 413, 414, 429, 431], false, 'MediaWikiHttpClientError'),
  ...statusRows([501, 505, 507, 599], false, 'MediaWikiHttpServerError'),
  {
    failure: '200 with badrevids',
    answer: json({ query: { badrevids: { [REV_ID]: { revid: REV_ID } } } }),
    retried: true,
    errorType: 'RevisionMissing',
  },
  {
    failure: '200 with a maxlag error',
    answer: json(
      { error: { code: 'maxlag', info: 'Waiting for a replica: 7 seconds lagged.' } },
      { 'retry-after': '0' },
    ),
    retried: true,
    errorType: 'MediaWikiMaxlag',
  },
  {
    failure: '200 with a truncated gzip body',
    answer: (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-encoding': 'gzip' });
      res.end(gzipSync(JSON.stringify(revision({ content: 'abc' }))).subarray(0, 20));
    },
    retried: true,
    errorType: 'MediaWikiNetworkError',
  },
  {
    failure: 'texthidden slot',
    answer: json(revision({ texthidden: true })),
    retried: false,
    errorType: 'ContentHidden',
  },
  {
    failure: 'textmissing slot (content lost from storage)',
    answer: json(revision({ textmissing: true })),
    retried: false,
    errorType: 'MediaWikiApiError',
  },
  ...[
    ['null', null],
    ['a formatversion=1 pages object', { query: { pages: { 1: { pageid: 1 } } } }],
    ['a revision that is not an object', { query: { pages: [{ pageid: 1, revisions: ['x'] }] } }],
    [
      'a slot that is not an object',
      { query: { pages: [{ pageid: 1, revisions: [{ revid: REV_ID, slots: { main: 'x' } }] }] } },
    ],
    ['an error that is not an object', { error: 'maxlag' }],
  ].map(([what, body]) => ({
    failure: `200 with JSON of another shape (${what})`,
    answer: json(body),
    retried: false,
    errorType: 'MediaWikiApiError',
  })),
  {
    failure: '200 with another API error',
    answer: json({ error: { code: 'internal_api_error_DBQueryError', info: 'db down' } }),
    retried: false,
    errorType: 'MediaWikiApiError',
  },
  {
    failure: '200 with a body that is not JSON',
    answer: (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end('<html>Wikimedia Error</html>');
    },
    retried: false,
    errorType: 'MediaWikiApiError',
  },
];

let answer: Answer = status(500);
let requests = 0;
const server = createServer((req, res) => {
  requests++;
  answer(req, res);
});
let url: string;

before(async () => {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api.php`;
});
after(() => {
  server.closeAllConnections();
  server.close();
});

for (const row of TABLE) {
  test(`${row.failure}: ${row.retried ? `retried ${MAX_RETRIES} times` : 'not retried'}, then ${row.errorType}`, async () => {
    answer = row.answer;
    requests = 0;
    const clock = virtualClock();
    // A short request timeout only where the server never answers: an answer read late on a busy machine is not
    // the row's failure.
    const timeoutMs = row.failure === 'read timeout' ? 300 : 600_000;
    const config = testApiConfig(url, { maxRetries: MAX_RETRIES, timeoutMs, retryBaseMs: 10 });
    const client = revisionContentClient(config, { resolver: apiEndpointResolver(url, [TEST_DOMAIN]), clock });
    try {
      const request = { domain: TEST_DOMAIN, revIds: [REV_ID], deadline: NO_DEADLINE };
      const result = (await fetchAllRevisions(client, request)).get(REV_ID);
      assert.ok(result && !result.ok, 'an error, not content');
      assert.equal((result.error as { errorType?: string }).errorType, row.errorType, result.error.message);
      assert.equal(requests, row.retried ? 1 + MAX_RETRIES : 1, 'requests at the wiki');
      assert.equal(clock.sleeps.length, row.retried ? MAX_RETRIES : 0, 'waits before retries');
      assert.equal(client.stats.retries, row.retried ? MAX_RETRIES : 0);
    } finally {
      await client.close();
    }
  });
}

test('maxlag without Retry-After waits 1 s before each retry, longer than backoff', async () => {
  answer = json({ error: { code: 'maxlag', info: 'lagged' } });
  requests = 0;
  const clock = virtualClock();
  const config = testApiConfig(url, { maxRetries: MAX_RETRIES, retryBaseMs: 10 });
  const client = revisionContentClient(config, { resolver: apiEndpointResolver(url, [TEST_DOMAIN]), clock });
  try {
    await fetchAllRevisions(client, { domain: TEST_DOMAIN, revIds: [REV_ID], deadline: NO_DEADLINE });
    assert.deepEqual(clock.sleeps, [1000, 1000]);
  } finally {
    await client.close();
  }
});

test('every HTTP status but 200: retried exactly for 408, 500, 502, 503 and 504', () => {
  const retried: number[] = [];
  for (let code = 100; code < 600; code++) {
    if (code === 200) continue;
    const failure = httpStatusFailure(code, undefined, 'wiki.test');
    assert.ok(failure instanceof RetryableFailure || failure instanceof FinalFailure);
    if (failure instanceof RetryableFailure) retried.push(code);
  }
  assert.deepEqual(retried, [408, 500, 502, 503, 504]);
});
