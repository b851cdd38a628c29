/** Hostile `meta.domain` values, and the domains the test resolver allows. */
import fc from 'fast-check';

/** Domains the test resolver allows (exactly these names; the allowlist also has `*.wikipedia.org`). */
export const ALLOWED_DOMAINS = ['dev.wiki.local', 'en.wikipedia.org', 'de.wikipedia.org'] as const;
export const TEST_ALLOWLIST = ['dev.wiki.local', '*.wikipedia.org'];

/** `meta.domain` values that must never be fetched. */
export const HOSTILE_DOMAINS = [
  'localhost',
  'localhost.',
  '127.0.0.1',
  '127.1',
  '0x7f000001',
  '2130706433',
  '0177.0.0.1',
  '[::1]',
  '::1',
  '::ffff:127.0.0.1',
  '[::ffff:127.0.0.1]',
  '169.254.169.254',
  'metadata.google.internal',
  'instance-data.ec2.internal',
  'fd00:ec2::254',
  '[fd00:ec2::254]',
  '10.0.0.1',
  '172.16.0.1',
  '172.31.255.255',
  '192.168.1.1',
  '0.0.0.0',
  'a@b',
  'en.wikipedia.org@127.0.0.1',
  '127.0.0.1@en.wikipedia.org',
  'en.wikipedia.org:8080',
  'en.wikipedia.org:@127.0.0.1',
  'en.wikipedia.org/../',
  'en.wikipedia.org/..%2f..%2f',
  '127.0.0.1/en.wikipedia.org',
  'en.wikipedia.org%2f127.0.0.1',
  'en%2ewikipedia%2eorg',
  '%31%32%37.0.0.1',
  'en.wikipedia.org.',
  'EN.WIKIPEDIA.ORG',
  'En.Wikipedia.Org',
  '\u0435n.wikipedia.org', // Cyrillic е
  'en.wikipedi\u0430.org', // Cyrillic а
  'en.wikipedia.org\u3002', // ideographic full stop
  'en\uff0ewikipedia\uff0eorg', // fullwidth full stop
  '\uff45n.wikipedia.org', // fullwidth e
  'en.wikipedia.org\r\nHost: 127.0.0.1',
  'en.wikipedia.org\nx',
  'en.wikipedia.org\u0000.evil.example',
  'en.wikipedia.org#@127.0.0.1',
  'en.wikipedia.org?@127.0.0.1',
  '127.0.0.1#.wikipedia.org',
  '127.0.0.1?.wikipedia.org',
  'en.wikipedia.org\\@127.0.0.1',
  '127.0.0.1.nip.io',
  'en.wikipedia.org.127.0.0.1.nip.io',
  'wikipedia.org.evil.example',
  'en.wikipedia.org.evil.example',
  'evilwikipedia.org',
  'wikipedia.org',
  '.wikipedia.org',
  '-en.wikipedia.org',
  ' en.wikipedia.org',
  'en.wikipedia.org ',
  'dev.wiki.local.evil.example',
  'xdev.wiki.local',
  '*.wikipedia.org',
  'en.*.org',
];

export const domainArb = fc.oneof(
  { weight: 8, arbitrary: fc.constantFrom(...ALLOWED_DOMAINS) },
  { weight: 1, arbitrary: fc.constant('canary') },
  { weight: 3, arbitrary: fc.constantFrom(...HOSTILE_DOMAINS) },
);
