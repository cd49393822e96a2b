#!/usr/bin/env bash
# Builds every contract (crates under contracts/ with a cdylib) into a checked, reproducible wasm
# artifact, the way cosmwasm/optimizer does, with Debian's rustc-web toolchain:
#   - each contract is built on its own (features never unify across contracts),
#   - std is rebuilt for wasm32 with -Zbuild-std and target-cpu=mvp (no post-MVP opcodes),
#   - absolute paths are remapped (/code, /cargo) so the bytes do not depend on where the checkout
#     or the cargo home live,
#   - wasm-opt -Os, then cosmwasm-check.
#
# Usage:
#   scripts/build-wasm.sh                 build all, write artifacts/ (+ checksums.txt, toolchain.txt)
#   scripts/build-wasm.sh --check         rebuild into a temp dir and fail if artifacts/ is stale
#   scripts/build-wasm.sh --out DIR PKG.. build only the given packages into DIR (used by benches)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CACHE="${BITHIVE_CACHE:-$HOME/.cache/bithive}"
CARGO_HOME_DIR="${CARGO_HOME:-$HOME/.cargo}"
WASM_TARGET_DIR="${BITHIVE_WASM_TARGET_DIR:-$CACHE/wasm-target}"
DEB_RUSTC=/usr/bin/rustc
DEB_CARGO=/usr/bin/cargo

say() { printf '\033[1;32m[wasm]\033[0m %s\n' "$*" >&2; }
die() { printf '\033[1;31m[wasm] error:\033[0m %s\n' "$*" >&2; exit 1; }

mode=build
out="$ROOT/artifacts"
pkgs=()
while (($#)); do
  case "$1" in
    --check) mode=check ;;
    --out) out="$2"; shift ;;
    -h|--help) sed -n '2,16p' "$0"; exit 0 ;;
    *) pkgs+=("$1") ;;
  esac
  shift
done

for tool in "$DEB_RUSTC" "$DEB_CARGO" wasm-ld wasm-opt cosmwasm-check; do
  command -v "$tool" >/dev/null 2>&1 || die "$tool not found: run scripts/setup.sh first"
done

toolchain_record() {
  echo "rustc: $("$DEB_RUSTC" -V)"
  echo "cargo: $("$DEB_CARGO" -V)"
  echo "rust-web-src: $(dpkg-query -W -f='${Version}' rust-web-src 2>/dev/null || echo unknown)"
  echo "wasm-ld: $(wasm-ld --version | head -n1)"
  echo "wasm-opt: $(wasm-opt --version | head -n1)"
}

# Contracts: every crate directly under contracts/ whose manifest declares a cdylib.
list_contracts() {
  local d
  for d in "$ROOT"/contracts/*/; do
    [ -f "$d/Cargo.toml" ] || continue
    grep -q 'cdylib' "$d/Cargo.toml" || continue
    sed -n 's/^name *= *"\(.*\)"/\1/p' "$d/Cargo.toml" | head -n1
  done
}

build_one() { # PKG OUTDIR
  local pkg="$1" dest="$2" lib
  lib="${pkg//-/_}"
  say "building $pkg"
  RUSTC_BOOTSTRAP=1 RUSTC="$DEB_RUSTC" CARGO_TARGET_DIR="$WASM_TARGET_DIR" \
  RUSTFLAGS="-C target-cpu=mvp -C linker=wasm-ld -C link-arg=--allow-undefined --remap-path-prefix=$CARGO_HOME_DIR=/cargo --remap-path-prefix=$ROOT=/code" \
    "$DEB_CARGO" build --quiet --locked --manifest-path "$ROOT/Cargo.toml" -p "$pkg" --lib \
    --profile wasm --target wasm32-unknown-unknown -Zbuild-std=std,panic_abort
  local raw="$WASM_TARGET_DIR/wasm32-unknown-unknown/wasm/$lib.wasm"
  [ -f "$raw" ] || die "cargo produced no $raw"
  wasm-opt -Os --strip-debug "$raw" -o "$dest/$lib.wasm"
  cosmwasm-check "$dest/$lib.wasm" >/dev/null || { cosmwasm-check "$dest/$lib.wasm" || true; die "$lib.wasm fails cosmwasm-check"; }
}

if ((${#pkgs[@]} == 0)); then
  mapfile -t pkgs < <(list_contracts)
fi
((${#pkgs[@]})) || die "no contracts found under contracts/"

case "$mode" in
  build)
    mkdir -p "$out"
    for p in "${pkgs[@]}"; do build_one "$p" "$out"; done
    if [ "$out" = "$ROOT/artifacts" ]; then
      # Drop artifacts of contracts that no longer exist, then record checksums and toolchain.
      for f in "$out"/*.wasm; do
        n="$(basename "$f" .wasm)"
        printf '%s\n' "${pkgs[@]//-/_}" | grep -qx "$n" || { say "removing stale $n.wasm"; rm -f "$f"; }
      done
      (cd "$out" && sha256sum -- *.wasm > checksums.txt)
      toolchain_record > "$out/toolchain.txt"
    fi
    (cd "$out" && for f in "${pkgs[@]//-/_}"; do
      printf '%-32s %8d bytes  %s\n' "$f.wasm" "$(stat -c %s "$f.wasm")" "$(sha256sum "$f.wasm" | cut -c1-16)"
    done)
    ;;
  check)
    recorded="$ROOT/artifacts/toolchain.txt"
    [ -f "$recorded" ] || die "artifacts/toolchain.txt is missing: run scripts/build-wasm.sh and commit artifacts/"
    if ! diff -q <(toolchain_record) "$recorded" >/dev/null; then
      printf '\033[1;31m[wasm] error:\033[0m the installed wasm toolchain differs from the one that built artifacts/,\n' >&2
      echo "so the committed bytes cannot be reproduced here. Recorded (artifacts/toolchain.txt) vs installed:" >&2
      diff <(cat "$recorded") <(toolchain_record) | sed 's/^/    /' >&2 || true
      echo "Rebuild with scripts/build-wasm.sh on this toolchain and commit artifacts/." >&2
      exit 1
    fi
    tmp="$(mktemp -d)"
    trap 'rm -rf "$tmp"' EXIT
    for p in "${pkgs[@]}"; do build_one "$p" "$tmp"; done
    (cd "$tmp" && sha256sum -- *.wasm > checksums.txt)
    stale=0
    for p in "${pkgs[@]}"; do
      f="${p//-/_}.wasm"
      if [ ! -f "$ROOT/artifacts/$f" ]; then
        echo "  artifacts/$f is missing (new contract $p not built)" >&2; stale=1
      elif ! cmp -s "$tmp/$f" "$ROOT/artifacts/$f"; then
        echo "  artifacts/$f is stale: the source of $p changed since it was built" >&2; stale=1
      fi
    done
    if ! diff -q "$tmp/checksums.txt" "$ROOT/artifacts/checksums.txt" >/dev/null; then
      echo "  artifacts/checksums.txt does not match the artifacts:" >&2
      diff "$ROOT/artifacts/checksums.txt" "$tmp/checksums.txt" | sed 's/^/    /' >&2 || true
      stale=1
    fi
    ((stale == 0)) || die "artifacts/ is stale against the source: run scripts/build-wasm.sh and commit artifacts/"
    say "all ${#pkgs[@]} artifacts are fresh and pass cosmwasm-check"
    ;;
esac
