#!/usr/bin/env bash
# Builds (or reuses) the pinned wasmd node, test tooling only: prints the binary's path on stdout.
#   scripts/wasmd-build.sh            build once, then reuse the cached binary
#   scripts/wasmd-build.sh --force    rebuild
#   WASMD_PREFIX=wasm scripts/wasmd-build.sh   another address prefix (its own cached binary)
# The binary is built from testing/wasmd (go.mod requires wasmd and repeats its replaces) with the
# bech32 prefix `bithive`, so addresses match the devnet's. It is cached outside the clone under
# $BITHIVE_CACHE/wasmd/<version>-bithive/ with libwasmvm beside it (rpath $ORIGIN), so it keeps
# working if the Go module cache is cleaned. A stamp of go.mod, go.sum and the flags decides reuse.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
WASMD_VERSION=v0.61.14
# The chain's bech32 address prefix, set at link time: bithive like the devnet, or another
# (WASMD_PREFIX=wasm), as a chain team's own chain has; each prefix is its own cached binary.
PREFIX="${WASMD_PREFIX:-bithive}"
[[ "$PREFIX" =~ ^[a-z]{1,20}$ ]] || { echo "WASMD_PREFIX=$PREFIX: lower-case letters only" >&2; exit 2; }
CACHE="${BITHIVE_CACHE:-$HOME/.cache/bithive}/wasmd/$WASMD_VERSION-$PREFIX"
BIN="$CACHE/wasmd"
log() { printf '\033[1;35m[wasmd-build]\033[0m %s\n' "$*" >&2; }

export PATH="/usr/local/go/bin:$PATH"
# Never fetch another Go toolchain: the registry serves modules only.
export GOTOOLCHAIN=local GOFLAGS=-mod=readonly CGO_ENABLED=1
command -v go >/dev/null || { log "go not found (scripts/setup.d/60-wasmd.sh checks it)"; exit 1; }
command -v gcc >/dev/null || { log "gcc not found: wasmvm needs cgo"; exit 1; }

# -checklinkname=0: wasmd's Makefile sets it (sonic's go:linkname into the runtime).
LDFLAGS="-checklinkname=0 \
 -X github.com/cosmos/cosmos-sdk/version.Name=wasm \
 -X github.com/cosmos/cosmos-sdk/version.AppName=wasmd \
 -X github.com/cosmos/cosmos-sdk/version.Version=${WASMD_VERSION#v} \
 -X github.com/cosmos/cosmos-sdk/version.BuildTags=netgo \
 -X github.com/CosmWasm/wasmd/app.Bech32Prefix=$PREFIX \
 -extldflags=-Wl,-rpath,\$ORIGIN"
stamp="$(cd "$ROOT/testing/wasmd" && cat go.mod go.sum | sha256sum | cut -c1-16)-$(go env GOVERSION)-$(printf %s "$LDFLAGS" | sha256sum | cut -c1-16)"

# One build at a time per binary: the test command runs the chain steps side by side, and two of
# them may ask for the same binary at once; the second waits, then reuses what the first built.
mkdir -p "$CACHE"
exec 9>"$CACHE.lock"
flock -n 9 || { log "another wasmd build of prefix $PREFIX is running: waiting for it"; flock 9; }

if [ "${1:-}" != --force ] && [ -x "$BIN" ] && [ "$(cat "$CACHE/stamp" 2>/dev/null)" = "$stamp" ] \
  && "$BIN" version >/dev/null 2>&1; then
  log "reusing $BIN ($("$BIN" version 2>&1))"
  echo "$BIN"
  exit 0
fi

started=$(date +%s)
log "building wasmd $WASMD_VERSION (prefix $PREFIX) with $(go env GOVERSION) into $CACHE"
log "a cold build (~200 modules, ~1800 packages) takes 10 to 15 min on 2 cores; progress follows"
mkdir -p "$CACHE"
cd "$ROOT/testing/wasmd"
tmp="$CACHE/wasmd.tmp.$$"
buildlog="$CACHE/build.log"
# -v names each package as it is compiled: a count every 50 packages (and every 50 modules
# downloaded) shows progress; the whole output goes to build.log, whose tail shows on failure.
set +e
go build -v -trimpath -tags netgo -ldflags "$LDFLAGS" -o "$tmp" github.com/CosmWasm/wasmd/cmd/wasmd 2>&1 \
  | tee "$buildlog" | {
    mods=0 pkgs=0
    while IFS= read -r line; do
      case "$line" in
        "go: downloading "*) mods=$((mods + 1)); ((mods % 50)) || log "$mods modules downloaded ($(($(date +%s) - started)) s)" ;;
        *" "*) ;;
        *) pkgs=$((pkgs + 1)); ((pkgs % 50)) || log "$pkgs packages compiled ($(($(date +%s) - started)) s)" ;;
      esac
    done
  }
rc="${PIPESTATUS[0]}"
set -e
if [ "$rc" != 0 ] || [ ! -x "$tmp" ]; then
  grep -vE '^([a-zA-Z0-9_.~/-]+|go: downloading .*)$' "$buildlog" | tail -n 30 >&2
  log "go build failed (exit $rc); whole output: $buildlog"
  rm -f "$tmp"
  exit 1
fi
# libwasmvm beside the binary: the rpath $ORIGIN finds it even without the module cache.
wasmvm_dir="$(go list -m -f '{{.Dir}}' github.com/CosmWasm/wasmvm/v3)"
install -m 0644 "$wasmvm_dir/internal/api/libwasmvm.$(uname -m).so" "$CACHE/"
mv -f "$tmp" "$BIN"
echo "$stamp" >"$CACHE/stamp"
log "built in $(($(date +%s) - started)) s: $BIN"
"$BIN" version --long 2>&1 | sed 's/^/[wasmd-build]   /' >&2
echo "$BIN"
