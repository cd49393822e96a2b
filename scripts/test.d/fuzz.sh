#!/usr/bin/env bash
# Coverage-guided fuzzing (cargo-fuzz / libFuzzer + ASan, issue #27), each target for a bounded
# time: the BitChat frame parser (offchain/bitchat-wire/fuzz) and the devnet's JSON-RPC request
# parser, event-query parser, tx decoder and REST request parser (dev/devnet-wire/fuzz; that
# crate holds the devnet's wire formats without the VM, so its ASan build is short). On by
# default; BITHIVE_FUZZ=0 skips it (proptest fuzzing of the same entry points runs in the test
# suite). FUZZ_SECS sets each target's run time (default 15). cargo-fuzz needs nightly flags:
# RUSTC_BOOTSTRAP=1 enables them on the stable toolchain (scripts/setup.d/40-fuzz.sh installs it).
set -euo pipefail
if [ "${BITHIVE_FUZZ:-1}" != 1 ]; then
  echo "fuzz skipped (BITHIVE_FUZZ=0; proptest fuzzing runs in the test suite)"
  exit 0
fi
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
export CARGO_TARGET_DIR="${BITHIVE_CACHE:-$HOME/.cache/bithive}/fuzz-target"

# fuzz DIR MAX_LEN TARGET...: runs each target of the cargo-fuzz crate in DIR.
fuzz() {
  local dir="$1" max_len="$2"
  shift 2
  for target in "$@"; do
    echo "fuzz: $dir $target (${FUZZ_SECS:-15} s)"
    (cd "$root/$dir" && RUSTC_BOOTSTRAP=1 cargo fuzz run "$target" -- \
      -max_total_time="${FUZZ_SECS:-15}" -rss_limit_mb=2048 -max_len="$max_len")
  done
}

fuzz offchain/bitchat-wire/fuzz 4096 frame_parser
fuzz dev/devnet-wire/fuzz 65536 rpc_request event_query tx_decode rest_route
