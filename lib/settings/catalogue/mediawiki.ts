/** The catalogue's MediaWiki Action API settings: the enrichment function's client of the wiki. */
import { integer, list, oneOf, text } from '../setting.js';

/** Wikimedia project domains. Anything else needs an explicit `MW_API_ALLOWED_DOMAINS`. */
export const WIKIMEDIA_DOMAINS: readonly string[] = [
  '*.wikipedia.org',
  '*.wiktionary.org',
  '*.wikibooks.org',
  '*.wikinews.org',
  '*.wikiquote.org',
  '*.wikisource.org',
  '*.wikiversity.org',
  '*.wikivoyage.org',
  '*.wikimedia.org',
  'www.wikidata.org',
  'test.wikidata.org',
  'commons.wikimedia.org',
  'www.mediawiki.org',
  'www.wikifunctions.org',
];

export const DEFAULT_USER_AGENT =
  'mw-page-content-change-enrich/0.1 (https://github.com/example/mw-page-content-change-enrich; set MW_API_USER_AGENT to your contact)';

export const MEDIAWIKI_SETTINGS = {
  MW_API_URL_TEMPLATE: text({
    default: 'https://{domain}/w/api.php',
    example: 'https://mesh.example.org/w/api.php',
    doc: "Action API URL; `{domain}` is the event's `meta.domain`. Without `{domain}` it is a fixed URL (local wiki, proxy).",
  }),
  MW_API_ALLOWED_DOMAINS: list({
    default: WIKIMEDIA_DOMAINS,
    defaultDoc: `Wikimedia projects (${WIKIMEDIA_DOMAINS.length} globs: \`*.wikipedia.org\`, … \`www.wikifunctions.org\`)`,
    example: 'a.example.org,*.wiki.example.org',
    doc: 'Comma-separated globs (`*` = one or more labels) of domains that may be requested; nothing else ever is.',
  }),
  MW_API_USER_AGENT: text({
    default: DEFAULT_USER_AGENT,
    defaultDoc: 'a generic User-Agent',
    example: 'tool/1 (ops@example.org)',
    doc: "User-Agent of every request; Wikimedia's User-Agent policy asks for contact information: set it.",
  }),
  MW_API_TIMEOUT_MS: integer({ default: 5000, min: 1, doc: 'Per-request timeout (headers and body), ms.' }),
  MW_API_CONNECT_TIMEOUT_MS: integer({ default: 2000, min: 1, doc: 'TCP/TLS connect timeout, ms.' }),
  MW_API_HOST_HEADER: oneOf(['domain'], {
    default: undefined,
    defaultDoc: "unset (the URL's host)",
    doc:
      '`domain` sends `Host: <meta.domain>` to a fixed `MW_API_URL_TEMPLATE` (a service mesh proxy); ' +
      'the allowlist still applies.',
  }),
  // Long enough for typical replica lag (seconds), short enough to leave the invocation time to produce.
  MW_API_RETRY_BUDGET_MS: integer({
    default: 10_000,
    doc: "How long a request's retryable failures are retried, from the first failure, ms; bounded by the deadline.",
  }),
  MW_API_MAX_RETRIES: integer({
    default: undefined,
    defaultDoc: 'unset (the retry budget decides)',
    doc: 'Optional cap on retries after the first attempt, within the retry budget.',
  }),
  MW_API_RETRY_BASE_MS: integer({ default: 200, doc: 'Base of the exponential backoff (full jitter), ms.' }),
  MW_API_RETRY_MAX_MS: integer({ default: 5000, doc: 'Cap of one backoff wait, ms; a longer `Retry-After` wins.' }),
  MW_API_MAXLAG: integer({ default: 5, min: 1, doc: '`maxlag` parameter sent with every request, seconds.' }),
  MW_API_BATCH_SIZE: integer({
    default: 50,
    min: 1,
    max: 500,
    doc: 'Revision ids per request (50 for normal API clients, 500 for bots with `apihighlimits`).',
  }),
  MW_API_CONCURRENCY: integer({ default: 8, min: 1, doc: 'Concurrent Action API requests per invocation.' }),
  MW_API_CONNECTIONS: integer({ default: 8, min: 1, doc: 'Keep-alive connections per origin.' }),
  MW_API_DEADLINE_MARGIN_MS: integer({
    default: 3000,
    doc:
      "Least time kept before the Lambda deadline for producing (the producer's worst case if longer); " +
      'no MediaWiki request or retry starts inside it, ms.',
  }),
} as const;
