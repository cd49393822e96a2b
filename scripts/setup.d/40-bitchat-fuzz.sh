# cargo-fuzz for the BitChat frame-parser fuzz target (only with BITHIVE_FUZZ=1).
# profile: test
# Run by scripts/test.d/bitchat-fuzz.sh. Opt-in: installing cargo-fuzz and building the ASan
# fuzzer costs several minutes of the CI budget. The proptest fuzz tests of
# bithive-bitchat-wire always run.
if [ "${BITHIVE_FUZZ:-0}" = 1 ]; then
  apt_install g++
  cargo_install_pinned cargo-fuzz cargo-fuzz 0.13.2
fi
