#!/usr/bin/env bash
# Idempotent machine setup for a fresh Debian box. Sourced by scripts/test.sh and scripts/demo.sh
# (so the env it exports reaches them), or run on its own. Every step checks before it installs.
# Component-specific steps live in scripts/setup.d/*.sh and are sourced in name order.
set -euo pipefail

BITHIVE_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export BITHIVE_ROOT
export BITHIVE_CACHE="${BITHIVE_CACHE:-$HOME/.cache/bithive}"
# Host builds share one target dir outside the clone (speed only: nothing depends on its contents).
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$BITHIVE_CACHE/target}"
mkdir -p "$BITHIVE_CACHE"

log() { printf '\033[1;34m[setup]\033[0m %s\n' "$*" >&2; }

# apt_install PKG... : installs only the packages that are missing.
apt_install() {
  local missing=()
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  if ((${#missing[@]})); then
    log "apt: installing ${missing[*]}"
    local sudo=""
    [ "$(id -u)" = 0 ] || sudo="sudo"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  fi
}

# cargo_install_pinned BIN CRATE VERSION [extra cargo install args]
cargo_install_pinned() {
  local bin="$1" crate="$2" version="$3"
  shift 3
  if ! command -v "$bin" >/dev/null 2>&1 || ! "$bin" --version 2>/dev/null | grep -q "$version"; then
    log "cargo install $crate@$version (one-off, several minutes)"
    CARGO_TARGET_DIR="$BITHIVE_CACHE/cargo-install" cargo install --locked --quiet "$crate" --version "=$version" "$@"
  fi
}

export PATH="$HOME/.cargo/bin:$PATH"
command -v cargo >/dev/null || { echo "cargo (rustup, Rust 1.95) is required" >&2; exit 1; }

for f in "$BITHIVE_ROOT"/scripts/setup.d/*.sh; do
  [ -e "$f" ] || continue
  # shellcheck source=/dev/null
  source "$f"
done
