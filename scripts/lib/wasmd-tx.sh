# Sourced by the wasmd test steps (`source scripts/lib/wasmd-tx.sh TAG`). Not run on its own.

# say and fail: the step's log lines, tagged [TAG].
WASMD_STEP_TAG="$1"
say() { printf '\033[1;35m[%s]\033[0m %s\n' "$WASMD_STEP_TAG" "$*" >&2; }
fail() { say "FAIL: $*"; exit 1; }

# test_failed LOG: a failed test's own words from LOG, then its last lines. The tail alone can be
# all backtrace (stop 77: the panic message of compute_pool was 60 lines above the tail shown).
test_failed() {
  local log="$1"
  if grep -q 'panicked at' "$log"; then
    say "the test's panic (from $log):"
    grep -A 2 'panicked at' "$log" | grep -v '^--$' | cut -c1-800 | sed 's/^/    /' >&2
  fi
  say "last lines of $log:"
  grep -vE '^ +[0-9]+: |^ +at ' "$log" | tail -n 30 | cut -c1-800 | sed 's/^/    /' >&2
}

# tx_committed BIN RPC HASH: prints the committed TxResponse (JSON) of HASH.
# `query wait-tx` alone is not enough: it subscribes over the websocket and then asks the tx index
# once, so a tx committed while it subscribes, but not yet indexed, is never seen (CI, stop 38: the
# tx was in block 607 and wait-tx timed out). When wait-tx gives up, the index is polled for 30 s
# more. Never committed: prints {"code": -1, "raw_log": ...}, which the callers' checks report.
tx_committed() {
  local bin="$1" rpc="$2" hash="$3" out i
  if out="$("$bin" query wait-tx "$hash" --node "$rpc" --timeout 30s -o json 2>/dev/null)"; then
    echo "$out"; return 0
  fi
  for i in $(seq 1 60); do
    if out="$("$bin" query tx "$hash" --node "$rpc" -o json 2>/dev/null)"; then
      echo "$out"; return 0
    fi
    sleep 0.5
  done
  jq -cn --arg h "$hash" '{code: -1, raw_log: ("tx " + $h + " not committed within 60 s")}'
}
