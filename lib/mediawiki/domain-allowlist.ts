/**
 * Which wikis the function may call. The input topic is not trusted to choose hosts:
 * `meta.domain` must be a plain DNS hostname matched by an allowlist glob before any
 * request is made, and the resolved URL must still point at that hostname.
 */
import { DomainNotAllowedError } from './errors.js';

const LABEL = '[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?';
const HOSTNAME = new RegExp(`^(?=.{1,253}$)${LABEL}(?:\\.${LABEL})+$`);

/** Compiles globs like `*.wikipedia.org`; `*` stands for one or more whole labels. */
export function compileDomainAllowlist(globs: readonly string[]): (domain: string) => boolean {
  const patterns = globs.map((glob) => {
    const body = glob
      .trim()
      .toLowerCase()
      .split('.')
      .map((label) => (label === '*' ? `${LABEL}(?:\\.${LABEL})*` : label.replace(/[^a-z0-9-]/g, (c) => `\\${c}`)))
      .join('\\.');
    return new RegExp(`^${body}$`);
  });
  return (domain) => patterns.some((p) => p.test(domain));
}

/** A hostname made of DNS labels with a non-numeric top-level label: no IP literals, ports, userinfo or paths. */
export function isPlainHostname(domain: string): boolean {
  if (!HOSTNAME.test(domain)) return false;
  const tld = domain.slice(domain.lastIndexOf('.') + 1);
  return !/^[0-9]+$/.test(tld);
}

export interface ApiEndpointResolver {
  /** The Action API URL for a domain; throws `DomainNotAllowedError`. */
  endpointFor(domain: string): URL;
}

export function apiEndpointResolver(urlTemplate: string, allowedDomains: readonly string[]): ApiEndpointResolver {
  const allowed = compileDomainAllowlist(allowedDomains);
  const perDomain = urlTemplate.includes('{domain}');
  const fixed = perDomain ? undefined : new URL(urlTemplate);
  const cache = new Map<string, URL>();
  return {
    endpointFor(domain: string): URL {
      const cached = cache.get(domain);
      if (cached) return cached;
      if (!isPlainHostname(domain)) {
        throw new DomainNotAllowedError(`meta.domain ${JSON.stringify(domain.slice(0, 300))} is not a plain hostname`);
      }
      if (!allowed(domain)) {
        throw new DomainNotAllowedError(`meta.domain "${domain}" is not in MW_API_ALLOWED_DOMAINS`);
      }
      const url = fixed ?? new URL(urlTemplate.replaceAll('{domain}', domain));
      if (perDomain && url.hostname !== domain) {
        throw new DomainNotAllowedError(`meta.domain "${domain}" resolves to host "${url.hostname}"`);
      }
      if (cache.size < 10_000) cache.set(domain, url);
      return url;
    },
  };
}
