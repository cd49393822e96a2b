# The Hermes relayer for scripts/test.d/ibc.sh (test tooling, pinned, cached outside the clone by
# scripts/hermes-build.sh; about 3.5 min the first time). The C toolchain and headers some of its
# dependencies' build scripts use.
# profile: test
apt_install gcc g++ pkg-config libssl-dev libclang-dev protobuf-compiler
"$BITHIVE_ROOT/scripts/hermes-build.sh" >/dev/null
