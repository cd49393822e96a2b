# cargo-fuzz for the BitChat frame-parser and devnet (RPC request, event query, tx decoder) fuzz
# targets. BITHIVE_FUZZ unset: the BitChat frame parser only; 1: also the devnet targets; 0: none.
# profile: test
# Run by scripts/test.d/bitchat-fuzz.sh and devnet-fuzz.sh (issue #27: each target for a bounded
# time). The devnet's ASan build (wasmer included) is a long cold build, so it stays opt-in.
if [ "${BITHIVE_FUZZ:-1}" = 1 ]; then
  apt_install g++
  cargo_install_pinned cargo-fuzz cargo-fuzz 0.13.2
fi
