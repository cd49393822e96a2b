#!/usr/bin/env bash
# Builds offchain/browser for wasm32-unknown-unknown with the same Debian toolchain recipe as
# the contracts (scripts/build-wasm.sh: rustc-web, RUSTC_BOOTSTRAP + -Zbuild-std, target-cpu=mvp,
# wasm-ld, remapped paths), then wasm-bindgen and wasm-opt -Os.
#
# Usage: scripts/build-web.sh [OUT_DIR] [--target nodejs|web]   (default $BITHIVE_CACHE/web-pkg, nodejs)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CACHE="${BITHIVE_CACHE:-$HOME/.cache/bithive}"
CARGO_HOME_DIR="${CARGO_HOME:-$HOME/.cargo}"
# Its own target dir: its RUSTFLAGS differ from the contracts' (no --allow-undefined), and in a
# shared one each build made the other rebuild std and every shared dependency (issue #49: the
# contracts' artifact check went from 37 s to 10 min after the browser package was built).
WASM_TARGET_DIR="${BITHIVE_WEB_TARGET_DIR:-$CACHE/wasm-target-browser}"
# Built from the same fixed-path copy of the checkout as the contracts (scripts/build-wasm.sh).
WASM_SRC_DIR="${BITHIVE_WASM_SRC_DIR:-$CACHE/wasm-src}"
# shellcheck source=lib/stable-source.sh
source "$ROOT/scripts/lib/stable-source.sh"
out="$CACHE/web-pkg"
target=nodejs
while (($#)); do
  case "$1" in
    --target) target="$2"; shift ;;
    *) out="$1" ;;
  esac
  shift
done
say() { printf '\033[1;32m[web]\033[0m %s\n' "$*" >&2; }
for tool in /usr/bin/rustc /usr/bin/cargo wasm-ld wasm-opt wasm-bindgen; do
  command -v "$tool" >/dev/null 2>&1 || { echo "$tool not found: run scripts/setup.sh first" >&2; exit 1; }
done

SRC="$(stable_source "$ROOT" "$WASM_SRC_DIR")"
say "building bithive-browser (wasm32, Debian toolchain)"
RUSTC_BOOTSTRAP=1 RUSTC=/usr/bin/rustc CARGO_TARGET_DIR="$WASM_TARGET_DIR" \
RUSTFLAGS="-C target-cpu=mvp -C linker=wasm-ld --remap-path-prefix=$CARGO_HOME_DIR=/cargo --remap-path-prefix=$SRC=/code" \
  /usr/bin/cargo build --quiet --locked --manifest-path "$SRC/Cargo.toml" -p bithive-browser --lib \
  --profile wasm --target wasm32-unknown-unknown -Zbuild-std=std,panic_abort
raw="$WASM_TARGET_DIR/wasm32-unknown-unknown/wasm/bithive_browser.wasm"
mkdir -p "$out"
wasm-bindgen --target "$target" --out-dir "$out" "$raw"
wasm-opt -Os --strip-debug "$out/bithive_browser_bg.wasm" -o "$out/bithive_browser_bg.wasm"
size=$(stat -c %s "$out/bithive_browser_bg.wasm")
gz=$(gzip -9 -c "$out/bithive_browser_bg.wasm" | wc -c)
say "bithive_browser_bg.wasm: $size bytes ($gz gzipped) in $out"
