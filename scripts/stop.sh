#!/usr/bin/env bash
# Stops everything this project started on this machine, by pid file: every MediaWiki under
# .local/ (demo, tests, bench: .local/mediawiki*/server.pid) and every Kafka broker
# (.local/kafka*/broker.pid). Idempotent; processes it did not start are never touched.
#
#   npm run stop
set -euo pipefail
cd "$(dirname "$0")/.."

stopped=0
for pid_file in .local/mediawiki*/server.pid; do
  [[ -f "$pid_file" ]] || continue
  MW_DIR="$(dirname "$pid_file")" bash scripts/mediawiki/stop.sh
  stopped=$((stopped + 1))
done
for pid_file in .local/kafka*/broker.pid; do
  [[ -f "$pid_file" ]] || continue
  KAFKA_LOCAL_DIR="$(dirname "$pid_file")" bash scripts/kafka/stop.sh
  stopped=$((stopped + 1))
done
[[ $stopped -gt 0 ]] || echo "[stop] nothing of this project's is running (no pid files under .local/)" >&2
