/**
 * SSRF: `meta.domain` comes from the input topic, so it must never choose where a request
 * goes. Hostile domains (loopback in every spelling, link-local metadata, private ranges, IP
 * literals, userinfo, ports, paths, percent-encoding, trailing dots, case, homoglyphs/IDN,
 * CR/LF, fragments and queries, DNS names that resolve to loopback) run through processBatch
 * with the REAL revision content client, configured with per-domain URL templates and with a
 * fixed URL, next to a legitimate record fetched from the real MediaWiki through the fault proxy.
 *
 * Proof that nothing left: a trap listener on 127.0.0.1 (the port of the `{domain}` template)
 * gets zero connections, DNS (stubbed to answer 127.0.0.1 for everything, as attacker DNS would)
 * is asked only for the legitimate name, the proxy sees only the legitimate revision, the client
 * counts only the legitimate requests, and every hostile record is a DomainNotAllowed error event.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import fc from 'fast-check';
import { apiEndpointResolver, compileDomainAllowlist } from '../../lib/mediawiki/domain-allowlist.js';
import { processBatch } from '../../lib/pipeline/process-batch.js';
import { NO_DEADLINE } from '../../lib/core/deadline.js';
import { fetchAllRevisions, revisionContentClient } from '../../lib/mediawiki/revision-content-client.js';
import { memorySink } from '../../scripts/lib/dev-sinks.js';
import { esmEventOf, pageChangeEvent } from '../../scripts/lib/page-change-events.js';
import { testApiConfig, TEST_DOMAIN } from '../support/enrich-harness.js';
import { DEFAULT_CONTENT_BUDGET_BYTES } from '../support/batch-deps.js';
import { startFaultProxy, type FaultProxy } from '../support/fault-proxy.js';
import { assertErrorEvent, EVENTS } from '../support/hostile/outcomes.js';
import { interceptDns, startTrap, type DnsRecorder, type Trap } from '../support/hostile/net-traps.js';
import { HOSTILE_DOMAINS } from '../support/hostile/records.js';
import { createRevision, ensureMediaWiki, uniqueTitle } from '../support/mediawiki.js';

const ALLOWLIST = [TEST_DOMAIN, '*.wikipedia.org'];

/** Independent oracle of the allowlist above: lowercase LDH labels, exact names only. */
const LABEL = '[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?';
const ORACLE = new RegExp(`^(?:dev\\.wiki\\.local|(?:${LABEL}\\.)+wikipedia\\.org)$`);
const oracleAllows = (d: string) => d.length <= 253 && ORACLE.test(d);

const EXTRA_HOSTILE = [
  '169.254.169.254.nip.io',
  'dev.wiki.local.127.0.0.1.nip.io',
  '127.0.0.1.sslip.io',
  'localtest.me',
  'metadata',
  'metadata.google.internal.',
  'dev.wiki.local:80',
  'dev.wiki.local@127.0.0.1',
  'dev.wiki.local/..',
  'DEV.WIKI.LOCAL',
  'dev.wiki.local.',
  'd\u0435v.wiki.local',
  '{domain}',
  '127.0.0.1:{domain}',
  '%7Bdomain%7D',
  '10.1.2.3',
  '10.255.255.255',
  '172.16.5.4',
  '192.168.0.1',
  '100.64.0.1',
  '[fe80::1]',
  'fe80::1%25eth0',
  '[::]',
  '::',
  '0',
  '0x0a000001',
  '017700000001',
  '127.000.000.001',
  '1.1.1.1',
  'http://127.0.0.1',
  '//127.0.0.1',
  'en.wikipedia.org\ttab',
  'en.wikipedia.org\u200b',
  'en.wikipedia.org\ud800',
  'xn--80ak6aa92e.com',
];
const HOSTILE = [...new Set([...HOSTILE_DOMAINS, ...EXTRA_HOSTILE])];

/** Fuzzed hostnames from pieces of allowed names, IP literals and URL syntax, none allowed by the oracle. */
const PIECES = [
  'en',
  'wikipedia',
  'org',
  'dev',
  'wiki',
  'local',
  '127',
  '0',
  '1',
  '169',
  '254',
  '10',
  'localhost',
  'nip',
  'io',
  'internal',
  '.',
  '.',
  '.',
  '@',
  ':',
  '/',
  '#',
  '?',
  '%2e',
  '%40',
  '[',
  ']',
  '::1',
  '\r\n',
  ' ',
  '\\',
  '8080',
  'xn--',
  '\u0435',
  'EN',
  '\uff0e',
  '\u3002',
  '*',
  '{domain}',
];
const fuzzed = fc.sample(
  fc
    .array(fc.constantFrom(...PIECES), { minLength: 1, maxLength: 10 })
    .map((p) => p.join(''))
    .filter((d) => !oracleAllows(d)),
  { numRuns: 400, seed: 20260517 },
);

