#!/usr/bin/env bash
# Builds every contract (crates under contracts/ with a cdylib) into a checked, reproducible wasm
# artifact, the way cosmwasm/optimizer does, with Debian's rustc-web toolchain:
#   - each contract is built on its own (features never unify across contracts),
#   - std is rebuilt for wasm32 with -Zbuild-std and target-cpu=mvp (no post-MVP opcodes),
#   - absolute paths are remapped (/code, /cargo) so the bytes do not depend on where the checkout
#     or the cargo home live,
#   - wasm-opt -Os (its output kept by content: see wasm_opt), then cosmwasm-check.
#
# Usage:
#   scripts/build-wasm.sh                 build all: contracts/ -> artifacts/, testing/reference/ (benchmark
#                                         and test-only contracts) -> artifacts/reference/, each with
#                                         checksums.txt; artifacts/toolchain.txt records the toolchain
#   scripts/build-wasm.sh --check         rebuild into a temp dir and fail if artifacts/ is stale
#   scripts/build-wasm.sh --out DIR PKG.. build only the given packages into DIR (used by benches)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CACHE="${BITHIVE_CACHE:-$HOME/.cache/bithive}"
CARGO_HOME_DIR="${CARGO_HOME:-$HOME/.cargo}"
WASM_TARGET_DIR="${BITHIVE_WASM_TARGET_DIR:-$CACHE/wasm-target}"
# The contracts are compiled from a copy of the checkout at a fixed path (scripts/lib/stable-source.sh)
# so that a new clone does not rebuild what did not change; artifacts are written to and compared
# with the checkout's own artifacts/.
WASM_SRC_DIR="${BITHIVE_WASM_SRC_DIR:-$CACHE/wasm-src}"
# shellcheck source=lib/stable-source.sh
source "$ROOT/scripts/lib/stable-source.sh"
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
SRC="$(stable_source "$ROOT" "$WASM_SRC_DIR")"

toolchain_record() {
  echo "rustc: $("$DEB_RUSTC" -V)"
  echo "cargo: $("$DEB_CARGO" -V)"
  echo "rust-web-src: $(dpkg-query -W -f='${Version}' rust-web-src 2>/dev/null || echo unknown)"
  echo "wasm-ld: $(wasm-ld --version | head -n1)"
  echo "wasm-opt: $(wasm-opt --version | head -n1)"
}

# Contract crates under DIR (contracts/ or testing/reference/) whose manifest declares a cdylib, one
# "PKG MANIFEST" line each: crates directly under DIR build in the main workspace, crates one level
# deeper in a workspace of their own (contracts/dao-dao: DAO DAO on cosmwasm-std 1.5) in that one.
list_contracts() { # DIR
  local d w
  for d in "$1"/*/; do
    [ -f "$d/Cargo.toml" ] || continue
    if grep -q '^\[workspace\]' "$d/Cargo.toml"; then
      for w in "$d"*/; do
        [ -f "$w/Cargo.toml" ] && grep -q 'cdylib' "$w/Cargo.toml" || continue
        echo "$(sed -n 's/^name *= *"\(.*\)"/\1/p' "$w/Cargo.toml" | head -n1) ${d%/}/Cargo.toml"
      done
      continue
    fi
    grep -q 'cdylib' "$d/Cargo.toml" || continue
    echo "$(sed -n 's/^name *= *"\(.*\)"/\1/p' "$d/Cargo.toml" | head -n1) $SRC/Cargo.toml"
  done
}

# The manifest that builds PKG (for --out PKG..).
manifest_of() { # PKG
  local line
  line="$( { list_contracts "$SRC/contracts"; list_contracts "$SRC/testing/reference"; } | grep "^$1 " | head -n1)"
  [ -n "$line" ] || die "no contract package named $1"
  echo "${line#* }"
}

# wasm_opt RAW OUT: wasm-opt -Os --strip-debug. It is deterministic, so its output for these exact
# input bytes, this wasm-opt and these flags is kept by content ($CACHE/wasm-opt) and an unchanged
# contract costs no second run: about 100 CPU-seconds of a warm --check for the 22 contracts
# (issue #49). The check still compares the final bytes with artifacts/ and runs cosmwasm-check
# on them. BITHIVE_WASM_OPT_CACHE=0 runs wasm-opt every time.
WASM_OPT_FLAGS=(-Os --strip-debug)
wasm_opt() {
  local dir="$CACHE/wasm-opt" key cached
  if [ "${BITHIVE_WASM_OPT_CACHE:-1}" = 0 ]; then wasm-opt "${WASM_OPT_FLAGS[@]}" "$1" -o "$2"; return; fi
  key="$( { sha256sum <"$1"; wasm-opt --version; echo "${WASM_OPT_FLAGS[*]}"; } | sha256sum | cut -c1-64)"
  cached="$dir/$key.wasm"
  if [ -s "$cached" ]; then
    cp "$cached" "$2"
    touch "$cached" # kept while used; entries unused for 30 days are removed below
    return
  fi
  wasm-opt "${WASM_OPT_FLAGS[@]}" "$1" -o "$2"
  mkdir -p "$dir"
  cp "$2" "$cached.$$.tmp" && mv "$cached.$$.tmp" "$cached"
  find "$dir" -name '*.wasm' -mtime +30 -delete 2>/dev/null || true
}

