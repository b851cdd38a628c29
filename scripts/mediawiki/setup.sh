#!/usr/bin/env bash
# Install (idempotently) a throwaway MediaWiki with a sqlite database for tests and the demo.
#
#   scripts/mediawiki/setup.sh [DIR]      (DIR defaults to $MW_DIR or .local/mediawiki)
#
# Result: $DIR/www (a private copy of Debian's /usr/share/mediawiki + LocalSettings.php),
#         $DIR/data (sqlite files). Admin account: Admin / $MW_ADMIN_PASS.
set -euo pipefail

if [ $# -ge 1 ]; then MW_DIR="$(realpath -m -- "$1")"; fi  # relative to the current dir
# shellcheck source=common.sh
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"
mw_lock

WWW="$MW_DIR/www"
DATA="$MW_DIR/data"
SRC=/usr/share/mediawiki

# 1. System packages (a fresh CI machine has none of these).
# php -m is read whole before matching: with pipefail, `grep -q` exiting at the first match can
# SIGPIPE php on a busy machine, fail the pipeline and trigger a needless apt-get.
php_modules="$(php -m 2>/dev/null || true)"
if ! command -v php >/dev/null 2>&1 || [ ! -f "$SRC/includes/WebStart.php" ] \
   || ! grep -qi '^pdo_sqlite$' <<<"$php_modules"; then
  log "installing apt packages: mediawiki php-cli php-sqlite3"
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
  $SUDO apt-get update
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y --no-install-recommends mediawiki php-cli php-sqlite3
else
  log "packages present: $(php -r 'echo PHP_VERSION;') and $SRC"
fi

# 2. Private copy of the code. Debian's tree is full of symlinks into /var/lib and /etc
#    (LocalSettings.php, extensions, images, config); -L resolves them so this copy is
#    self-contained. The LocalSettings.php link is dangling on a fresh install, so skip it.
#    Copy into a temp dir and rename, so an interrupted copy is redone next time.
if [ ! -f "$WWW/includes/WebStart.php" ]; then
  log "copying $SRC to $WWW (about 400 MB, a few seconds)"
  rm -rf "$WWW.tmp" "$WWW"
  mkdir -p "$WWW.tmp"
  for entry in "$SRC"/* "$SRC"/.[!.]*; do
    name="$(basename "$entry")"
    [ -e "$entry" ] || continue            # dangling link or unmatched glob
    [ "$name" = LocalSettings.php ] && continue
    cp -rL "$entry" "$WWW.tmp/"
  done
  mv "$WWW.tmp" "$WWW"
else
  log "code already at $WWW"
fi

# 3. Database + LocalSettings.php. LocalSettings.php is written last by install.php,
#    so its absence means "not installed (or half-installed)": start from an empty data dir.
if [ ! -f "$WWW/LocalSettings.php" ]; then
  log "running maintenance/install.php (sqlite in $DATA)"
  rm -rf "$DATA"
  mkdir -p "$DATA"
  (cd "$WWW" && php maintenance/install.php \
      --dbtype sqlite --dbpath "$DATA" --dbname my_wiki \
      --server "http://$MW_HOST:$MW_PORT" --scriptpath "" \
      --lang en --pass "$MW_ADMIN_PASS" \
      "Wiki" "$MW_ADMIN_USER") >&2
else
  log "already installed ($WWW/LocalSettings.php exists)"
fi

# 4. Project overrides live in their own file, rewritten on every run, so changing
#    them here and re-running setup.sh is enough.
cat > "$WWW/LocalSettings.project.php" <<'PHP'
<?php
// Written by scripts/mediawiki/setup.sh on every run; edit that script, not this file.

// Follow the host:port the request arrived on so one install serves any MW_PORT.
// (CLI maintenance scripts keep the install-time $wgServer.)
if ( PHP_SAPI === 'cli-server' && isset( $_SERVER['HTTP_HOST'] ) ) {
	$wgServer = 'http://' . $_SERVER['HTTP_HOST'];
}

// Admin (sysop) must be able to hide revision content and see hidden content.
$wgGroupPermissions['sysop']['deleterevision'] = true;
$wgGroupPermissions['sysop']['deletedhistory'] = true;
$wgGroupPermissions['sysop']['deletedtext'] = true;
$wgGroupPermissions['sysop']['noratelimit'] = true;
// Tests and benches create hundreds of revisions quickly.
$wgRateLimits = [];

$wgEnableUploads = false;
// KiB. Default 2048 would reject pages just over 2 MiB; the project tests ~2 MB pages.
$wgMaxArticleSize = 4096;
$wgMemoryLimit = '1024M';
$wgShowExceptionDetails = true;
// Never run queued jobs inside web requests: keeps API latency predictable.
$wgJobRunRate = 0;
PHP

if ! grep -q 'LocalSettings.project.php' "$WWW/LocalSettings.php"; then
  printf '\nrequire_once __DIR__ . "/LocalSettings.project.php";\n' >> "$WWW/LocalSettings.php"
fi

log "setup done: $MW_DIR (admin: $MW_ADMIN_USER)"