let apiUrl: string;
let legit: { pageId: number; revId: number; text: string };
let proxy: FaultProxy;
let trap: Trap;
let dnsRec: DnsRecorder;
const HOSTILE_REV_BASE = 900_000_000;

before(async () => {
  ({ apiUrl } = await ensureMediaWiki());
  legit = await createRevision(uniqueTitle('Ssrf'), 'legitimate content ü 🌍');
  proxy = await startFaultProxy(apiUrl);
  trap = await startTrap();
  dnsRec = interceptDns();
});

after(async () => {
  dnsRec?.restore();
  await proxy?.close();
  await trap?.close();
});

function hostileRecords(domains: readonly string[]) {
  return domains.map((domain, i) => ({
    domain,
    revId: HOSTILE_REV_BASE + i,
    event: pageChangeEvent({ domain, revId: HOSTILE_REV_BASE + i, pageId: 5, content: 'x' }),
  }));
}

/** Runs legit + hostile records through processBatch with the real client for one URL template. */
async function runConfig(
  urlTemplate: string,
  opts: { includeLegit: boolean; domains?: readonly string[]; allowlist?: readonly string[] },
) {
  const config = testApiConfig(urlTemplate, {
    allowedDomains: opts.allowlist ?? ALLOWLIST,
    maxRetries: 0,
    connectTimeoutMs: 500,
    // The legitimate record's answer from a loaded wiki is never late; the traps close their connections themselves.
    timeoutMs: 60_000,
  });
  const resolver = apiEndpointResolver(config.urlTemplate, config.allowedDomains);
  const client = revisionContentClient(config, { resolver });
  const sink = memorySink();
  const hostile = hostileRecords(opts.domains ?? [...HOSTILE, ...fuzzed]);
  const legitEvent = pageChangeEvent({
    domain: TEST_DOMAIN,
    pageId: legit.pageId,
    revId: legit.revId,
    content: legit.text,
  });
  const values = [...(opts.includeLegit ? [legitEvent] : []), ...hostile.map((h) => h.event)];
  proxy.reset();
  trap.connections.length = 0;
  dnsRec.lookups.length = 0;
  try {
    const result = await processBatch(esmEventOf(values), NO_DEADLINE, {
      client,
      resolver,
      sink,
      events: EVENTS,
      maxMessageBytes: 16 * 1024 * 1024,
      contentBudgetBytes: DEFAULT_CONTENT_BUDGET_BYTES,
    });
    assert.equal(sink.messages.length, values.length, 'one message per record');
    assert.deepEqual(result.response.batchItemFailures, []);
    const rawValues = values.map((v) => Buffer.from(JSON.stringify(v)));
    const offset0 = opts.includeLegit ? 1 : 0;
    for (const m of sink.messages) {
      const i = m.source.offset;
      if (opts.includeLegit && i === 0) {
        assert.equal(m.kind, 'output', `legitimate record: ${m.value.slice(0, 300)}`);
        assert.equal(JSON.parse(m.value).revision.content_slots.main.content_body, legit.text);
        continue;
      }
      const h = hostile[i - offset0]!;
      const where = `meta.domain ${JSON.stringify(h.domain)} via ${urlTemplate}`;
      assert.equal(m.kind, 'error', `${where} was not rejected`);
      const e = assertErrorEvent(m.value, rawValues[i]!, where);
      assert.equal(e.error_type, 'DomainNotAllowed', `${where}: ${e.message}`);
    }
    return { stats: { ...client.stats } };
  } finally {
    await client.close();
  }
}

function assertNothingLeft(label: string, legitRequests: number) {
  assert.deepEqual(trap.connections, [], `${label}: the trap listener on 127.0.0.1:${trap.port} was connected to`);
  const hostileRevs = proxy.requests.flatMap((r) => r.revids).filter((id) => id !== legit.revId);
  assert.deepEqual(hostileRevs, [], `${label}: the proxy was asked for hostile revisions`);
  assert.equal(proxy.requests.length, legitRequests, `${label}: proxy requests`);
  for (const r of proxy.requests) assert.deepEqual(r.revids, [legit.revId], `${label}: ${r.url}`);
  assert.deepEqual(
    [...new Set(dnsRec.lookups)].filter((h) => h !== TEST_DOMAIN),
    [],
    `${label}: DNS was asked for hostile names`,
  );
}

