#!/usr/bin/env bash
# Report whether the local Kafka broker (scripts/kafka/start.sh) is running.
# Exit status: 0 running, 3 not running.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

if pid="$(running_pid)"; then
  log "running: pid ${pid}, PLAINTEXT ${KAFKA_HOST}:${KAFKA_PORT}, log ${KAFKA_LOG_FILE}"
  echo "KAFKA_BROKERS=${KAFKA_HOST}:${KAFKA_PORT}"
  exit 0
fi
log "not running (no live broker pid in ${KAFKA_PID_FILE})"
exit 3
