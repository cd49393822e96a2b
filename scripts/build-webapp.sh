#!/usr/bin/env bash
# Builds the web app into web/dist (served by `bithive web`): npm ci when web/package-lock.json
# changed since the last install (a stamp in node_modules), then type-check and bundle (vite).
# Idempotent: a second run reuses node_modules and rebuilds dist/.
#   scripts/build-webapp.sh              install (if needed) and build
#   scripts/build-webapp.sh --deps-only  install (if needed) only
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT/web"
# Tests drive Debian's Chromium (/usr/bin/chromium): never download a browser build.
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1
stamp=node_modules/.bithive-lock.sha256
want="$(sha256sum package-lock.json | cut -d' ' -f1)"
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  npm ci --no-audit --no-fund --loglevel=error
  echo "$want" >"$stamp"
fi
[ "${1:-}" = "--deps-only" ] && exit 0
npm run --silent build
echo "web app built: $ROOT/web/dist"
