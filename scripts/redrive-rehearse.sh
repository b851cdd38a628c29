#!/usr/bin/env bash
# The redrive runbook, rehearsed end to end on this machine against one wiki (the demo wiki, which
# holds the samples' revisions) and the local broker: an outage while events arrive, then look,
# dry run, redrive, verify. Prints each step, the command it runs and its result.
#
#   npm run redrive:rehearse
#
# Isolated from anything else on the broker: the topics carry a prefix of their own
# (KAFKA_TOPIC_PREFIX=rehearsal-<time>.), and the pipeline and the redrive consumer groups of their own.
# Leaves the wiki and the broker running for a look with kcat, and prints the `export` line that
# points the runbook (docs/operations.md) at its topics, groups and wiki; `npm run stop` stops them.
# Env: KAFKA_PORT (9092), MW_PORT of the demo wiki (8766).
set -euo pipefail
cd "$(dirname "$0")/.."

# shellcheck source=lib/tools.sh
. scripts/lib/tools.sh
ensure_commands kcat jq curl

export KAFKA_PORT="${KAFKA_PORT:-9092}"
B="${KAFKA_BROKERS:-127.0.0.1:${KAFKA_PORT}}"
export KAFKA_TOPIC_PREFIX="${KAFKA_TOPIC_PREFIX:-rehearsal-$(date +%s).}"
export ESM_GROUP_ID="${KAFKA_TOPIC_PREFIX}mw-page-content-change-enrich"
export REDRIVE_GROUP_PREFIX="${KAFKA_TOPIC_PREFIX}mw-page-content-change-enrich.redrive."
export MW_DIR=.local/mediawiki-demo MW_PORT="${MW_PORT:-8766}" LOG_LEVEL="${LOG_LEVEL:-WARN}" ESM_PROGRESS_MS="${ESM_PROGRESS_MS:-5000}"
# The default topic names, as the settings catalogue defines them (written only there).
default_topic() { node --import tsx -e "import('./lib/settings/catalogue.ts').then((m) => console.log(m.DEFAULT_TOPICS.$1))"; }
ERROR_TOPIC="${KAFKA_TOPIC_PREFIX}$(default_topic error)"
OUTPUT_TOPIC="${KAFKA_TOPIC_PREFIX}$(default_topic output)"

bold() { printf '\n\033[1m%s\033[0m\n' "$*"; }
# Shows a command (on stderr, so that $(run ...) captures only the command's output), then runs
# it with its progress (stderr) indented.
run() {
  printf '  $ %s\n' "$*" >&2
  "$@" 2> >(sed 's/^/    /' >&2)
}
result() { printf '  → %s\n' "$*"; }
# Error types on a topic, counted: "MediaWikiNetworkError 4, InvalidJson 1".
error_types() {
  kcat -C -b "$B" -t "$1" -e -q | jq -r .error_type | sort | uniq -c | awk '{printf "%s%s %s", (NR>1?", ":""), $2, $1}'
}

bold "1. Start: Apache Kafka on $B (topics prefixed ${KAFKA_TOPIC_PREFIX}) and the demo wiki"
run npm run -s kafka:start >/dev/null
API_URL="$(run bash scripts/mediawiki/demo-wiki.sh)"
export MW_API_URL_TEMPLATE="$API_URL" MW_API_ALLOWED_DOMAINS=dev.wiki.local
result "wiki $API_URL, broker $B"

bold "2. An outage while events arrive: the wiki stops, the samples arrive, the pipeline runs"
run npm run -s mediawiki:stop
run npm run -s replay -- samples/page-change-events.jsonl >/dev/null
run npm run -s local:esm -- --until-caught-up
result "error topic: $(error_types "$ERROR_TOPIC")"

bold "3. The wiki is back"
run npm run -s mediawiki:start >/dev/null
result "sitename: $(curl -s "${API_URL}?action=query&meta=siteinfo&format=json" | jq -r .query.general.sitename)"

bold "4. Dry run: what would go back, what is skipped and why; changes nothing"
dry="$(run npm run -s redrive -- --from error --dry-run)"
result "$(jq -r '"read \(.read), would redrive \(.selected), skipped \(.skipped | to_entries | map("\(.key) \(.value)") | join(", "))"' <<<"$dry")"

bold "5. Redrive"
done_="$(run npm run -s redrive -- --from error)"
result "$(jq -r '"read \(.read), redriven \(.produced), skipped \(.skipped | to_entries | map("\(.key) \(.value)") | join(", "))"' <<<"$done_")"

bold "6. The pipeline takes the redriven events"
run npm run -s local:esm -- --until-caught-up

bold "7. Verify: redriven events on the output, anything that failed again, what is left"
enriched="$(kcat -C -b "$B" -t "$OUTPUT_TOPIC" -e -q -f '%h\n' | grep -c redrive_count || true)"
result "output topic: ${enriched} enriched event(s) carry redrive_count"
failed_again() { kcat -C -b "$B" -t "$ERROR_TOPIC" -e -q -f '%h\t%s\n' | { grep redrive_count || true; } | cut -f2-; }
again="$(failed_again | jq -r .error_type | sort | uniq -c | awk '{printf "%s%s %s", (NR>1?", ":""), $2, $1}')"
result "failed again: ${again:-nothing}"
failed_again | jq -r '"    \(.error_type): \(.message)"'
left="$(run npm run -s redrive -- --from error --dry-run)"
result "$(jq -r '"next dry run: read \(.read), would redrive \(.selected)"' <<<"$left")"

bold "Outcome"
echo "  redriven $(jq -r .produced <<<"$done_"): enriched ${enriched}, failed again: ${again:-nothing}"
echo "  Look with kcat -b $B at the topics prefixed ${KAFKA_TOPIC_PREFIX}; stop the wiki and the broker with: npm run stop"
echo "  To follow the runbook (docs/operations.md) against these topics, its groups and the demo wiki, first run:"
echo "  export KAFKA_BROKERS=$B KAFKA_TOPIC_PREFIX=$KAFKA_TOPIC_PREFIX ESM_GROUP_ID=$ESM_GROUP_ID" \
  "REDRIVE_GROUP_PREFIX=$REDRIVE_GROUP_PREFIX MW_API_URL_TEMPLATE=$API_URL MW_API_ALLOWED_DOMAINS=dev.wiki.local WIKI_API=$API_URL"
