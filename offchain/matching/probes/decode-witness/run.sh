#!/usr/bin/env bash
# Builds and runs the decode-witness probe: curve25519-dalek 5.0.0 from the cargo registry with
# dalek-decode-witness.patch applied, in a temporary directory (nothing here joins the workspace).
#   bash offchain/matching/probes/decode-witness/run.sh
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../../../.." && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
# The registry copy the workspace already locks (cargo fetch downloads it when missing).
cargo fetch --quiet --locked --manifest-path "$root/Cargo.toml"
src="$(ls -d "${CARGO_HOME:-$HOME/.cargo}"/registry/src/*/curve25519-dalek-5.0.0 | head -1)"
cp -r "$src" "$work/dalek"
chmod -R u+w "$work/dalek"
patch -s -d "$work/dalek" -p1 < "$here/dalek-decode-witness.patch"
mkdir -p "$work/probe/src"
cp "$here/probe.rs" "$work/probe/src/main.rs"
cat > "$work/probe/Cargo.toml" <<'TOML'
[package]
name = "decode-witness-probe"
version = "0.0.0"
edition = "2021"
publish = false
[dependencies]
curve25519-dalek = { path = "../dalek" }
rayon = "1"
[workspace]
TOML
# Same backend selection as the workspace (.cargo/config.toml).
RUSTFLAGS='--cfg curve25519_dalek_backend="avx512"' CARGO_TARGET_DIR="$work/target" \
  cargo run --quiet --release --manifest-path "$work/probe/Cargo.toml"
