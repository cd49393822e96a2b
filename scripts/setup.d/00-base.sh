# Base tools: rustfmt/clippy components, nextest.
# profile: test
rustup component list --installed 2>/dev/null | grep -q '^clippy' || rustup component add clippy rustfmt
cargo nextest --version >/dev/null 2>&1 || cargo_install_pinned cargo-nextest cargo-nextest 0.9.143
