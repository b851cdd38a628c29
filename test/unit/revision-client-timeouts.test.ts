/**
 * A request timeout bounded by the invocation deadline is a whole number of milliseconds: undici
 * throws ERR_OUT_OF_RANGE for a fractional one, which made every request near the deadline a
 * "network error" (retried at once, then an error event) instead of a fetch or a redelivery.
 */
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import { apiEndpointResolver } from '../../lib/mediawiki/domain-allowlist.js';
import { fetchAllRevisions, revisionContentClient } from '../../lib/mediawiki/revision-content-client.js';
import { testApiConfig } from '../support/enrich-harness.js';

test('a deadline with a fractional remaining time still fetches', async () => {
  const server = createServer((req, res) => {
    const revid = Number(new URL(req.url ?? '/', 'http://x').searchParams.get('revids'));
    res.setHeader('content-type', 'application/json');
    res.end(
      JSON.stringify({
        batchcomplete: true,
        query: {
          pages: [
            {
              pageid: 1,
              ns: 0,
              title: 'T',
              revisions: [
                {
                  revid,
                  parentid: 0,
                  sha1: 'a9993e364706816aba3e25717850c26c9cd0d89d',
                  size: 3,
                  slots: {
                    main: {
                      contentmodel: 'wikitext',
                      contentformat: 'text/x-wiki',
                      content: 'abc',
                      size: 3,
                      sha1: 'a9993e364706816aba3e25717850c26c9cd0d89d',
                    },
                  },
                },
              ],
            },
          ],
        },
      }),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api.php`;
  // The deadline is nearer than the request timeout, so it bounds the request, and far enough that no answer is late.
  const config = testApiConfig(url, { timeoutMs: 600_000 });
  const client = revisionContentClient(config, { resolver: apiEndpointResolver(url, config.allowedDomains) });
  try {
    const deadline = { remainingMs: () => 300_000.5 };
    const results = await fetchAllRevisions(client, { domain: 'dev.wiki.local', revIds: [42], deadline });
    const r = results.get(42);
    assert.ok(r?.ok, `fetched, not ${r && !r.ok ? `${r.error.name}: ${r.error.message}` : 'missing'}`);
  } finally {
    await client.close();
    server.close();
  }
});
