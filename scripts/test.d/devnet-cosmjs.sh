#!/usr/bin/env bash
# CosmJS (@cosmjs/cosmwasm-stargate, @cosmjs/proto-signing, unchanged) against the devnet:
# connect, query, upload the cw20 artifact, instantiate, execute, smart query, bank send.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
# shellcheck source=../lib/workspace-build.sh
source "$ROOT/scripts/lib/workspace-build.sh"
BIN_DIR="$(mktemp -d "${TMPDIR:-/tmp}/bithive-cosmjs-bin.XXXXXX")"
trap 'rm -rf "$BIN_DIR"' EXIT
workspace_binary bithive-devnet "$BIN_DIR/bithive-devnet"
BIN="$BIN_DIR/bithive-devnet"
cd "$ROOT/dev/devnet/cosmjs-test"
npm ci --no-audit --no-fund --silent
node test.mjs "$BIN" "$ROOT/artifacts"
