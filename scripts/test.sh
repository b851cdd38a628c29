#!/usr/bin/env bash
# All tests: type check, unit, infrastructure, and integration tests against a real
# MediaWiki and a real Apache Kafka broker that this script installs and starts on
# 127.0.0.1 (unless MW_API_URL / KAFKA_BROKERS point at running ones), then cfn-lint.
#
#   npm test                      everything
#   TEST_FILES="test/unit/*.test.ts" npm test    a subset
#   SKIP_BENCH=1 npm test                         without the quick benchmark
set -euo pipefail
cd "$(dirname "$0")/.."
# The project's own Node 24 (the `node` devDependency) first, also when this script is run with plain `bash`.
export PATH="$PWD/node_modules/.bin:$PATH"
step() { printf '\n==> %s\n' "$*" >&2; }

[[ -d node_modules ]] || { step "npm ci"; npm ci --no-audit --no-fund; }

step "type check (tsc --noEmit)"
npx tsc --noEmit -p .

step "format and lint (biome ci; npm run format fixes formatting)"
npx biome ci .

if [[ -z "${MW_API_URL:-}" ]]; then
  step "MediaWiki: install and start on 127.0.0.1:${MW_PORT:-8765}"
  bash scripts/mediawiki/setup.sh
  bash scripts/mediawiki/start.sh >/dev/null
fi
if [[ -z "${KAFKA_BROKERS:-}" ]]; then
  step "Apache Kafka: fetch and start (KRaft, 127.0.0.1:${KAFKA_PORT:-9092})"
  bash scripts/kafka/fetch.sh
  bash scripts/kafka/start.sh >/dev/null
fi

cleanup() {
  [[ -n "${MW_API_URL:-}" ]] || bash scripts/mediawiki/stop.sh >/dev/null 2>&1 || true
  [[ -n "${KAFKA_BROKERS:-}" ]] || bash scripts/kafka/stop.sh >/dev/null 2>&1 || true
}
[[ "${KEEP_SERVICES:-}" == "1" ]] || trap cleanup EXIT

step "tests (node --test)"
# The handler's structured logs and EMF metrics would bury the test report; tests that check logging set their own level.
export POWERTOOLS_LOG_LEVEL="${POWERTOOLS_LOG_LEVEL:-WARN}" POWERTOOLS_METRICS_DISABLED="${POWERTOOLS_METRICS_DISABLED:-true}"
# Test files share one broker and one wiki, and some restart the broker: run files one at a time.
# shellcheck disable=SC2086
# --test-force-exit: a file whose tests are done exits even if a client library (kafkajs after a broker restart)
# still holds a socket, instead of stalling the run; --test-timeout bounds any single test at 10 minutes.
node --import tsx --test --test-concurrency=1 --test-force-exit --test-timeout=600000 --test-reporter=spec ${TEST_FILES:-test/unit/*.test.ts test/infra/*.test.ts test/integration/*.test.ts}

step "cfn-lint on the synthesized templates"
bash scripts/cfn-lint.sh

if [[ "${SKIP_BENCH:-}" != "1" ]]; then
  step "benchmark, quick mode (so it cannot rot; its own wiki and broker on other ports)"
  npx tsx bench/run.ts --quick --out .local/bench-quick --stop-services
fi
