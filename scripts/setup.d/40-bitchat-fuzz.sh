# cargo-fuzz for the BitChat frame-parser and devnet (RPC request, event query, tx decoder) fuzz
# targets (only with BITHIVE_FUZZ=1).
# profile: test
# Run by scripts/test.d/bitchat-fuzz.sh and devnet-fuzz.sh. Opt-in: installing cargo-fuzz and
# building the ASan fuzzers costs several minutes of the CI budget. The proptest fuzz tests of
# bithive-bitchat-wire and bithive-devnet always run.
if [ "${BITHIVE_FUZZ:-0}" = 1 ]; then
  apt_install g++
  cargo_install_pinned cargo-fuzz cargo-fuzz 0.13.2
fi
