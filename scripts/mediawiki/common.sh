# shellcheck shell=bash
# Shared settings for setup.sh / start.sh / stop.sh. Sourced, not executed.
#
#   MW_DIR   where the wiki lives (code in $MW_DIR/www, sqlite in $MW_DIR/data);
#            default <repo>/.local/mediawiki. Relative paths are relative to the repo root.
#   MW_PORT  port for `php -S` on 127.0.0.1; default 8765.

MW_REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
MW_DIR="${MW_DIR:-.local/mediawiki}"
case "$MW_DIR" in
  /*) ;;
  *) MW_DIR="$MW_REPO_ROOT/$MW_DIR" ;;
esac
MW_PORT="${MW_PORT:-8765}"
MW_HOST=127.0.0.1
MW_ADMIN_USER=Admin
MW_ADMIN_PASS="${MW_ADMIN_PASS:-adminpass-local-123456}"

MW_PID_FILE="$MW_DIR/server.pid"
MW_PORT_FILE="$MW_DIR/server.port"
MW_LOG_FILE="$MW_DIR/server.log"

log() { printf '[mediawiki] %s\n' "$*" >&2; }

# Serialise setup/start/stop: `node --test` runs test files in parallel processes,
# and each may call ensureMediaWiki() at the same moment.
mw_lock() {
  mkdir -p "$MW_DIR"
  exec 9>"$MW_DIR/.lock"
  flock 9
}

# True when the MediaWiki API on $1 (port) answers a siteinfo query.
mw_api_ready() {
  php -r '
    $ctx = stream_context_create(["http" => ["timeout" => 2]]);
    $body = @file_get_contents($argv[1], false, $ctx);
    exit($body !== false && strpos($body, "\"sitename\"") !== false ? 0 : 1);
  ' "http://$MW_HOST:$1/api.php?action=query&meta=siteinfo&format=json" 2>/dev/null
}

# PID of our running server, or empty.
mw_running_pid() {
  local pid
  [ -f "$MW_PID_FILE" ] || return 0
  pid="$(cat "$MW_PID_FILE")"
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then echo "$pid"; fi
}
