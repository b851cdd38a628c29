import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConfigurationError, enrichConfigFromEnv } from '../../lib/settings/config.js';
import { readSettings } from '../../lib/settings/catalogue.js';

test('defaults: URL host sent as is, a 10 s retry budget with no count cap, 10 MiB messages', () => {
  const { mediawiki } = enrichConfigFromEnv({});
  assert.equal(mediawiki.hostHeader, undefined);
  assert.equal(mediawiki.retryBudgetMs, 10_000);
  assert.equal(mediawiki.maxRetries, undefined);
  assert.equal(readSettings({}).KAFKA_MAX_MESSAGE_BYTES, 10_485_760);
});

test('MW_API_HOST_HEADER=domain, a retry budget and an optional retry cap are read', () => {
  const env = { MW_API_HOST_HEADER: 'domain', MW_API_RETRY_BUDGET_MS: '30000', MW_API_MAX_RETRIES: '4' };
  const { mediawiki } = enrichConfigFromEnv(env);
  assert.equal(mediawiki.hostHeader, 'domain');
  assert.equal(mediawiki.retryBudgetMs, 30_000);
  assert.equal(mediawiki.maxRetries, 4);
});

test('an unknown MW_API_HOST_HEADER or a negative budget fails the container start, naming the variable', () => {
  for (const env of [{ MW_API_HOST_HEADER: 'url' }, { MW_API_HOST_HEADER: 'Host' }, { MW_API_RETRY_BUDGET_MS: '-1' }]) {
    const name = Object.keys(env)[0]!;
    const namesIt = (e: unknown) => e instanceof ConfigurationError && e.message.includes(name);
    assert.throws(() => enrichConfigFromEnv(env), namesIt);
  }
});
