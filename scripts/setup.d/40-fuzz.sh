# cargo-fuzz (and g++ for libFuzzer) for scripts/test.d/fuzz.sh: the BitChat frame parser and the
# devnet wire parsers (RPC request, event query, tx decoder, REST request). BITHIVE_FUZZ=0: none.
# profile: test
if [ "${BITHIVE_FUZZ:-1}" = 1 ]; then
  apt_install g++
  cargo_install_pinned cargo-fuzz cargo-fuzz 0.13.2
fi
