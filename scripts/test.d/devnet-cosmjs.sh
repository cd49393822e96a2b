#!/usr/bin/env bash
# CosmJS (@cosmjs/cosmwasm-stargate, @cosmjs/proto-signing, unchanged) against the devnet:
# connect, query, upload the cw20 artifact, instantiate, execute, smart query, bank send.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cargo build --quiet --locked -p bithive-devnet --bin bithive-devnet
BIN="${CARGO_TARGET_DIR:-$ROOT/target}/debug/bithive-devnet"
cd "$ROOT/dev/devnet/cosmjs-test"
npm ci --no-audit --no-fund --silent
node test.mjs "$BIN" "$ROOT/artifacts"
