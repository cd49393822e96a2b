#!/usr/bin/env bash
# Coverage-guided fuzzing of the devnet's JSON-RPC request parser, event-query parser, tx decoder
# and REST request parser (cargo-fuzz / libFuzzer + ASan), opt-in with BITHIVE_FUZZ=1 (its ASan
# build of the devnet, wasmer included, is a long cold build; the BitChat fuzzer runs by default; see
# scripts/setup.d/40-bitchat-fuzz.sh, which installs cargo-fuzz). RUSTC_BOOTSTRAP=1 enables the
# nightly flags on the stable toolchain. DEVNET_FUZZ_SECS sets each target's run time.
set -euo pipefail
if [ "${BITHIVE_FUZZ:-0}" != 1 ]; then
  echo "devnet fuzz skipped (set BITHIVE_FUZZ=1; proptest fuzzing runs in the test suite)"
  exit 0
fi
cd "$(dirname "${BASH_SOURCE[0]}")/../../dev/devnet/fuzz"
export CARGO_TARGET_DIR="${BITHIVE_CACHE:-$HOME/.cache/bithive}/fuzz-target"
for target in rpc_request event_query tx_decode rest_route; do
  RUSTC_BOOTSTRAP=1 cargo fuzz run "$target" -- \
    -max_total_time="${DEVNET_FUZZ_SECS:-20}" -rss_limit_mb=2048 -max_len=65536
done
