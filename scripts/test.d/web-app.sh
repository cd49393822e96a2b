#!/usr/bin/env bash
# The web app (web/): typed clients generated from schema/, type-check and bundle, then
# Playwright in Debian's Chromium against a devnet with a deployment served by `bithive web`,
# with a test wallet injected into the page (web/tests/). Screenshots and figures go to
# web/screenshots/ (git-ignored).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
"$ROOT/scripts/build-webapp.sh"
# shellcheck source=../lib/workspace-build.sh
source "$ROOT/scripts/lib/workspace-build.sh"
# A private copy of the binary (a running demo once saw its own program "(deleted)" when a build
# beside it relinked target/debug/bithive, and found no binary for its roles).
BIN_DIR="$(mktemp -d "${TMPDIR:-/tmp}/bithive-web-bin.XXXXXX")"
trap 'rm -rf "$BIN_DIR"' EXIT
workspace_binary bithive "$BIN_DIR/bithive"
export BITHIVE_BIN="$BIN_DIR/bithive" BITHIVE_EXE="$BIN_DIR/bithive"
chrome="$(command -v chromium || true)"
[ -n "$chrome" ] || { echo "chromium not found: run scripts/setup.sh (setup.d/35-chromium.sh)" >&2; exit 1; }
export CHROMIUM="$chrome" PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1
cd "$ROOT/web"
npx --no-install playwright test
