# Base tools: rustfmt/clippy components, nextest.
# profile: test
rustup component list --installed 2>/dev/null | grep -q '^clippy' || rustup component add clippy rustfmt
# A nextest of another version installed by its user is theirs: kept.
if ! cargo nextest --version >/dev/null 2>&1 || cargo nextest --version 2>/dev/null | grep -q 0.9.143; then
  cargo_install_pinned cargo-nextest cargo-nextest 0.9.143
fi
