#!/usr/bin/env bash
# All tests: type check, unit, infrastructure, and integration tests against a real
# MediaWiki and a real Apache Kafka broker that this script installs and starts on
# 127.0.0.1 (unless MW_API_URL / KAFKA_BROKERS point at running ones), then cfn-lint, then
# the README end to end in a fresh clone. Installs what it uses (scripts/lib/tools.sh).
#
#   npm test                      everything
#   TEST_FILES="test/unit/*.test.ts" npm test    a subset
#   SKIP_README=1 npm test                        without the README end-to-end run (SKIP_BENCH=1 too:
#                                                 the quick benchmark is one of its blocks)
set -euo pipefail
cd "$(dirname "$0")/.."
# The project's own Node 24 (the `node` devDependency) first, also when this script is run with plain `bash`.
export PATH="$PWD/node_modules/.bin:$PATH"
step() { printf '\n==> %s\n' "$*" >&2; }

[[ -d node_modules ]] || { step "npm ci"; npm ci --no-audit --no-fund; }
# The project's Node 24 (the `node` devDependency) first, as `npm run` does, also when run with bash directly.
export PATH="$PWD/node_modules/.bin:$PATH"

# Everything the tests run that npm does not install: Debian packages when missing, cfn-lint in
# .local/venv. MediaWiki and PHP come with scripts/mediawiki/setup.sh, Kafka with scripts/kafka/fetch.sh.
step "tools: kcat, jq, curl, openssl, Java and Maven (apt-get when missing), cfn-lint (.local/venv), aws-lambda-rie and aws-lambda-ric (.local)"
# shellcheck source=lib/tools.sh
. scripts/lib/tools.sh
ensure_commands kcat jq curl openssl java mvn
ensure_cfn_lint
ensure_lambda_rie && ensure_lambda_ric

# A broker started on a busy machine can take most of start.sh's default minute to answer (47 s seen with a core kept busy).
export KAFKA_START_TIMEOUT="${KAFKA_START_TIMEOUT:-300}"

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
  # start.sh fetches the jars when they are missing (scripts/kafka/fetch.sh), and says so once.
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

# README end to end (test/e2e/readme.test.ts): the README's own command blocks in a fresh clone,
# demo to stop, the quick benchmark among them. After the suite's wiki and broker are stopped, as it
# opens the README's ports itself. Full runs only: not with TEST_FILES, SKIP_README=1 or SKIP_BENCH=1,
# nor with KEEP_SERVICES=1 (the suite's broker keeps the README's Kafka port).
if [[ -z "${TEST_FILES:-}" && "${SKIP_README:-}" != "1" && "${SKIP_BENCH:-}" != "1" && "${KEEP_SERVICES:-}" != "1" ]]; then
  cleanup
  step "README end to end in a fresh clone: demo, invoke, kcat, redrive rehearsal, synth, bench quick, stop"
  node --import tsx --test --test-concurrency=1 --test-force-exit --test-reporter=spec test/e2e/readme.test.ts
fi
