#!/usr/bin/env bash
# The main job on the samples, offline: install dependencies, install and seed a local
# MediaWiki with the samples' pages, run the real handler on the sample events, and
# show the enriched and error events.
#
#   npm run demo            (or: bash scripts/demo.sh)
#
# Against production wikis instead: leave MW_API_URL_TEMPLATE unset (the default is
# https://{domain}/w/api.php) and run `npm run invoke -- --event YOUR_EVENTS.jsonl`.
# Stop the demo wiki (and anything else this project started) with `npm run stop`.
set -euo pipefail
cd "$(dirname "$0")/.."
# The project's own Node 24 (the `node` devDependency) first, also when this script is run with plain `bash`.
export PATH="$PWD/node_modules/.bin:$PATH"

export MW_DIR="${MW_DIR:-.local/mediawiki-demo}" MW_PORT="${MW_PORT:-8766}"
step() { printf '\n\033[1m==> %s\033[0m\n' "$*" >&2; }

if [[ ! -d node_modules ]]; then step "npm ci"; npm ci --no-audit --no-fund >&2; fi
# The project's Node 24 (the `node` devDependency) first, as `npm run` does, also when run with bash directly.
export PATH="$PWD/node_modules/.bin:$PATH"

step "MediaWiki: install (once), start on 127.0.0.1:${MW_PORT} and seed the samples' pages"
API_URL="$(bash scripts/mediawiki/demo-wiki.sh)"

step "AWS's Lambda Runtime Interface Emulator for \`npm run invoke -- --runtime lambda\` (.local/bin; built once, about a minute)"
# shellcheck source=lib/tools.sh
. scripts/lib/tools.sh
ensure_lambda_rie || echo "without it, --runtime lambda is not available; the demo goes on in process" >&2

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
echo "The wiki keeps running for more invokes (npm run invoke -- --demo-wiki --event ...); stop it with: npm run stop" >&2
