import assert from 'node:assert/strict';
import { test } from 'node:test';
import { WIKIMEDIA_DOMAINS } from '../../lib/settings/config.js';
import { apiEndpointResolver, compileDomainAllowlist, isPlainHostname } from '../../lib/mediawiki/domain-allowlist.js';
import { DomainNotAllowedError } from '../../lib/mediawiki/errors.js';

test('Wikimedia project domains are allowed by default', () => {
  const allowed = compileDomainAllowlist(WIKIMEDIA_DOMAINS);
  for (const d of [
    'en.wikipedia.org',
    'de.wiktionary.org',
    'commons.wikimedia.org',
    'www.wikidata.org',
    'en.m.wikipedia.org',
  ]) {
    assert.ok(allowed(d), d);
  }
  for (const d of ['wikipedia.org.evil.com', 'evilwikipedia.org', 'en.wikipedia.org.', 'example.com']) {
    assert.ok(!allowed(d), d);
  }
});

test('hostnames only: IP literals, ports, userinfo, paths and localhost are refused', () => {
  for (const d of [
    '127.0.0.1',
    '169.254.169.254',
    '10.0.0.1',
    '[::1]',
    'localhost',
    'a@b.org',
    'en.wikipedia.org:8080',
    'en.wikipedia.org/x',
    'EN.WIKIPEDIA.ORG',
    '0x7f.0.0.1',
    '',
  ]) {
    assert.ok(!isPlainHostname(d), d);
  }
  assert.ok(isPlainHostname('en.wikipedia.org'));
});

test('resolver builds the URL from the template and refuses domains outside the allowlist', () => {
  const r = apiEndpointResolver('https://{domain}/w/api.php', ['*.wikipedia.org']);
  assert.equal(r.endpointFor('fr.wikipedia.org').href, 'https://fr.wikipedia.org/w/api.php');
  assert.throws(() => r.endpointFor('en.wiktionary.org'), DomainNotAllowedError);
  assert.throws(() => r.endpointFor('evil.com#.wikipedia.org'), DomainNotAllowedError);
  assert.throws(() => r.endpointFor('169.254.169.254'), DomainNotAllowedError);
});

test('a fixed URL template still applies the allowlist to meta.domain', () => {
  const r = apiEndpointResolver('http://127.0.0.1:8765/api.php', ['dev.wiki.local']);
  assert.equal(r.endpointFor('dev.wiki.local').href, 'http://127.0.0.1:8765/api.php');
  assert.throws(() => r.endpointFor('en.wikipedia.org'), DomainNotAllowedError);
});
