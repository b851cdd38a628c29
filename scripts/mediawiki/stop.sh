#!/usr/bin/env bash
# Stop the server started by start.sh (dir from $MW_DIR). Idempotent.
set -euo pipefail
# shellcheck source=common.sh
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"
mw_lock

pid="$(mw_running_pid)"
if [ -z "$pid" ]; then
  log "not running"
  rm -f "$MW_PID_FILE"
  exit 0
fi
# start.sh used setsid, so the pid is also the process-group id (master + workers).
kill -TERM -- "-$pid" 2>/dev/null || true
for _ in $(seq 1 20); do
  kill -0 "$pid" 2>/dev/null || break
  sleep 0.25
done
kill -KILL -- "-$pid" 2>/dev/null || true
rm -f "$MW_PID_FILE"
log "stopped (pid $pid)"
