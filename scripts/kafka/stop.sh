#!/usr/bin/env bash
# Stop the local Kafka broker started by scripts/kafka/start.sh. Keeps data.
#
#   scripts/kafka/stop.sh          # SIGTERM (controlled shutdown), wait up to KAFKA_STOP_TIMEOUT (30 s), then SIGKILL
#   scripts/kafka/stop.sh --kill   # SIGKILL at once (simulates a crash; the broker recovers its log on next start)
#
# Only the pid in .local/kafka/broker.pid is signalled, and only if it is our
# kafka.Kafka process.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

signal=TERM
case "${1:-}" in
  "") ;;
  --kill) signal=KILL ;;
  *) die "usage: $0 [--kill]" ;;
esac
timeout="${KAFKA_STOP_TIMEOUT:-30}"

take_lock

if ! pid="$(running_pid)"; then
  log "No local Kafka broker running (pid file ${KAFKA_PID_FILE})"
  rm -f "${KAFKA_PID_FILE}"
  exit 0
fi

log "Stopping Kafka broker pid ${pid} with SIG${signal}"
stopped_at=$(date +%s%N)
kill "-${signal}" "${pid}" 2>/dev/null || true
deadline=$((SECONDS + timeout))
while kill -0 "${pid}" 2>/dev/null; do
  if [[ ${SECONDS} -ge ${deadline} ]]; then
    log "Broker pid ${pid} still running after ${timeout} s; sending SIGKILL"
    kill -KILL "${pid}" 2>/dev/null || true
    deadline=$((SECONDS + 10))
    timeout=10
  fi
  sleep 0.1
done
rm -f "${KAFKA_PID_FILE}"
log "Kafka broker stopped in $(( ($(date +%s%N) - stopped_at) / 1000000 )) ms"
