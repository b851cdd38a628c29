#!/usr/bin/env bash
# The demo wiki: installs (once), starts (unless running) and seeds the local MediaWiki that holds
# the pages and revisions the samples name (samples/wiki/). Used by `npm run demo`,
# `npm run invoke -- --demo-wiki` and `npm run redrive:rehearse`.
#
#   bash scripts/mediawiki/demo-wiki.sh     prints the API URL on stdout (the only stdout line)
#
# MW_DIR defaults to .local/mediawiki-demo and MW_PORT to 8766. Stop it with `npm run stop`.
set -euo pipefail
cd "$(dirname "$0")/../.."

export MW_DIR="${MW_DIR:-.local/mediawiki-demo}" MW_PORT="${MW_PORT:-8766}"

bash scripts/mediawiki/setup.sh >&2
API_URL="$(bash scripts/mediawiki/start.sh "$MW_PORT")"
SEEDED="$(npx tsx scripts/mediawiki/seed.ts samples/wiki/manifest.json)"
# The samples name revision ids of a freshly installed demo wiki; say so if this one differs.
node -e '
  const seeded = JSON.parse(process.argv[1]);
  const lines = require("fs").readFileSync("samples/page-change-events.jsonl","utf8").split("\n").filter(Boolean);
  const want = new Set(lines.flatMap(l => { try { const e = JSON.parse(l); return e.meta.domain === "dev.wiki.local" ? [e.revision.rev_id] : []; } catch { return []; } }));
  const have = new Set(seeded.map(s => s.rev_id));
  const missing = [...want].filter(id => !have.has(id));
  if (missing.length) { console.error(`warning: the demo wiki in ${process.env.MW_DIR} does not hold sample revisions ${missing}; delete that folder and rerun for a fresh wiki`); }
' "$SEEDED"
echo "$API_URL"