build_one() { # PKG OUTDIR [MANIFEST]
  local pkg="$1" dest="$2" manifest="${3:-$SRC/Cargo.toml}" lib
  lib="${pkg//-/_}"
  say "building $pkg"
  RUSTC_BOOTSTRAP=1 RUSTC="$DEB_RUSTC" CARGO_TARGET_DIR="$WASM_TARGET_DIR" \
  RUSTFLAGS="-C target-cpu=mvp -C linker=wasm-ld -C link-arg=--allow-undefined --remap-path-prefix=$CARGO_HOME_DIR=/cargo --remap-path-prefix=$SRC=/code" \
    "$DEB_CARGO" build --quiet --locked --manifest-path "$manifest" -p "$pkg" --lib \
    --profile wasm --target wasm32-unknown-unknown -Zbuild-std=std,panic_abort
  local raw="$WASM_TARGET_DIR/wasm32-unknown-unknown/wasm/$lib.wasm"
  [ -f "$raw" ] || die "cargo produced no $raw"
  wasm_opt "$raw" "$dest/$lib.wasm"
  cosmwasm-check "$dest/$lib.wasm" >/dev/null || { cosmwasm-check "$dest/$lib.wasm" || true; die "$lib.wasm fails cosmwasm-check"; }
}

print_sizes() { # DIR PKG...
  local dir="$1" f; shift
  for f in "${@//-/_}"; do
    printf '  %-36s %8d bytes  sha256 %s\n' "$f.wasm" "$(stat -c %s "$dir/$f.wasm")" "$(sha256sum "$dir/$f.wasm" | cut -c1-16)"
  done
}

# write_set SRC_DIR OUT_DIR: build every contract of SRC_DIR into OUT_DIR with its checksums.txt.
write_set() {
  local src="$1" dest="$2" lines=() set=() l f n
  mapfile -t lines < <(list_contracts "$src")
  ((${#lines[@]})) || return 0
  mkdir -p "$dest"
  for l in "${lines[@]}"; do build_one "${l%% *}" "$dest" "${l#* }"; set+=("${l%% *}"); done
  for f in "$dest"/*.wasm; do
    [ -e "$f" ] || continue
    n="$(basename "$f" .wasm)"
    printf '%s\n' "${set[@]//-/_}" | grep -qx "$n" || { say "removing stale $n.wasm"; rm -f "$f"; }
  done
  (cd "$dest" && sha256sum -- *.wasm > checksums.txt)
  print_sizes "$dest" "${set[@]}"
}

# check_set SRC_DIR COMMITTED_DIR: rebuild into a temp dir and compare byte for byte.
check_set() {
  local src="$1" committed="$2" tmp lines=() set=() l p f stale=0
  mapfile -t lines < <(list_contracts "$src")
  ((${#lines[@]})) || return 0
  tmp="$(mktemp -d)"
  for l in "${lines[@]}"; do build_one "${l%% *}" "$tmp" "${l#* }"; set+=("${l%% *}"); done
  (cd "$tmp" && sha256sum -- *.wasm > checksums.txt)
  for p in "${set[@]}"; do
    f="${p//-/_}.wasm"
    if [ ! -f "$committed/$f" ]; then
      echo "  ${committed#"$ROOT"/}/$f is missing (contract $p was never built)" >&2; stale=1
    elif ! cmp -s "$tmp/$f" "$committed/$f"; then
      echo "  ${committed#"$ROOT"/}/$f is stale: the source of $p (or a dependency) changed since it was built" >&2; stale=1
    fi
  done
  if ! diff -q "$tmp/checksums.txt" "$committed/checksums.txt" >/dev/null 2>&1; then
    echo "  ${committed#"$ROOT"/}/checksums.txt does not match the rebuilt artifacts:" >&2
    diff "$committed/checksums.txt" "$tmp/checksums.txt" 2>&1 | sed 's/^/    /' >&2 || true
    stale=1
  fi
  rm -rf "$tmp"
  return "$stale"
}

if ((${#pkgs[@]})); then
  # Explicit packages: build them into --out (no checksums bookkeeping).
  mkdir -p "$out"
  for p in "${pkgs[@]}"; do build_one "$p" "$out" "$(manifest_of "$p")"; done
  print_sizes "$out" "${pkgs[@]}"
  exit 0
fi

case "$mode" in
  build)
    write_set "$SRC/contracts" "$out"
    write_set "$SRC/testing/reference" "$out/reference"
    if [ "$out" = "$ROOT/artifacts" ]; then toolchain_record > "$out/toolchain.txt"; fi
    ;;
  check)
    recorded="$ROOT/artifacts/toolchain.txt"
    [ -f "$recorded" ] || die "artifacts/toolchain.txt is missing: run scripts/build-wasm.sh and commit artifacts/"
    if ! diff -q <(toolchain_record) "$recorded" >/dev/null; then
      printf '\033[1;31m[wasm] error:\033[0m the installed wasm toolchain differs from the one that built artifacts/,\n' >&2
      echo "so the committed bytes cannot be reproduced here. Recorded (artifacts/toolchain.txt) vs installed:" >&2
      diff "$recorded" <(toolchain_record) | sed 's/^/    /' >&2 || true
      echo "Rebuild with scripts/build-wasm.sh on this toolchain and commit artifacts/." >&2
      exit 1
    fi
    ok=0
    check_set "$SRC/contracts" "$ROOT/artifacts" || ok=1
    check_set "$SRC/testing/reference" "$ROOT/artifacts/reference" || ok=1
    ((ok == 0)) || die "artifacts/ is stale against the source: run scripts/build-wasm.sh and commit artifacts/"
    say "all artifacts are fresh and pass cosmwasm-check"
    ;;
esac
