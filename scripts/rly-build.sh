#!/usr/bin/env bash
# Builds (or reuses) the pinned Go relayer, rly (cosmos/relayer), test tooling only: prints the
# binary's path on stdout.
#   scripts/rly-build.sh            build once, then reuse the cached binary
#   scripts/rly-build.sh --force    rebuild
# Pinned to cosmos/relayer v2.6.0, built from its Go module through testing/rly (a module that
# requires it: `go install module@version` asks the module proxy for the version list, which
# this project's proxy refuses; rly has no replace directives, so the build is the release's
# dependency set). The Go module and build caches are Go's defaults, shared with
# scripts/wasmd-build.sh: the two share the Cosmos SDK, ibc-go and CometBFT, so whichever builds
# second downloads and compiles less. Cached outside the clone in $BITHIVE_CACHE/rly/<version>/.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
RLY_VERSION=v2.6.0
CACHE="${BITHIVE_CACHE:-$HOME/.cache/bithive}/rly/$RLY_VERSION"
BIN="$CACHE/relayer"
log() { printf '\033[1;35m[rly-build]\033[0m %s\n' "$*" >&2; }

export PATH="/usr/local/go/bin:$PATH"
# Never fetch another Go toolchain: the registry serves modules only.
export GOTOOLCHAIN=local GOFLAGS=-mod=readonly
command -v go >/dev/null || { log "go not found (scripts/setup.d/60-wasmd.sh checks it)"; exit 1; }
LDFLAGS="-X github.com/cosmos/relayer/v2/cmd.Version=${RLY_VERSION#v}"
stamp="$(cd "$ROOT/testing/rly" && cat go.mod go.sum | sha256sum | cut -c1-16)-$(go env GOVERSION)-$(printf %s "$LDFLAGS" | sha256sum | cut -c1-16)"

mkdir -p "$CACHE"
exec 9>"$CACHE.lock"
flock -n 9 || { log "another rly build is running: waiting for it"; flock 9; }
if [ "${1:-}" != --force ] && [ -x "$BIN" ] && [ "$(cat "$CACHE/stamp" 2>/dev/null)" = "$stamp" ] \
  && "$BIN" version >/dev/null 2>&1; then
  log "reusing $BIN (rly $RLY_VERSION)"
  echo "$BIN"
  exit 0
fi

started=$(date +%s)
log "building rly $RLY_VERSION from testing/rly with $(go env GOVERSION) into $CACHE"
log "cold: a few minutes on 2 cores, less after wasmd (shared module and build caches)"
tmp="$CACHE/relayer.tmp.$$"
buildlog="$CACHE/build.log"
if ! (cd "$ROOT/testing/rly" && go build -trimpath -ldflags "$LDFLAGS" -o "$tmp" github.com/cosmos/relayer/v2) >"$buildlog" 2>&1; then
  tail -n 30 "$buildlog" >&2
  log "go build failed; whole output: $buildlog"
  rm -f "$tmp"
  exit 1
fi
mv -f "$tmp" "$BIN"
"$BIN" version 2>&1 | grep -q "${RLY_VERSION#v}" || { log "built $BIN does not report $RLY_VERSION: $("$BIN" version 2>&1)"; exit 1; }
echo "$stamp" >"$CACHE/stamp"
log "built in $(($(date +%s) - started)) s: $BIN"
echo "$BIN"
