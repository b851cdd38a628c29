/** `--demo-wiki` of `invoke` and `local:esm`: the handler enriches against the demo wiki. */
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The samples' domain, the only one the demo wiki answers for. */
export const DEMO_WIKI_DOMAIN = 'dev.wiki.local';

/**
 * The environment the handler reads once the demo wiki runs: the wiki's URL and domain where unset (the URL with the
 * port the wiki will have). Settings are checked against it before the wiki starts, so that an invalid one ends the
 * command with nothing started.
 */
export function demoWikiEnv(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return {
    MW_API_URL_TEMPLATE: `http://127.0.0.1:${env.MW_PORT ?? '8766'}/w/api.php`,
    MW_API_ALLOWED_DOMAINS: DEMO_WIKI_DOMAIN,
    ...env,
  };
}

/**
 * Starts and seeds the demo wiki unless it runs (scripts/mediawiki/demo-wiki.sh), then defaults
 * MW_API_URL_TEMPLATE to it and MW_API_ALLOWED_DOMAINS to the samples' domain; values the user
 * set win. Exits 1 when the wiki does not start (the script has said why on stderr).
 */
export function useDemoWiki(say: (line: string) => void): void {
  const script = join(dirname(fileURLToPath(import.meta.url)), '..', 'mediawiki', 'demo-wiki.sh');
  const run = spawnSync('bash', [script], { stdio: ['ignore', 'pipe', 'inherit'], encoding: 'utf8' });
  const apiUrl = run.stdout?.trim().split('\n').pop();
  if (run.status !== 0 || !apiUrl) {
    say(`the demo wiki did not start (bash ${script} exited ${run.status})`);
    process.exit(1);
  }
  process.env.MW_API_URL_TEMPLATE ??= apiUrl;
  process.env.MW_API_ALLOWED_DOMAINS ??= DEMO_WIKI_DOMAIN;
  say(`enriching against the demo wiki ${process.env.MW_API_URL_TEMPLATE}`);
}
