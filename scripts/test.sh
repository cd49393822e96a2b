#!/usr/bin/env bash
# Runs every test of the project on a fresh Debian machine (installs what it needs first):
# fmt, clippy -D warnings, schema drift, artifact freshness, component test steps, then the
# whole workspace test suite (which also drives the committed artifacts in cosmwasm-vm).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/setup.sh" test
cd "$BITHIVE_ROOT"
# One full build, no edit-compile loop: incremental caches would only cost disk.
export CARGO_INCREMENTAL="${CARGO_INCREMENTAL:-0}"
step() { printf '\n\033[1;36m==> %s\033[0m\n' "$*"; }

step "cargo fmt --check"
cargo fmt --all --check

step "cargo clippy --all-targets -D warnings"
cargo clippy --workspace --all-targets --locked --quiet -- -D warnings

step "schema drift"
scripts/schema.sh --check

step "wasm artifacts: rebuild and compare with artifacts/"
scripts/build-wasm.sh --check

# Component steps (e.g. browser tests) that are not plain cargo tests.
for f in scripts/test.d/*.sh; do
  [ -e "$f" ] || continue
  step "$(basename "$f" .sh)"
  bash "$f"
done

step "cargo nextest (whole workspace)"
cargo nextest run --workspace --locked --no-fail-fast
