#!/usr/bin/env bash
# Reproducibility check: builds every artifact from a fresh clone at another path, with another
# cargo home and an empty target dir, and compares the bytes with artifacts/.
#   scripts/repro-check.sh
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
work="$(mktemp -d /tmp/bithive-repro.XXXXXX)"
trap 'rm -rf "$work"' EXIT
git clone -q "$ROOT" "$work/elsewhere/checkout"
mkdir -p "$work/cargo-home"
# Same crates, different location: copy the registry cache instead of downloading again.
cp -r "${CARGO_HOME:-$HOME/.cargo}/registry" "$work/cargo-home/" 2>/dev/null || true
echo "building in $work/elsewhere/checkout with CARGO_HOME=$work/cargo-home and an empty target dir"
# Its own copy to build from (scripts/lib/stable-source.sh), so the path really is another one.
CARGO_HOME="$work/cargo-home" BITHIVE_WASM_TARGET_DIR="$work/target" BITHIVE_WASM_SRC_DIR="$work/elsewhere/source" \
  "$work/elsewhere/checkout/scripts/build-wasm.sh" --out "$work/out"
status=0
for f in "$ROOT"/artifacts/*.wasm "$ROOT"/artifacts/reference/*.wasm; do
  rel="${f#"$ROOT"/artifacts/}"
  if cmp -s "$f" "$work/out/$rel"; then echo "identical  $rel"; else echo "DIFFERENT  $rel"; status=1; fi
done
exit "$status"