test('the hostile set really is hostile: the oracle allows none of them, the glob allows exactly what the oracle allows', () => {
  const glob = compileDomainAllowlist(ALLOWLIST);
  assert.ok(HOSTILE.length >= 90 && fuzzed.length >= 300, `${HOSTILE.length} named, ${fuzzed.length} fuzzed`);
  for (const d of [...HOSTILE, ...fuzzed]) assert.equal(oracleAllows(d), false, JSON.stringify(d));
  // *.wikipedia.org matches by whole labels only: no nip.io-style names, no suffix tricks.
  for (const d of [
    '127.0.0.1.nip.io',
    'en.wikipedia.org.127.0.0.1.nip.io',
    'en.wikipedia.org.evil.example',
    'evilwikipedia.org',
    'wikipedia.org',
  ])
    assert.equal(glob(d), false, d);
  for (const d of ['en.wikipedia.org', 'xn--n-gtb.wikipedia.org', 'a.b.wikipedia.org', TEST_DOMAIN])
    assert.equal(glob(d), true, d);
});

test('fixed URL (the proxy): only the legitimate revision is requested', async () => {
  const { stats } = await runConfig(proxy.url, { includeLegit: true });
  assert.equal(stats.requests, 1);
  assertNothingLeft('fixed URL', 1);
});

test('template http://{domain}:PROXY_PORT/api.php: the legitimate domain resolves and is fetched; nothing else is', async () => {
  const { stats } = await runConfig(`http://{domain}:${proxy.port}/api.php`, { includeLegit: true });
  assert.equal(stats.requests, 1);
  assertNothingLeft('proxy-port template', 1);
  assert.deepEqual(dnsRec.lookups, [TEST_DOMAIN], 'the legitimate name went through DNS, and only it');
});

test('template http://{domain}:TRAP_PORT/api.php: zero connections to the trap', async () => {
  const { stats } = await runConfig(`http://{domain}:${trap.port}/api.php`, { includeLegit: false });
  assert.equal(stats.requests, 0);
  assertNothingLeft('trap-port template', 0);
});

test('template https://{domain}/w/api.php (the default) and one with a path and query: no request, no lookup', async () => {
  for (const template of [
    'https://{domain}/w/api.php',
    `http://{domain}:${trap.port}/w/api.php?origin={domain}#{domain}`,
  ]) {
    const { stats } = await runConfig(template, { includeLegit: false });
    assert.equal(stats.requests, 0, template);
    assertNothingLeft(template, 0);
  }
});

/** Not a DNS hostname of LDH labels with a dot and a non-numeric last label: an IP literal in some spelling, a dotless name, or URL syntax. */
const notPlain = (d: string) => {
  if (!/^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)+$/.test(d)) return true;
  return /^[0-9]+$/.test(d.slice(d.lastIndexOf('.') + 1));
};

test('allowlist "*" (a misconfiguration): IP literals in every spelling and dotless names are still never requested', async () => {
  const domains = [...HOSTILE, ...fuzzed].filter(notPlain);
  for (const d of [
    'localhost',
    '127.0.0.1',
    '127.1',
    '0x7f000001',
    '2130706433',
    '0177.0.0.1',
    '[::1]',
    '::ffff:127.0.0.1',
    '169.254.169.254',
    '[fd00:ec2::254]',
    '10.0.0.1',
    '172.16.0.1',
    '192.168.1.1',
    '0',
  ]) {
    assert.ok(domains.includes(d), d);
  }
  const { stats } = await runConfig(`http://{domain}:${trap.port}/api.php`, {
    includeLegit: false,
    domains,
    allowlist: ['*'],
  });
  assert.equal(stats.requests, 0);
  assertNothingLeft('allowlist *', 0);
});

test('control: the traps do catch a request — an allowlisted name with the trap template connects to it', async () => {
  // Proves the assertions above can fail: were a hostile name allowed, this is what they would see.
  const config = testApiConfig(`http://{domain}:${trap.port}/api.php`, {
    allowedDomains: ALLOWLIST,
    maxRetries: 0,
    connectTimeoutMs: 500,
    timeoutMs: 1000,
  });
  const client = revisionContentClient(config);
  trap.connections.length = 0;
  dnsRec.lookups.length = 0;
  try {
    const results = await fetchAllRevisions(client, {
      domain: 'probe.wikipedia.org',
      revIds: [1],
      deadline: NO_DEADLINE,
    });
    assert.equal(results.get(1)?.ok, false);
  } finally {
    await client.close();
  }
  assert.ok(trap.connections.length >= 1, 'the trap saw the connection');
  assert.match(trap.connections[0]!.firstBytes, /^GET \/api\.php\?/);
  assert.deepEqual(dnsRec.lookups, ['probe.wikipedia.org']);
  trap.connections.length = 0;
});
