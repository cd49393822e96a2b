#!/usr/bin/env bash
# The main job: the whole platform on the embedded local chain. Starts the devnet (the committed
# artifacts in cosmwasm-vm behind CometBFT RPC), deploys and wires every contract, starts a
# relayer with the inference engine, and runs the story (see cli/src/demo/).
# Extra arguments go to `bithive demo` (e.g. --home DIR).
#
# Installs only what the demo needs (scripts/setup.sh demo: a C compiler and the ONNX Runtime
# wheel; the Rust toolchain is a prerequisite), checks the committed artifacts against
# artifacts/checksums.txt instead of rebuilding them (scripts/test.sh rebuilds and compares),
# and builds `bithive` in the `demo` profile (Cargo.toml: quicker to build than the dev profile).
set -euo pipefail
demo_started="$(date +%s.%3N)"
source "$(dirname "${BASH_SOURCE[0]}")/setup.sh" demo
cd "$BITHIVE_ROOT"
say() { printf '\033[1;32m[demo]\033[0m %s\n' "$*" >&2; }

say "checking the committed artifacts against artifacts/checksums.txt"
step_started="$(now_s)"
[ -f artifacts/checksums.txt ] || { say "error: artifacts/checksums.txt is missing: run scripts/build-wasm.sh (after scripts/setup.sh test) and commit artifacts/"; exit 1; }
if ! sums="$(cd artifacts && sha256sum --check --strict checksums.txt 2>/dev/null)"; then
  say "error: the committed artifacts do not match artifacts/checksums.txt:"
  sed -n 's/^\(.*\): FAILED open or read$/  artifacts\/\1 is missing/p; s/^\(.*\): FAILED$/  artifacts\/\1 has a different sha256/p' <<<"$sums" >&2
  say "rebuild them with scripts/build-wasm.sh (after bash scripts/setup.sh test) and commit artifacts/"
  exit 1
fi
say "artifacts: $(grep -c . artifacts/checksums.txt) files match artifacts/checksums.txt ($(elapsed "$step_started"))"

say "building bithive (cargo build --profile demo -p bithive-cli; the first build takes minutes)"
step_started="$(now_s)"
cargo build --locked --profile demo -p bithive-cli --bin bithive
say "built in $(elapsed "$step_started")"

step_started="$(now_s)"
rc=0
"$CARGO_TARGET_DIR/demo/bithive" demo "$@" || rc=$?
say "demo run $(elapsed "$step_started"); scripts/demo.sh total $(elapsed "$demo_started") (exit $rc)"
exit "$rc"
