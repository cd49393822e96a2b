#!/usr/bin/env bash
# Coverage-guided fuzzing of the BitChat frame parser (cargo-fuzz / libFuzzer + ASan), on by
# default (BITHIVE_FUZZ=0 skips it; see scripts/setup.d/40-bitchat-fuzz.sh). cargo-fuzz needs nightly flags;
# RUSTC_BOOTSTRAP=1 enables them on the stable toolchain. BITCHAT_FUZZ_SECS sets the run time.
set -euo pipefail
if [ "${BITHIVE_FUZZ:-1}" != 1 ]; then
  echo "bitchat fuzz skipped (BITHIVE_FUZZ=0; proptest fuzzing runs in the test suite)"
  exit 0
fi
cd "$(dirname "${BASH_SOURCE[0]}")/../../offchain/bitchat-wire/fuzz"
export CARGO_TARGET_DIR="${BITHIVE_CACHE:-$HOME/.cache/bithive}/fuzz-target"
RUSTC_BOOTSTRAP=1 cargo fuzz run frame_parser -- \
  -max_total_time="${BITCHAT_FUZZ_SECS:-20}" -rss_limit_mb=2048 -max_len=4096
