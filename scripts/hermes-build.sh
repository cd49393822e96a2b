#!/usr/bin/env bash
# Builds (or reuses) the pinned Hermes relayer, test tooling only: prints the binary's path.
#   scripts/hermes-build.sh            build once (cargo install --locked), then reuse
#   scripts/hermes-build.sh --force    rebuild
# Pinned to ibc-relayer-cli 1.10.5, the newest Hermes that builds from the package registries
# alone: 1.11 to 1.13 depend (not optionally) on penumbra-sdk-proof-params with its
# `download-proving-keys` feature, whose build script fetches ~100 MB of proving keys from
# GitHub's Git LFS at compile time. Cached outside the clone in $BITHIVE_CACHE/hermes/<version>.
set -euo pipefail
HERMES_VERSION=1.10.5
CACHE="${BITHIVE_CACHE:-$HOME/.cache/bithive}"
ROOT_DIR="$CACHE/hermes/$HERMES_VERSION"
BIN="$ROOT_DIR/bin/hermes"
# At opt-level 0 like the other test tools (scripts/setup.sh): a relayer waits on blocks, not the
# CPU. Recorded beside the binary; one built at another level (1 before 2026-12-01) is rebuilt.
OPT_LEVEL="${BITHIVE_TOOL_OPT_LEVEL:-0}"
built_at() { cat "$ROOT_DIR/opt-level" 2>/dev/null || echo 1; }
log() { printf '\033[1;35m[hermes-build]\033[0m %s\n' "$*" >&2; }

if [ "${1:-}" != --force ] && [ -x "$BIN" ] && "$BIN" version 2>/dev/null | grep -q "hermes $HERMES_VERSION" \
  && [ "$(built_at)" = "$OPT_LEVEL" ]; then
  log "reusing $BIN (hermes $HERMES_VERSION)"
  echo "$BIN"
  exit 0
fi
log "building hermes $HERMES_VERSION (cargo install --locked ibc-relayer-cli, opt-level $OPT_LEVEL): about 3 min on 2 cores"
started=$(date +%s)
# Its own target directory: the workspace's lock and features never mix with Hermes's.
CARGO_TARGET_DIR="$CACHE/cargo-install" CARGO_PROFILE_RELEASE_OPT_LEVEL="$OPT_LEVEL" cargo install --locked --quiet ibc-relayer-cli \
  --version "=$HERMES_VERSION" --bin hermes --root "$ROOT_DIR" --force >&2
"$BIN" version 2>/dev/null | grep -q "hermes $HERMES_VERSION" || { log "built $BIN does not report $HERMES_VERSION"; exit 1; }
echo "$OPT_LEVEL" >"$ROOT_DIR/opt-level"
log "built $BIN in $(( $(date +%s) - started )) s"
echo "$BIN"
