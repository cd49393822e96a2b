#!/usr/bin/env bash
# Runs every test of the project on a fresh Debian machine (installs what it needs first):
# fmt, clippy -D warnings, schema drift, artifact freshness, component test steps, then the
# whole workspace test suite (which also drives the committed artifacts in cosmwasm-vm).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/setup.sh" test
cd "$BITHIVE_ROOT"
# One full build, no edit-compile loop: incremental caches would only cost disk.
export CARGO_INCREMENTAL="${CARGO_INCREMENTAL:-0}"
# A cold run writes about 10 GB (targets, chains, browsers); a full disk shows up later as a node
# that stops making blocks, so it is named here first.
free_gb="$(df -P -BG "$HOME" "$BITHIVE_ROOT" "${TMPDIR:-/tmp}" 2>/dev/null \
  | awk 'NR > 1 { v = $4 + 0; if (m == "" || v < m) m = v } END { print m + 0 }')"
if [ "$free_gb" -lt 4 ]; then
  echo "test.sh: only ${free_gb} GB free where the run writes (home, clone, temp); a run needs about 10 GB" >&2
  exit 1
elif [ "$free_gb" -lt 12 ]; then
  echo "test.sh: warning: ${free_gb} GB free where the run writes (home, clone, temp); a cold run writes about 10 GB" >&2
fi
step() { printf '\n\033[1;36m==> %s\033[0m\n' "$*"; }
# timed NAME CMD...: runs one test step, timed into the table printed at the end (setup.sh).
timed() {
  local name="$1"; shift
  step "$name"
  timing_begin
  "$@"
  timing_end "$name"
}
# The table is printed however the run ends, so a failing run still shows where the time went.
trap 'rc=$?; printf "\n\033[1;36m==> step timings (exit %s)\033[0m\n" "$rc"; timing_table; exit "$rc"' EXIT

timed "cargo fmt --check" cargo fmt --all --check

timed "cargo clippy --all-targets -D warnings" \
  cargo clippy --workspace --all-targets --locked --quiet -- -D warnings

timed "schema drift" scripts/schema.sh --check

timed "wasm artifacts: rebuild and compare" scripts/build-wasm.sh --check

# Component steps (e.g. browser tests) that are not plain cargo tests.
for f in scripts/test.d/*.sh; do
  [ -e "$f" ] || continue
  timed "test.d $(basename "$f" .sh)" bash "$f"
done

timed "cargo nextest (whole workspace)" cargo nextest run --workspace --locked --no-fail-fast
