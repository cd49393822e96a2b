# Wasm artifact toolchain: rustc-web, cargo-web, rust-web-src, lld, binaryen, cosmwasm-check.
# profile: test
# Debian's rustc-web/cargo-web/rust-web-src (std source for -Zbuild-std), wasm-ld (lld), wasm-opt
# (binaryen), and cosmwasm-check pinned to the 3.x line (2.x does not link with Rust 1.95).
apt_install rustc-web cargo-web rust-web-src lld binaryen
cargo_install_pinned cosmwasm-check cosmwasm-check 3.0.10
