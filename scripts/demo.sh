#!/usr/bin/env bash
# The main job: the whole platform on the embedded local chain. Starts the devnet (the committed
# artifacts in cosmwasm-vm behind CometBFT RPC), deploys and wires every contract, starts a
# relayer with the inference engine, and runs the story (see cli/src/demo.rs).
# Extra arguments go to `bithive demo` (e.g. --home DIR).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/setup.sh"
cd "$BITHIVE_ROOT"
scripts/build-wasm.sh --check
cargo build --locked --quiet -p bithive-cli --bin bithive
exec "$CARGO_TARGET_DIR/debug/bithive" demo "$@"
