#!/usr/bin/env bash
# CosmJS (@cosmjs/cosmwasm-stargate, @cosmjs/proto-signing, unchanged) against the devnet:
# connect, query, upload the cw20 artifact, instantiate, execute, smart query, bank send.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cargo build --quiet --locked -p bithive-devnet --bin bithive-devnet
# A private copy: the test command relinks target/debug beside this step (it runs in the
# background while the workspace's tests build).
BIN_DIR="$(mktemp -d "${TMPDIR:-/tmp}/bithive-cosmjs-bin.XXXXXX")"
trap 'rm -rf "$BIN_DIR"' EXIT
cp "${CARGO_TARGET_DIR:-$ROOT/target}/debug/bithive-devnet" "$BIN_DIR/bithive-devnet"
BIN="$BIN_DIR/bithive-devnet"
cd "$ROOT/dev/devnet/cosmjs-test"
npm ci --no-audit --no-fund --silent
node test.mjs "$BIN" "$ROOT/artifacts"
