#!/usr/bin/env bash
# Start the local MediaWiki (after setup.sh) with PHP's built-in web server.
#
#   scripts/mediawiki/start.sh [PORT]     (PORT defaults to $MW_PORT or 8765; dir from $MW_DIR)
#
# Prints the API URL on stdout (the only stdout line). Idempotent: if our server is
# already running it prints its URL (whatever port it was started on) and exits 0.
set -euo pipefail

if [ $# -ge 1 ]; then MW_PORT="$1"; fi
# shellcheck source=common.sh
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"
mw_lock

if [ ! -f "$MW_DIR/www/LocalSettings.php" ]; then
  log "not installed in $MW_DIR; run scripts/mediawiki/setup.sh first"
  exit 1
fi

pid="$(mw_running_pid)"
if [ -n "$pid" ]; then
  port="$(cat "$MW_PORT_FILE")"
  if mw_api_ready "$port"; then
    [ "$port" = "$MW_PORT" ] || log "already running on port $port (requested $MW_PORT)"
    log "already running (pid $pid)"
    echo "http://$MW_HOST:$port/api.php"
    exit 0
  fi
  log "pid $pid exists but the API does not answer; restarting"
  kill -TERM -- "-$pid" 2>/dev/null || true
  sleep 1
fi

if mw_api_ready "$MW_PORT"; then
  log "port $MW_PORT already serves a MediaWiki API that is not ours ($MW_DIR); use another MW_PORT or stop it"
  exit 1
fi

# setsid: own process group, so stop.sh can end the master and its workers together.
# Every inherited fd above 2 is closed first: the lock fd (or the server would hold the lock
# forever) and any pipe of whoever started us (a test runner, a `2> >(...)` of a script), which
# would otherwise wait for the server's end before it sees its own output end.
# PHP_CLI_SERVER_WORKERS: the built-in server is single-threaded without it.
# post_max_size: a 2 MB page url-encoded can triple in size.
log "starting php -S $MW_HOST:$MW_PORT (log: $MW_LOG_FILE)"
(
  for fd_path in /proc/self/fd/*; do
    fd="${fd_path##*/}"
    if [[ "$fd" =~ ^[0-9]+$ && "$fd" -gt 2 ]]; then eval "exec $fd>&-" 2>/dev/null || true; fi
  done
  PHP_CLI_SERVER_WORKERS="${PHP_CLI_SERVER_WORKERS:-4}" exec setsid php \
    -d post_max_size=64M -d upload_max_filesize=64M -d memory_limit=1024M \
    -d apc.enable_cli=1 -d opcache.enable_cli=1 \
    -S "$MW_HOST:$MW_PORT" -t "$MW_DIR/www" \
    </dev/null >"$MW_LOG_FILE" 2>&1
) &
pid=$!
echo "$pid" >"$MW_PID_FILE"
echo "$MW_PORT" >"$MW_PORT_FILE"

for _ in $(seq 1 60); do
  if mw_api_ready "$MW_PORT"; then
    log "ready (pid $pid)"
    echo "http://$MW_HOST:$MW_PORT/api.php"
    exit 0
  fi
  if ! kill -0 "$pid" 2>/dev/null; then
    log "server exited; last log lines:"; tail -n 20 "$MW_LOG_FILE" >&2 || true
    rm -f "$MW_PID_FILE"
    exit 1
  fi
  sleep 0.5
done
log "timed out after 30 s waiting for the API; see $MW_LOG_FILE"
exit 1
