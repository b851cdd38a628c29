#!/usr/bin/env bash
# The main job on the samples, offline: install dependencies, install and seed a local
# MediaWiki with the samples' pages, run the real handler on the sample events, and
# show the enriched and error events.
#
#   npm run demo            (or: bash scripts/demo.sh)
#
# Against production wikis instead: leave MW_API_URL_TEMPLATE unset (the default is
# https://{domain}/w/api.php) and run `npm run invoke -- --event YOUR_EVENTS.jsonl`.
set -euo pipefail
cd "$(dirname "$0")/.."
# The project's own Node 24 (the `node` devDependency) first, also when this script is run with plain `bash`.
export PATH="$PWD/node_modules/.bin:$PATH"

export MW_DIR="${MW_DIR:-.local/mediawiki-demo}" MW_PORT="${MW_PORT:-8766}"
step() { printf '\n\033[1m==> %s\033[0m\n' "$*" >&2; }

if [[ ! -d node_modules ]]; then step "npm ci"; npm ci --no-audit --no-fund >&2; fi

step "MediaWiki: install (once) and start on 127.0.0.1:${MW_PORT}"
bash scripts/mediawiki/setup.sh >&2
API_URL="$(bash scripts/mediawiki/start.sh "$MW_PORT")"

step "MediaWiki: seed the samples' pages"
SEEDED="$(npx tsx scripts/mediawiki/seed.ts samples/wiki/manifest.json)"
# The samples name revision ids of a freshly installed demo wiki; say so if this one differs.
node -e '
  const seeded = JSON.parse(process.argv[1]);
  const lines = require("fs").readFileSync("samples/page-change-events.jsonl","utf8").split("\n").filter(Boolean);
  const want = new Set(lines.flatMap(l => { try { const e = JSON.parse(l); return e.meta.domain === "dev.wiki.local" ? [e.revision.rev_id] : []; } catch { return []; } }));
  const have = new Set(seeded.map(s => s.rev_id));
  const missing = [...want].filter(id => !have.has(id));
  if (missing.length) { console.error(`warning: the demo wiki in ${process.env.MW_DIR} does not hold sample revisions ${missing}; delete that folder and rerun for a fresh wiki`); }
' "$SEEDED"

step "Enrich samples/page-change-events.jsonl with the real handler (file sink)"
export MW_API_URL_TEMPLATE="${MW_API_URL_TEMPLATE:-$API_URL}"
export MW_API_ALLOWED_DOMAINS="${MW_API_ALLOWED_DOMAINS:-dev.wiki.local}"
export LOG_LEVEL="${LOG_LEVEL:-WARN}"
RESPONSE="$(npx tsx scripts/invoke.ts --event samples/page-change-events.jsonl --out .local/demo/enriched.jsonl --errors .local/demo/errors.jsonl)"

step "Enriched events (.local/demo/enriched.jsonl): kind, page, revision, content"
node -e '
  for (const line of require("fs").readFileSync(".local/demo/enriched.jsonl","utf8").split("\n").filter(Boolean)) {
    const e = JSON.parse(line); const s = e.revision.content_slots?.main;
    const body = s?.content_body === undefined ? "(no content: " + (e.meta.domain === "canary" ? "canary" : e.page_change_kind === "delete" ? "delete" : "content hidden") + ")" : JSON.stringify(s.content_body.slice(0, 70)) + (s.content_body.length > 70 ? "…" : "");
    console.log(`${e.page_change_kind.padEnd(6)} ${e.meta.domain.padEnd(15)} ${e.page.page_title.padEnd(16)} rev ${String(e.revision.rev_id).padEnd(3)} ${body}`);
  }'
step "Error events (.local/demo/errors.jsonl): error_type, message"
node -e '
  for (const line of require("fs").readFileSync(".local/demo/errors.jsonl","utf8").split("\n").filter(Boolean)) {
    const e = JSON.parse(line); console.log(`${e.error_type.padEnd(18)} ${e.message}`);
  }'
step "Handler response (partial batch response)"
echo "$RESPONSE"
echo "The wiki keeps running for more invokes; stop it with: MW_DIR=$MW_DIR bash scripts/mediawiki/stop.sh" >&2
