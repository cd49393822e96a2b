#!/usr/bin/env bash
# ICS-20 over real IBC (#25, #48): two local wasmd chains (scripts/wasmd-net.sh; A with prefix
# bithive, B with prefix wasm), BitHive deployed on both (`bithive deploy`, cw20-ics20 included),
# and a relayer configured by `bithive ibc files` and nothing else: Hermes
# (scripts/hermes-build.sh) with IBC_RELAYER=hermes, the default, or the Go relayer rly
# (scripts/rly-build.sh) with IBC_RELAYER=rly; the test command runs both. The relayer opens the
# clients, the connection and two channels (A transfer <-> B transfer, A cw20-ics20 <-> B
# transfer); then, relayed by it, each checked on the chains (balances, escrows, voucher supply,
# packet commitments, channel ends), never by the relayer's messages:
#   - native ubhive A -> B and back: the voucher's denom is ibc-go's rule (`bithive ibc denom`,
#     checked against ibc-go's vector in packages/ibc-files) and B's denom trace says so;
#   - BTT (cw20) A -> B through cw20-ics20, arriving as an ibc/ voucher that pays for an inference
#     job in B's escrow (B's relayer runs and attests it, cli/tests/wasmd_relayer.rs); the rest
#     back to A, released from cw20-ics20's escrow;
#   - BTK (cw20, minted only by emission; Alice earns it as the app pool's first developer) A -> B
#     through cw20-ics20 and back: escrow 0 and voucher supply 0 again;
#   - an error acknowledgement (a receiver B cannot decode) refunds the sender exactly once, native
#     and cw20;
#   - the relayer killed (SIGKILL) with packets in flight, some of which time out while it is down:
#     after the restart each delivered packet arrives once and each timed-out one is refunded once;
#   - bad input refused with ibc-go's or cw20-ics20's error and no balance moved: a cw20 outside
#     the allowlist (and a stranger's attempt to allow it), an unknown channel (native and cw20),
#     an amount above the balance, a channel handshake with another version (no channel end
#     left on A; the contract's reason in the relayer's output);
#   - the attestation contracts' channel: refused until governance pins the peer (connection and
#     port) on both sides, then opened by the relayer and listed in its files; a job paid on B,
#     attested on A, forwarded over it and reported on B (cli/tests/wasmd_ibc_attest.rs); another
#     attested while the relayer is SIGKILLed waits in flight and is delivered once after the
#     restart;
#   - asset NFTs over ICS-721 (contracts/ics721): the channel opened once governance pins each
#     side's contract; an ApprovedHoldersOnly asset refused by B until B's officer prepares its
#     class (error acknowledgement, back to its owner), then a voucher on B with its metadata,
#     refused to a holder B did not approve, home again, and refunded after a timeout; then
#     hostile packets sent by a test-only counterparty (testing/reference/ics721-tester, relayed
#     through `ibc files --a-port`): malformed data, an unknown class, missing asset data,
#     duplicate ids, a forged return, a replay of a delivered packet's data, a peer unpinned since
#     the channel opened: each an error acknowledgement, nothing minted on B.
# Writes the chain-registry _IBC file and checks it against the registry's schema; writes rly's
# files (#48) without gRPC URLs and checks them: each chain's poll below its measured block
# interval, the path's filter exactly A's channels on the connection. Prints the
# batch throughput (transfers/s relayed end to end) and blocks from transfer to voucher.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
# shellcheck source=scripts/lib/wasmd-tx.sh
source scripts/lib/wasmd-tx.sh ibc-test

# The relayer: IBC_RELAYER=hermes (default) or rly; the test command runs both (the `variants`
# line below, read by scripts/test.sh). Everything the scenario checks is the chains' state.
# variants: IBC_RELAYER=hermes IBC_RELAYER=rly
IBC_RELAYER="${IBC_RELAYER:-hermes}"
BIN_A="$(scripts/wasmd-build.sh)"
BIN_B="$(WASMD_PREFIX=wasm scripts/wasmd-build.sh)"
case "$IBC_RELAYER" in
  hermes) RELAYER_NAME=Hermes RELAYER_BIN="$(scripts/hermes-build.sh)" ;;
  rly) RELAYER_NAME=rly RELAYER_BIN="$(scripts/rly-build.sh)" ;;
  *) echo "IBC_RELAYER=$IBC_RELAYER: expected hermes or rly" >&2; exit 2 ;;
esac
# shellcheck source=../lib/workspace-build.sh
source "$ROOT/scripts/lib/workspace-build.sh"
H="$(mktemp -d "${TMPDIR:-/tmp}/bithive-ibc-$IBC_RELAYER.XXXXXX")"
workspace_binary bithive "$H/bithive"
BITHIVE="$H/bithive"
export BITHIVE_EXE="$BITHIVE"
RELAYER_PID=
RELAYER_LOG="$H/$IBC_RELAYER.log"
cleanup() {
  local rc=$?
  [ -n "$RELAYER_PID" ] && kill "$RELAYER_PID" 2>/dev/null || true
  scripts/wasmd-net.sh stop "$H/b" 2>/dev/null || true
  scripts/wasmd-net.sh stop "$H/a" 2>/dev/null || true
  if [ "$rc" = 0 ]; then rm -rf "$H"; else
    say "last lines of $RELAYER_LOG:"; tail -n 20 "$RELAYER_LOG" 2>/dev/null | sed 's/^/    /' >&2 || true
    say "kept $H ($IBC_RELAYER.log, a/wasmd.log, b/wasmd.log)"
  fi
}
trap cleanup EXIT

# The relayer's own key, funded at genesis on both chains (the relayer signs with it, not the
# deployer).
mkdir -p "$H/keys"
"$BIN_A" keys add relayer --keyring-backend test --home "$H/keys" --output json >"$H/keys/relayer.json" 2>&1
jq -r .mnemonic "$H/keys/relayer.json" >"$H/relayer.mnemonic" && chmod 600 "$H/relayer.mnemonic" "$H/keys/relayer.json"
RELAYER_A="$(jq -r .address "$H/keys/relayer.json")"
RELAYER_HEX="$("$BIN_A" debug addr "$RELAYER_A" 2>&1 | awk '/Address \(hex\)/ {print $NF}')"
RELAYER_B="$("$BIN_B" debug addr "$RELAYER_HEX" 2>&1 | awk '/Bech32 Acc/ {print $NF}')"
[[ "$RELAYER_B" == wasm1* ]] || fail "relayer address on B: '$RELAYER_B'"

WASMD_BIN="$BIN_A" scripts/wasmd-net.sh start "$H/a" --chain-id bithive-ibc-a-1 --account "$RELAYER_A=100000000000ubhive"
WASMD_BIN="$BIN_B" scripts/wasmd-net.sh start "$H/b" --chain-id wasm-ibc-b-2 --account "$RELAYER_B=100000000000ubhive"
envof() { (source "$1/wasmd-net.env"; echo "${!2}"); }
A_ID="$(envof "$H/a" WASMD_CHAIN_ID)" A_RPC="$(envof "$H/a" WASMD_RPC)" A_GRPC="$(envof "$H/a" WASMD_GRPC)" A_HOME="$(envof "$H/a" WASMD_NODE_HOME)"
B_ID="$(envof "$H/b" WASMD_CHAIN_ID)" B_RPC="$(envof "$H/b" WASMD_RPC)" B_GRPC="$(envof "$H/b" WASMD_GRPC)" B_HOME="$(envof "$H/b" WASMD_NODE_HOME)"
ALICE="$(envof "$H/a" WASMD_DEPLOYER)"   # the deployer on A: holds ubhive and the BTT supply
qa() { "$BIN_A" query --node "$A_RPC" -o json "$@"; }
qb() { "$BIN_B" query --node "$B_RPC" -o json "$@"; }
FEE=20000ubhive
FEE_AMOUNT=20000
# txa|txb FROM ARGS...: a tx signed in the node's test keyring with a fixed fee (so balances are
# exact); prints the committed result. Refused at CheckTx: prints the refusal (code != 0).
tx() {
  local bin="$1" home="$2" id="$3" rpc="$4" from="$5" out; shift 5
  out="$("$bin" tx "$@" --from "$from" --keyring-backend test --home "$home" --chain-id "$id" \
    --node "$rpc" --fees "$FEE" -y -o json 2>&1)" || { echo "$out"; return 0; }
  if [ "$(jq -r .code <<<"$out" 2>/dev/null)" != 0 ]; then echo "$out"; return 0; fi
  tx_committed "$bin" "$rpc" "$(jq -r .txhash <<<"$out")"
}
txa() { local from="$1"; shift; tx "$BIN_A" "$A_HOME" "$A_ID" "$A_RPC" "$from" "$@"; }
txb() { local from="$1"; shift; tx "$BIN_B" "$B_HOME" "$B_ID" "$B_RPC" "$from" "$@"; }
ok() { [ "$(jq -r .code <<<"$1")" = 0 ] || fail "$2: $(jq -r '.raw_log // .' <<<"$1")"; }
bal_a() { qa bank balance "$1" "$2" | jq -r .balance.amount; }
bal_b() { qb bank balance "$1" "$2" | jq -r .balance.amount; }
cw20_bal() { qa wasm contract-state smart "$1" "{\"balance\":{\"address\":\"$2\"}}" | jq -r .data.balance; }
# wait_for DESC CMD...: until CMD succeeds, at most 120 s (a deadline, not a figure: the test
# command runs this step beside others on two cores).
wait_for() {
  local desc="$1" i; shift
  for i in $(seq 1 240); do "$@" && return 0; sleep 0.5; done
  fail "timed out waiting for $desc"
}
eq() { [ "$("${@:2}")" = "$1" ]; }
height_b() { curl -sf "$B_RPC/status" | jq -r .result.sync_info.latest_block_height; }

# BitHive on both chains.
for side in a b; do
  bin="$BIN_A"; [ "$side" = b ] && bin="$BIN_B"
  prefix="$(envof "$H/$side" WASMD_PREFIX)"
  "$BITHIVE" keys add deployer --prefix "$prefix" --mnemonic-file "$(envof "$H/$side" WASMD_DEPLOYER_MNEMONIC_FILE)" \
    --keyring "$H/$side/keyring.json" >/dev/null
  "$BITHIVE" deploy --rpc "$(envof "$H/$side" WASMD_RPC)" --chain-id "$(envof "$H/$side" WASMD_CHAIN_ID)" \
    --key deployer --prefix "$prefix" --keyring "$H/$side/keyring.json" --out "$H/$side/deployment.json" >/dev/null
done
BTT="$(jq -r .contracts.btt "$H/a/deployment.json")"
ICS20="$(jq -r .contracts.ics20 "$H/a/deployment.json")"
[ -n "$ICS20" ] && [ "$ICS20" != null ] || fail "bithive deploy made no ics20 contract on A"
allow="$(qa wasm contract-state smart "$ICS20" '{"list_allowed":{}}' | jq -c '[.data.allow[].contract] | sort')"
want="$(jq -c '[.contracts.btt, .contracts.btk] | sort' "$H/a/deployment.json")"
[ "$allow" = "$want" ] || fail "cw20-ics20 allowlist $allow, expected BTT and BTK $want"
[ "$(qa wasm contract-state smart "$ICS20" '{"admin":{}}' | jq -r .data.admin)" = "$ALICE" ] || fail "cw20-ics20 admin"
ICS20_PORT="$(qa wasm contract-state smart "$ICS20" '{"port":{}}' | jq -r .data.port_id)"
[ "$ICS20_PORT" = "wasm.$ICS20" ] || fail "cw20-ics20 port $ICS20_PORT"
say "deployed on $A_ID and $B_ID; cw20-ics20 $ICS20 allows exactly BTT and BTK"

# quietly DESC CMD...: runs CMD with its output kept aside; on failure shows it, then fails.
quietly() {
  local desc="$1" log="$H/quietly.log"; shift
  "$@" >"$log" 2>&1 || { cat "$log" >&2; fail "$desc (its output is above)"; }
}
# relayer_files: the chosen relayer's files, written by `bithive ibc files` and nothing else
# (with `--a-port` for the ICS-721 tester's port on A once it exists).
A_PORTS=()
relayer_files() {
  local grpc=()
  [ "$IBC_RELAYER" = hermes ] && grpc=(--a-grpc "http://$A_GRPC" --b-grpc "http://$B_GRPC" --key-store "$H/hermes-keys")
  "$BITHIVE" ibc files --a-deployment "$H/a/deployment.json" --a-rpc "$A_RPC" \
    --b-deployment "$H/b/deployment.json" --b-rpc "$B_RPC" "${grpc[@]}" "${A_PORTS[@]}" --relayer "$IBC_RELAYER" --out "$H" \
    | sed 's/^/    /' >&2
}
CFG="$H/hermes.toml"
RH="$H/rly-home"
# rly keeps its chains, paths and keys in its home: made afresh from the files each time, so
# what runs is what `bithive ibc files` wrote.
rly_home() {
  local f
  rm -rf "$RH"
  quietly "rly config init" "$RELAYER_BIN" config init --home "$RH"
  for f in "$H"/rly/chains/*.json; do
    quietly "rly chains add $f" "$RELAYER_BIN" chains add --file "$f" "$(basename "$f" .json)" --home "$RH"
  done
  for f in "$H"/rly/paths/*.json; do
    quietly "rly paths add $f" "$RELAYER_BIN" paths add "$A_ID" "$B_ID" "$(basename "$f" .json)" --file "$f" --home "$RH"
  done
  for id in "$A_ID" "$B_ID"; do
    quietly "rly keys restore $id" "$RELAYER_BIN" keys restore "$id" relayer "$(cat "$H/relayer.mnemonic")" --home "$RH"
  done
}
# rly_path: the one path's name (one connection between the two chains).
rly_path() { basename "$(ls "$H"/rly/paths/*.json)" .json; }
relayer_keys() {
  case "$IBC_RELAYER" in
    hermes)
      quietly "hermes keys add $A_ID" "$RELAYER_BIN" --config "$CFG" keys add --chain "$A_ID" --mnemonic-file "$H/relayer.mnemonic"
      quietly "hermes keys add $B_ID" "$RELAYER_BIN" --config "$CFG" keys add --chain "$B_ID" --mnemonic-file "$H/relayer.mnemonic" ;;
    rly) rly_home ;;
  esac
}
# relayer_link LOG: clients, a connection and a transfer <-> transfer channel between A and B.
relayer_link() {
  case "$IBC_RELAYER" in
    hermes) timeout 300 "$RELAYER_BIN" --config "$CFG" create channel --a-chain "$A_ID" --b-chain "$B_ID" \
      --a-port transfer --b-port transfer --new-client-connection --yes >"$1" 2>&1 ;;
    rly) timeout 300 "$RELAYER_BIN" tx link "$(rly_path)" --src-port transfer --dst-port transfer \
      --order unordered --version ics20-1 --home "$RH" >"$1" 2>&1 ;;
  esac
}
# relayer_channel PORT_ON_A PORT_ON_B VERSION LOG: a channel on the existing connection, opened
# from A. (rly needs --override to open a second channel on a path's connection.)
relayer_channel() {
  case "$IBC_RELAYER" in
    hermes) timeout 180 "$RELAYER_BIN" --config "$CFG" create channel --a-chain "$A_ID" --a-connection "$CONN_A" \
      --a-port "$1" --b-port "$2" --channel-version "$3" --yes >"$4" 2>&1 ;;
    rly) timeout 180 "$RELAYER_BIN" tx channel "$(rly_path)" --src-port "$1" --dst-port "$2" --order unordered \
      --version "$3" --override --home "$RH" >"$4" 2>&1 ;;
  esac
}
# The channels on A in any state (a refused OpenInit leaves none behind).
channel_ends_a() { qa ibc channel channels | jq '.channels | length'; }

relayer_files
case "$IBC_RELAYER" in
  hermes)
    "$RELAYER_BIN" --config "$CFG" config validate >/dev/null 2>&1 \
      || { "$RELAYER_BIN" --config "$CFG" config validate >&2 || true; fail "hermes rejects bithive's config"; }
    [ "$(grep -c '^list = \[\]' "$CFG")" = 2 ] || fail "before any channel, the config must relay nothing" ;;
  rly)
    jq -e '.["src-channel-filter"] == {rule: "allowlist", "channel-list": []}' "$H"/rly/paths/*.json >/dev/null \
      || fail "before any channel, rly's path must relay nothing" ;;
esac
relayer_keys

started=$(date +%s)
relayer_link "$H/create-transfer.log" || { tail -20 "$H/create-transfer.log" >&2; fail "$RELAYER_NAME: the transfer channel"; }
CONN_A="$(qa ibc connection connections | jq -r '.connections[0].id')"
relayer_channel "$ICS20_PORT" transfer ics20-1 "$H/create-ics20.log" \
  || { tail -20 "$H/create-ics20.log" >&2; fail "$RELAYER_NAME: the cw20-ics20 channel"; }
say "$RELAYER_NAME opened clients, connection $CONN_A and two channels in $(( $(date +%s) - started )) s"

relayer_files
chan() { # PORT_ON_A -> "channel on A" "channel on B"
  qa ibc channel channels | jq -r --arg p "$1" '.channels[] | select(.port_id == $p and .state == "STATE_OPEN") | "\(.channel_id) \(.counterparty.channel_id)"'
}
read -r T_A T_B < <(chan transfer)
read -r C_A C_B < <(chan "$ICS20_PORT")
[ -n "$T_A" ] && [ -n "$C_A" ] || fail "channels not found on $A_ID"
# The filters name exactly these channels: Hermes's on each side, rly's (path) on A.
case "$IBC_RELAYER" in
  hermes)
    got="$(awk '/^\[chains.packet_filter\]/ {f=1} f && /^list/ {print; f=0}' "$CFG" | tr -d ' ')"
    want="list=[[\"transfer\",\"$T_A\"],[\"$ICS20_PORT\",\"$C_A\"]]
list=[[\"transfer\",\"$T_B\"],[\"transfer\",\"$C_B\"]]"
    [ "$got" = "$want" ] || fail "hermes.toml packet filters:
$got
expected
$want" ;;
  rly)
    jq -e --arg c "$CONN_A" --arg t "$T_A" --arg i "$C_A" \
      '.src["connection-id"] == $c and (.["src-channel-filter"]["channel-list"] | sort) == ([$t, $i] | sort)' \
      "$H/rly/paths/$(rly_path).json" >/dev/null || { cat "$H/rly/paths/$(rly_path).json" >&2; fail "rly path filter"; } ;;
esac
IBCF="$(ls "$H"/_IBC/*.json)"
jq -e --arg c "$CONN_A" '[.chain_1.connection_id, .chain_2.connection_id] | index($c) != null' "$IBCF" >/dev/null || fail "$IBCF connection"
[ "$(jq '.channels | length' "$IBCF")" = 2 ] || fail "$IBCF channels"
# The test's own output is shown on failure: it names the rule the file breaks (or why the test
# itself could not run).
IBC_DATA_FILE="$IBCF" quietly "$IBCF: the chain-registry schema check" cargo test --quiet --locked \
  --workspace --test ecosystem -- --ignored the_written_file_passes_the_schema
say "$RELAYER_NAME's filter: exactly $T_A,$C_A on $A_ID (and $T_B,$C_B on $B_ID); $(basename "$IBCF") passes ibc_data.schema.json"

# rly's files (#48), written without any gRPC URL: a chain file per chain whose poll is below the
# chain's block interval (measured by `ibc files`; rly relays nothing otherwise), and a path on
# CONN_A whose filter allows exactly A's two channels.
R="$H/rly-files"
"$BITHIVE" ibc files --a-deployment "$H/a/deployment.json" --a-rpc "$A_RPC" \
  --b-deployment "$H/b/deployment.json" --b-rpc "$B_RPC" --relayer rly --out "$R" | sed 's/^/    /' >&2
[ ! -e "$R/hermes.toml" ] || fail "--relayer rly wrote a hermes.toml"
for id in "$A_ID" "$B_ID"; do
  jq -e --arg id "$id" --arg rpc "$([ "$id" = "$A_ID" ] && echo "$A_RPC" || echo "$B_RPC")" \
    '.type == "cosmos" and .value["chain-id"] == $id and .value["rpc-addr"] == $rpc
     and .value["min-loop-duration"] >= 50000000 and .value["min-loop-duration"] < 1000000000
     and (.value | has("grpc-addr") | not)' "$R/rly/chains/$id.json" >/dev/null \
    || { cat "$R/rly/chains/$id.json" >&2; fail "rly chain file of $id"; }
done
RPS=("$R"/rly/paths/*.json)
[ "${#RPS[@]}" = 1 ] && [ -e "${RPS[0]}" ] || fail "one rly path expected (one connection), got: ${RPS[*]}"
RP="${RPS[0]}"
jq -e --arg c "$CONN_A" --arg t "$T_A" --arg i "$C_A" \
  '.src["connection-id"] == $c and .["src-channel-filter"].rule == "allowlist"
   and (.["src-channel-filter"]["channel-list"] | sort) == ([$t, $i] | sort)' "$RP" >/dev/null \
  || { cat "$RP" >&2; fail "rly path $RP"; }
cmp -s "$IBCF" "$R/_IBC/$(basename "$IBCF")" || fail "the _IBC file differs between the two runs"
say "rly: chain files poll below a block, $(basename "$RP") allows exactly $T_A and $C_A on $CONN_A"

# relayer_start: the relayer with the files as they are now.
relayer_start() {
  case "$IBC_RELAYER" in
    hermes)
      # The binary itself, not a shell function: $! must be the relayer's pid for the SIGKILL below.
      local n
      n="$(grep -c "Hermes has started" "$RELAYER_LOG" 2>/dev/null || true)"
      "$RELAYER_BIN" --config "$CFG" start >>"$RELAYER_LOG" 2>&1 &
      RELAYER_PID=$!
      # Hermes is relaying once its workers are up (it logs "Hermes has started").
      wait_for "hermes to start" sh -c "[ \"\$(grep -c 'Hermes has started' '$RELAYER_LOG')\" -gt '${n:-0}' ]" ;;
    rly)
      rly_home
      # One Go scheduler thread, as the test chains run (scripts/wasmd-net.sh: less idle CPU).
      # Up to 100 messages a transaction (rly's default is 5): with 5, the batch's 50
      # acknowledgements went out as ten transactions, each with its own client update to the
      # same height; one was refused ("TrustedHeight {1 3065} must be less than header height
      # {1 3065}", CI's runs of 61eeb66 and 8e383b2), and rly never sent its acknowledgements
      # again ("flush was successful, but packets are still pending ... ack: 1"), so the test
      # timed out. One transaction carries them with one update. A flush every 15 s (default
      # 5 min) for what a failed send carried.
      GOMAXPROCS=1 "$RELAYER_BIN" start "$(rly_path)" --home "$RH" --max-msgs 100 --flush-interval 15s \
        >>"$RELAYER_LOG" 2>&1 &
      RELAYER_PID=$! ;;
  esac
}
# relayer_stop [SIGNAL]: TERM by default; KILL for a crash.
relayer_stop() {
  kill "-${1:-TERM}" "$RELAYER_PID"; wait "$RELAYER_PID" 2>/dev/null || true
  ! kill -0 "$RELAYER_PID" 2>/dev/null || fail "$RELAYER_NAME still runs"
  RELAYER_PID=
}
relayer_start

# Users: Bob on B (funded by B's deployer for fees).
"$BIN_B" keys add bob --keyring-backend test --home "$B_HOME" --output json 2>&1 | jq -r .mnemonic >"$H/bob.mnemonic"
chmod 600 "$H/bob.mnemonic"
BOB="$("$BIN_B" keys show bob -a --keyring-backend test --home "$B_HOME")"
ok "$(txb deployer bank send deployer "$BOB" 10000000ubhive)" "fund bob"

# 1. Native A -> B and back.
VOUCHER="$("$BITHIVE" ibc denom "transfer/$T_B" ubhive)"
ESCROW_T="$("$BIN_A" query ibc-transfer escrow-address transfer "$T_A" --node "$A_RPC" 2>/dev/null | tail -1)"
h0="$(height_b)"
res="$(txa deployer ibc-transfer transfer transfer "$T_A" "$BOB" 1000ubhive)"; ok "$res" "native transfer A->B"
wait_for "the native voucher on B" eq 1000 bal_b "$BOB" "$VOUCHER"
h1="$(height_b)"
trace="$(qb ibc-transfer denom "${VOUCHER#ibc/}" | jq -c '.denom')"
[ "$(jq -r .base <<<"$trace")" = ubhive ] && [ "$(jq -r '.trace[0].channel_id' <<<"$trace")" = "$T_B" ] \
  || fail "denom trace on B: $trace"
[ "$(bal_a "$ESCROW_T" ubhive)" = 1000 ] || fail "A's transfer escrow holds $(bal_a "$ESCROW_T" ubhive), expected 1000"
say "native: 1000 ubhive A->B as $VOUCHER (trace transfer/$T_B/ubhive) within $((h1 - h0)) blocks of B"
res="$(txb bob ibc-transfer transfer transfer "$T_B" "$ALICE" "1000$VOUCHER")"; ok "$res" "native back B->A"
wait_for "A's escrow to release" eq 0 bal_a "$ESCROW_T" ubhive
[ "$(qb bank total-supply-of "$VOUCHER" | jq -r '.amount.amount')" = 0 ] || fail "voucher supply on B after the return"
say "native: back on A; escrow 0, B's voucher supply 0"

# 2. BTT (cw20) A -> B through cw20-ics20; on B the voucher pays for an inference job in B's
# escrow, which the relayer runs and attests (cli/tests/wasmd_relayer.rs with JOB_DENOM); the rest
# goes back to A, released from cw20-ics20's escrow.
CW_VOUCHER="$("$BITHIVE" ibc denom "transfer/$C_B" "cw20:$BTT")"
send_cw20() { # AMOUNT CHANNEL RECEIVER [TIMEOUT]; the token is $CW20 (default BTT)
  local t="${4:-}" msg
  msg="$(jq -cn --arg c "$2" --arg r "$3" --arg t "$t" '{channel: $c, remote_address: $r} + (if $t == "" then {} else {timeout: ($t | tonumber)} end)' | base64 -w0)"
  txa deployer wasm execute "${CW20:-$BTT}" "{\"send\":{\"contract\":\"$ICS20\",\"amount\":\"$1\",\"msg\":\"$msg\"}}" --gas 600000
}
SENT=5000000 JOB_PRICE=2000000   # cli/tests/wasmd_relayer.rs's PRICE
btt0="$(cw20_bal "$BTT" "$ALICE")"
ok "$(send_cw20 "$SENT" "$C_A" "$BOB")" "BTT to cw20-ics20"
wait_for "the BTT voucher on B" eq "$SENT" bal_b "$BOB" "$CW_VOUCHER"
[ "$(cw20_bal "$BTT" "$ICS20")" = "$SENT" ] || fail "cw20-ics20 escrow holds $(cw20_bal "$BTT" "$ICS20") BTT"
[ "$(qa wasm contract-state smart "$ICS20" "{\"channel\":{\"id\":\"$C_A\"}}" | jq -r '.data.balances[0].cw20.amount')" = "$SENT" ] \
  || fail "cw20-ics20 channel balance"
say "cw20: $SENT BTT A->B as $CW_VOUCHER, escrowed in cw20-ics20"
WASMD_NET_ENV="$H/b/wasmd-net.env" JOB_DENOM="$CW_VOUCHER" JOB_FUNDER_MNEMONIC_FILE="$H/bob.mnemonic" \
  cargo test --quiet --locked --workspace --test wasmd_relayer -- --ignored --nocapture >&2 \
  || fail "an inference job on B paid in the BTT voucher (cli/tests/wasmd_relayer.rs)"
say "cw20: the voucher paid an inference job in B's escrow; B's relayer attested it and the node was paid"
REST=$((SENT - JOB_PRICE))
[ "$(bal_b "$BOB" "$CW_VOUCHER")" = "$REST" ] || fail "Bob holds $(bal_b "$BOB" "$CW_VOUCHER") of the voucher, expected $REST"
ok "$(txb bob ibc-transfer transfer transfer "$C_B" "$ALICE" "$REST$CW_VOUCHER")" "BTT voucher back B->A"
wait_for "BTT released to Alice" eq "$((btt0 - JOB_PRICE))" cw20_bal "$BTT" "$ALICE"
[ "$(cw20_bal "$BTT" "$ICS20")" = "$JOB_PRICE" ] || fail "cw20-ics20 holds $(cw20_bal "$BTT" "$ICS20"), expected the $JOB_PRICE still on B"
btt0="$(cw20_bal "$BTT" "$ALICE")" esc0="$JOB_PRICE"
say "cw20: the rest ($REST) back on A, released from cw20-ics20's escrow; $JOB_PRICE stays escrowed for the vouchers on B"

# 2b. BTK (cw20, minted only by emission) A -> B and back. Alice gets BTK the way the first holder
# on a fresh chain does: governance makes her the app pool's first developer, emission is cranked
# and she claims (20 % paid at once, the rest vesting).
BTK="$(jq -r .contracts.btk "$H/a/deployment.json")"
REWARDS_A="$(jq -r .contracts.rewards "$H/a/deployment.json")" EMISSION_A="$(jq -r .contracts.emission "$H/a/deployment.json")"
ok "$(txa deployer wasm execute "$REWARDS_A" "{\"set_developer\":{\"developer\":\"$ALICE\",\"weight\":\"1\"}}" --gas 400000)" "Alice, the app pool's developer"
ok "$(txa deployer wasm execute "$EMISSION_A" '{"distribute":{}}' --gas 800000)" "emission distribute"
ok "$(txa deployer wasm execute "$REWARDS_A" '{"claim_app":{}}' --gas 800000)" "app pool claim"
btk0="$(cw20_bal "$BTK" "$ALICE")"
[ "$btk0" -ge 1000 ] || fail "Alice holds $btk0 BTK after her app pool claim"
BTK_VOUCHER="$("$BITHIVE" ibc denom "transfer/$C_B" "cw20:$BTK")"
ok "$(CW20="$BTK" send_cw20 1000 "$C_A" "$BOB")" "BTK to cw20-ics20"
wait_for "the BTK voucher on B" eq 1000 bal_b "$BOB" "$BTK_VOUCHER"
[ "$(cw20_bal "$BTK" "$ICS20")" = 1000 ] || fail "cw20-ics20 escrow holds $(cw20_bal "$BTK" "$ICS20") BTK"
ok "$(txb bob ibc-transfer transfer transfer "$C_B" "$ALICE" "1000$BTK_VOUCHER")" "BTK voucher back B->A"
wait_for "BTK released to Alice" eq "$btk0" cw20_bal "$BTK" "$ALICE"
[ "$(cw20_bal "$BTK" "$ICS20")" = 0 ] || fail "cw20-ics20 still holds $(cw20_bal "$BTK" "$ICS20") BTK"
[ "$(qb bank total-supply-of "$BTK_VOUCHER" | jq -r '.amount.amount')" = 0 ] || fail "BTK voucher supply on B after the return"
say "BTK: 1000 A->B as $BTK_VOUCHER and back; cw20-ics20's BTK escrow 0, B's voucher supply 0"

# 3. Error acknowledgements: B cannot decode the receiver; the sender is refunded once.
u0="$(bal_a "$ALICE" ubhive)"
ok "$(txa deployer ibc-transfer transfer transfer "$T_A" not-an-address 777ubhive)" "native to a bad receiver"
wait_for "the native refund" eq "$((u0 - FEE_AMOUNT))" bal_a "$ALICE" ubhive
ok "$(send_cw20 300 "$C_A" not-an-address)" "cw20 to a bad receiver"
wait_for "the cw20 refund" eq "$btt0" cw20_bal "$BTT" "$ALICE"
[ "$(bal_a "$ESCROW_T" ubhive)" = 0 ] && [ "$(cw20_bal "$BTT" "$ICS20")" = "$esc0" ] || fail "escrow after error acks"
say "error acks: native and cw20 refunded exactly (balances back to before, less the fee)"

# 4. The relayer killed with packets in flight; two of them time out while it is down.
relayer_stop KILL
u0="$(bal_a "$ALICE" ubhive)" v0="$(bal_b "$BOB" "$VOUCHER")" cv0="$(bal_b "$BOB" "$CW_VOUCHER")"
ok "$(txa deployer ibc-transfer transfer transfer "$T_A" "$BOB" 4000ubhive)" "in flight: native"
ok "$(send_cw20 40 "$C_A" "$BOB")" "in flight: cw20"
ok "$(txa deployer ibc-transfer transfer transfer "$T_A" "$BOB" 5000ubhive --packet-timeout-height 0-0 \
  --packet-timeout-timestamp 4000000000)" "in flight: native, 4 s timeout"
ok "$(send_cw20 50 "$C_A" "$BOB" 4)" "in flight: cw20, 4 s timeout"
sleep 6
relayer_start
wait_for "the in-flight native transfer" eq "$((v0 + 4000))" bal_b "$BOB" "$VOUCHER"
wait_for "the in-flight cw20 transfer" eq "$((cv0 + 40))" bal_b "$BOB" "$CW_VOUCHER"
wait_for "the native timeout refund" eq "$((u0 - 4000 - 4 * FEE_AMOUNT))" bal_a "$ALICE" ubhive
wait_for "the cw20 timeout refund" eq "$((btt0 - 40))" cw20_bal "$BTT" "$ALICE"
sleep 3  # a second delivery or refund would land here
[ "$(bal_b "$BOB" "$VOUCHER")" = "$((v0 + 4000))" ] && [ "$(bal_b "$BOB" "$CW_VOUCHER")" = "$((cv0 + 40))" ] \
  && [ "$(bal_a "$ALICE" ubhive)" = "$((u0 - 4000 - 4 * FEE_AMOUNT))" ] && [ "$(cw20_bal "$BTT" "$ALICE")" = "$((btt0 - 40))" ] \
  || fail "after the restart, a packet was delivered or refunded twice"
[ "$(bal_a "$ESCROW_T" ubhive)" = 4000 ] && [ "$(cw20_bal "$BTT" "$ICS20")" = "$((esc0 + 40))" ] || fail "escrows after the restart"
[ "$(qa ibc channel packet-commitments transfer "$T_A" | jq '.commitments | length')" = 0 ] || fail "unrelayed packets on $T_A"
say "$RELAYER_NAME SIGKILLed mid-flight and restarted: 2 packets delivered once, 2 timed out and refunded once"

# 5. Bad input: refused with ibc-go's or cw20-ics20's own error, nothing moves.
u0="$(bal_a "$ALICE" ubhive)" c0="$(cw20_bal "$BTT" "$ALICE")"
refused() { # DESC EXPECTED_TEXT RESULT
  [ "$(jq -r .code <<<"$3" 2>/dev/null || echo 1)" != 0 ] || fail "$1 was accepted"
  grep -qF "$2" <<<"$3" || fail "$1: expected '$2', got: $3"
  say "refused, $1: $(jq -r '.raw_log // empty' <<<"$3" 2>/dev/null | head -c 160 || true)"
}
# ibc-go v10 looks the channel id up as a client id first (IBC v2 routing), hence its wording.
refused "a transfer on an unknown channel" "send packet failed for source id: channel-99: counterparty not found" \
  "$(txa deployer ibc-transfer transfer transfer channel-99 "$BOB" 1ubhive)"
refused "an amount above the balance" "insufficient funds" \
  "$(txa deployer ibc-transfer transfer transfer "$T_A" "$BOB" 999999999999999999999ubhive)"
refused "cw20 on an unknown channel" "Channel doesn't exist: channel-99" "$(send_cw20 1 channel-99 "$BOB")"
# A cw20 outside the allowlist: BTK is allowed, so a fresh cw20 (the token code) is made for this.
tok_code="$(jq -r .codes.token.code_id "$H/a/deployment.json")"
res="$(txa deployer wasm instantiate "$tok_code" "{\"name\":\"Other\",\"symbol\":\"OTH\",\"decimals\":6,\"initial_balances\":[{\"address\":\"$ALICE\",\"amount\":\"1000\"}],\"minters\":[]}" --label other --no-admin --gas 600000)"
ok "$res" "instantiate another cw20"
OTHER="$(jq -r '[.events[] | select(.type == "instantiate") | .attributes[] | select(.key == "_contract_address") | .value][0]' <<<"$res")"
# A stranger (the relayer's account) cannot allow it: only cw20-ics20's admin may (cw-controllers' error).
refused "a stranger allowing another cw20" "Caller is not admin" \
  "$(tx "$BIN_A" "$H/keys" "$A_ID" "$A_RPC" relayer wasm execute "$ICS20" "{\"allow\":{\"contract\":\"$OTHER\"}}" --gas 400000)"
[ "$(qa wasm contract-state smart "$ICS20" "{\"allowed\":{\"contract\":\"$OTHER\"}}" | jq -r .data.is_allowed)" = false ] \
  || fail "the stranger's allow took effect"
msg="$(jq -cn --arg c "$C_A" --arg r "$BOB" '{channel: $c, remote_address: $r}' | base64 -w0)"
refused "a cw20 outside the allowlist" "You can only send cw20 tokens that have been explicitly allowed by governance" \
  "$(txa deployer wasm execute "$OTHER" "{\"send\":{\"contract\":\"$ICS20\",\"amount\":\"10\",\"msg\":\"$msg\"}}" --gas 600000)"
[ "$(cw20_bal "$BTT" "$ALICE")" = "$c0" ] || fail "BTT moved on a refused transfer"
[ "$(cw20_bal "$OTHER" "$ALICE")" = 1000 ] || fail "the other cw20 moved"
say "bad input refused; no BTT or other cw20 moved"
# A channel with another version: cw20-ics20 refuses the handshake at OpenInit, so no channel
# end exists on A afterwards, in any state. The relayer is stopped first: the handshake commands
# sign with its key too.
# Judged on the chain only: rly exits 0 after giving up on a refused handshake.
relayer_stop
ends_before="$(channel_ends_a)"
relayer_channel "$ICS20_PORT" transfer ics20-2 "$H/create-bad.log" || true
[ "$(channel_ends_a)" = "$ends_before" ] || fail "a channel with version ics20-2 was opened to cw20-ics20 (a channel end on A)"
grep -q "Only supports channel with ibc version ics20-1, got ics20-2" "$H/create-bad.log" \
  || { tail -5 "$H/create-bad.log" >&2; fail "the ics20-2 handshake failed for another reason"; }
say "refused, a channel with version ics20-2: no channel end on A; cw20-ics20's 'Only supports channel with ibc version ics20-1'"

# 6. The attestation contracts' channel over the same connection: refused by A's contract until
# governance pins B's attestation port on A's connection (and A's on B's), then opened by the
# relayer (still stopped).
ATT_A="$(jq -r .contracts.attestation "$H/a/deployment.json")" ATT_B="$(jq -r .contracts.attestation "$H/b/deployment.json")"
CONN_B="$(qb ibc connection connections | jq -r '.connections[0].id')"
att_channel() { relayer_channel "wasm.$ATT_A" "wasm.$ATT_B" bithive-attestation-1 "$H/create-att.log"; }
att_channel || true
[ "$(channel_ends_a)" = "$ends_before" ] || fail "an attestation channel opened to an unpinned peer (a channel end on A)"
grep -q "counterparty $CONN_A/wasm.$ATT_B (connection/port) is not a pinned peer" "$H/create-att.log" \
  || { tail -5 "$H/create-att.log" >&2; fail "the unpinned attestation handshake failed for another reason"; }
say "refused, an attestation channel to an unpinned peer: 'counterparty $CONN_A/wasm.$ATT_B (connection/port) is not a pinned peer'"
ok "$(txa deployer wasm execute "$ATT_A" "{\"update_peers\":{\"add\":[{\"connection_id\":\"$CONN_A\",\"port_id\":\"wasm.$ATT_B\"}],\"remove\":[]}}" --gas 400000)" "pin B on A"
ok "$(txb deployer wasm execute "$ATT_B" "{\"update_peers\":{\"add\":[{\"connection_id\":\"$CONN_B\",\"port_id\":\"wasm.$ATT_A\"}],\"remove\":[]}}" --gas 400000)" "pin A on B"
att_channel || { tail -20 "$H/create-att.log" >&2; fail "$RELAYER_NAME could not open the pinned attestation channel"; }
a_ch="$(qa wasm contract-state smart "$ATT_A" '{"channels":{}}' | jq -c '[.data.channels[] | {c: .connection_id, p: .counterparty_port, open}]')"
b_ch="$(qb wasm contract-state smart "$ATT_B" '{"channels":{}}' | jq -c '[.data.channels[] | {c: .connection_id, p: .counterparty_port, open}]')"
[ "$a_ch" = "[{\"c\":\"$CONN_A\",\"p\":\"wasm.$ATT_B\",\"open\":true}]" ] || fail "A's attestation channels: $a_ch"
[ "$b_ch" = "[{\"c\":\"$CONN_B\",\"p\":\"wasm.$ATT_A\",\"open\":true}]" ] || fail "B's attestation channels: $b_ch"
relayer_files
ATT_CH_A="$(qa wasm contract-state smart "$ATT_A" '{"channels":{}}' | jq -r '.data.channels[0].channel_id')"
case "$IBC_RELAYER" in
  hermes) grep -qF "\"wasm.$ATT_A\"" "$CFG" && grep -qF "\"wasm.$ATT_B\"" "$CFG" || fail "hermes.toml does not relay the attestation channel" ;;
  rly) jq -e --arg c "$ATT_CH_A" '.["src-channel-filter"]["channel-list"] | index($c) != null' "$H/rly/paths/$(rly_path).json" >/dev/null \
    || fail "rly's path does not relay the attestation channel $ATT_CH_A" ;;
esac
[ "$(jq '.channels | length' "$IBCF")" = 3 ] || fail "$IBCF: expected 3 channels"
say "attestation: pinned peers on both sides, channel opened by $RELAYER_NAME on $CONN_A, recorded by both contracts; the $RELAYER_NAME files and $(basename "$IBCF") list it"
# The relayer again with the files that now relay the attestation channel; then the cross-chain
# path: a job paid on B, attested on A, forwarded over the channel and reported on B.
relayer_start
ATT_CH_B="$(qa wasm contract-state smart "$ATT_A" '{"channels":{}}' | jq -r '.data.channels[0].counterparty_channel')"
IBC_A_ENV="$H/a/wasmd-net.env" IBC_B_ENV="$H/b/wasmd-net.env" IBC_A_DEPLOYMENT="$H/a/deployment.json" \
  IBC_B_DEPLOYMENT="$H/b/deployment.json" ATT_CHANNEL_A="$ATT_CH_A" ATT_CHANNEL_B="$ATT_CH_B" \
  cargo test --quiet --locked --workspace --test wasmd_ibc_attest -- --ignored --exact \
  a_job_paid_on_b_is_attested_on_a_and_reported_on_b_over_a_relayed_channel --nocapture >&2 \
  || fail "the attestation's cross-chain path over $RELAYER_NAME (cli/tests/wasmd_ibc_attest.rs)"
say "attestation: a job paid on B, attested on A, forwarded over $ATT_CH_A and reported on B for B's node; acknowledged on A"
# The relayer SIGKILLed, then an attestation forwarded: its packet waits in flight on A and B
# hears nothing; once the test says so (the marker file), the relayer restarts and the packet is
# delivered once and acknowledged.
relayer_stop KILL
MARKER="$H/attestation-in-flight"; rm -f "$MARKER"
IBC_A_ENV="$H/a/wasmd-net.env" IBC_B_ENV="$H/b/wasmd-net.env" IBC_A_DEPLOYMENT="$H/a/deployment.json" \
  IBC_B_DEPLOYMENT="$H/b/deployment.json" ATT_CHANNEL_A="$ATT_CH_A" ATT_CHANNEL_B="$ATT_CH_B" \
  RELAYER_DOWN_MARKER="$MARKER" cargo test --quiet --locked --workspace --test wasmd_ibc_attest -- \
  --ignored --exact an_attestation_sent_while_the_relayer_is_down_is_delivered_once_after_the_restart \
  --nocapture >&2 &
DOWN_TEST=$!
for _ in $(seq 1 600); do [ -f "$MARKER" ] || ! kill -0 "$DOWN_TEST" 2>/dev/null && break; sleep 0.5; done
[ -f "$MARKER" ] || { wait "$DOWN_TEST" || true; fail "no attestation packet held in flight while $RELAYER_NAME was down"; }
relayer_start
wait "$DOWN_TEST" || fail "the attestation sent while $RELAYER_NAME was down (cli/tests/wasmd_ibc_attest.rs)"
say "attestation: packet $(cat "$MARKER") held in flight on A while $RELAYER_NAME was SIGKILLed; after the restart delivered once, reported on B and acknowledged"

# 7. Asset NFTs over ICS-721 (#48, ADR 013): governance pins each side's ics721 contract on the
# other, the relayer opens an ics721-1 channel; an asset marked ApprovedHoldersOnly leaves A
# escrowed, is refused by B while B has not prepared its class (an error acknowledgement: back to
# Alice), arrives as a voucher with its metadata once B's officer prepared the class and approved
# Bob, cannot move on B to a holder B's officer did not approve, comes home, and a send that times
# out while the relayer is down goes back to Alice.
NFT_A="$(jq -r .contracts.ics721 "$H/a/deployment.json")" NFT_B="$(jq -r .contracts.ics721 "$H/b/deployment.json")"
ASSET_A="$(jq -r .contracts.asset_nft "$H/a/deployment.json")"
OFFICER_B="$(envof "$H/b" WASMD_DEPLOYER)"
ok "$(txa deployer wasm execute "$NFT_A" "{\"update_peers\":{\"add\":[{\"connection_id\":\"$CONN_A\",\"port_id\":\"wasm.$NFT_B\",\"compliance_officer\":\"$ALICE\"}],\"remove\":[]}}" --gas 400000)" "pin B's ics721 on A"
ok "$(txb deployer wasm execute "$NFT_B" "{\"update_peers\":{\"add\":[{\"connection_id\":\"$CONN_B\",\"port_id\":\"wasm.$NFT_A\",\"compliance_officer\":\"$OFFICER_B\"}],\"remove\":[]}}" --gas 400000)" "pin A's ics721 on B"
relayer_stop
relayer_channel "wasm.$NFT_A" "wasm.$NFT_B" ics721-1 "$H/create-ics721.log" \
  || { tail -20 "$H/create-ics721.log" >&2; fail "$RELAYER_NAME could not open the ics721 channel"; }
read -r N_A N_B < <(chan "wasm.$NFT_A")
[ -n "$N_A" ] || fail "no open ics721 channel on A"
relayer_files
[ "$(jq '.channels | length' "$IBCF")" = 4 ] || fail "$IBCF: expected 4 channels with the ics721 one"
relayer_start
say "ics721: pinned on both sides, channel $N_A <-> $N_B (ics721-1) opened by $RELAYER_NAME and in its files"
nft_owner_a() { qa wasm contract-state smart "$ASSET_A" "{\"owner_of\":{\"token_id\":\"$1\"}}" | jq -r .data.owner; }
nft_send_a() { # TOKEN RECEIVER [TIMEOUT_NS]
  local msg
  msg="$(jq -cn --arg c "$N_A" --arg r "$2" --arg t "${3:-}" '{receiver: $r, channel_id: $c} + (if $t == "" then {} else {timeout: {timestamp: $t}} end)' | base64 -w0)"
  txa deployer wasm execute "$ASSET_A" "{\"send_nft\":{\"contract\":\"$NFT_A\",\"token_id\":\"$1\",\"msg\":\"$msg\"}}" --gas 800000
}
outgoing_a() { qa wasm contract-state smart "$NFT_A" "{\"outgoing\":{\"collection\":\"$ASSET_A\",\"token_id\":\"$1\"}}" | jq -c .data; }
META='{"class":"medical_equipment","description_uri":"ipfs://bafybeimriscanner","content_hash":"'"$(printf 'mri' | sha256sum | cut -c1-64)"'","jurisdictions":[{"code":"EU","markers":["approved_holders_only","medical_device_regulated"]}],"certifications":[{"standard":"CE-MDR","issuer":"TUV-SUD","certificate_id":"MDR-4711","expires_at":"2000000000000000000"}],"device_pubkey":null}'
# A's compliance officer (the deployer here) approves Alice and the bridge: leaving escrowed is
# holding, so an ApprovedHoldersOnly asset cannot leave unless the officer lets it.
for h in "$ALICE" "$NFT_A"; do
  ok "$(txa deployer wasm execute "$ASSET_A" "{\"approve_holder\":{\"jurisdiction\":\"EU\",\"holder\":\"$h\"}}" --gas 300000)" "approve $h on A"
done
ok "$(txa deployer wasm execute "$ASSET_A" "{\"mint\":{\"token_id\":\"mri-1\",\"owner\":\"$ALICE\",\"token_uri\":\"ipfs://bafybeimri1\",\"extension\":$META}}" --gas 500000)" "mint mri-1 on A"
# Refused by B: the class is not prepared there. Error acknowledgement, back to Alice.
ok "$(nft_send_a mri-1 "$BOB")" "send mri-1 (class not prepared on B)"
wait_for "mri-1 back to Alice after B's error acknowledgement" eq "$ALICE" nft_owner_a mri-1
[ "$(outgoing_a mri-1)" = null ] || fail "mri-1 still recorded as out after its refund"
say "ics721: refused by B (class not prepared there): error acknowledgement, mri-1 back to Alice, nothing minted on B"
# B's officer prepares the class and approves Bob in the voucher collection.
ok "$(txb deployer wasm execute "$NFT_B" "{\"prepare_class\":{\"channel_id\":\"$N_B\",\"class_id\":\"$ASSET_A\",\"name\":\"BitHive assets of $A_ID\",\"symbol\":\"BHA\"}}" --gas 800000)" "prepare the class on B"
VC_B="$(qb wasm contract-state smart "$NFT_B" "{\"voucher_class\":{\"channel_id\":\"$N_B\",\"class_id\":\"$ASSET_A\"}}" | jq -r .data.collection)"
[ -n "$VC_B" ] && [ "$VC_B" != null ] || fail "no voucher collection on B after prepare_class"
ok "$(txb deployer wasm execute "$VC_B" "{\"approve_holder\":{\"jurisdiction\":\"EU\",\"holder\":\"$BOB\"}}" --gas 300000)" "B's officer approves Bob"
nft_owner_b() { qb wasm contract-state smart "$VC_B" "{\"owner_of\":{\"token_id\":\"$1\"}}" 2>/dev/null | jq -r .data.owner; }
hb0="$(height_b)"; t0=$(date +%s.%N)
ok "$(nft_send_a mri-1 "$BOB")" "send mri-1 to Bob on B"
wait_for "the mri-1 voucher owned by Bob on B" eq "$BOB" nft_owner_b mri-1
t_out="$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')"; blocks_out=$(( $(height_b) - hb0 ))
[ "$(nft_owner_a mri-1)" = "$NFT_A" ] || fail "mri-1 is not escrowed by ics721 on A"
[ "$(outgoing_a mri-1)" = "{\"channel_id\":\"$N_A\",\"sender\":\"$ALICE\"}" ] || fail "A's record of mri-1: $(outgoing_a mri-1)"
got="$(qb wasm contract-state smart "$VC_B" '{"nft_info":{"token_id":"mri-1"}}' | jq -c '.data | {token_uri, extension: (.extension | del(.twin))}')"
want="$(jq -c --argjson m "$META" -n '{token_uri: "ipfs://bafybeimri1", extension: ($m | del(.device_pubkey))}')"
[ "$got" = "$want" ] || fail "the voucher's metadata on B:
$got
expected
$want"
say "ics721: mri-1 on B as a voucher of $VC_B owned by Bob within $blocks_out blocks of B ($t_out s); metadata, jurisdictions, markers and certification as on A; escrowed on A"
# ApprovedHoldersOnly holds on B: Bob cannot pass the voucher to a holder B's officer did not approve.
CAROL="$("$BIN_B" keys add carol --keyring-backend test --home "$B_HOME" --output json 2>&1 | jq -r .address)"
refused "a voucher to a holder B's officer did not approve" "is not approved to hold assets of jurisdiction EU" \
  "$(txb bob wasm execute "$VC_B" "{\"transfer_nft\":{\"recipient\":\"$CAROL\",\"token_id\":\"mri-1\"}}" --gas 400000)"
# Home again: Bob sends it to Alice; A releases it from escrow; B keeps the voucher parked.
msg="$(jq -cn --arg c "$N_B" --arg r "$ALICE" '{receiver: $r, channel_id: $c}' | base64 -w0)"
t0=$(date +%s.%N)
ok "$(txb bob wasm execute "$VC_B" "{\"send_nft\":{\"contract\":\"$NFT_B\",\"token_id\":\"mri-1\",\"msg\":\"$msg\"}}" --gas 800000)" "Bob sends mri-1 home"
wait_for "mri-1 home with Alice" eq "$ALICE" nft_owner_a mri-1
wait_for "B's acknowledgement (the voucher parked)" eq null sh -c "'$BIN_B' query wasm contract-state smart '$NFT_B' '{\"outgoing\":{\"collection\":\"$VC_B\",\"token_id\":\"mri-1\"}}' --node '$B_RPC' -o json | jq -c .data"
t_back="$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')"
[ "$(nft_owner_b mri-1)" = "$NFT_B" ] || fail "the voucher is not parked with ics721 on B"
[ "$(outgoing_a mri-1)" = null ] || fail "mri-1 still recorded as out on A after coming home"
say "ics721: mri-1 home with Alice ($t_back s to B's acknowledgement); the voucher parked on B, no record left on A"
# A send that times out while the relayer is down goes back to Alice once the relayer relays the
# timeout.
relayer_stop
deadline_ns="$(( ($(date +%s) + 6) * 1000000000 ))"
ok "$(nft_send_a mri-1 "$BOB" "$deadline_ns")" "send mri-1 with a 6 s timeout"
[ "$(nft_owner_a mri-1)" = "$NFT_A" ] || fail "mri-1 not escrowed during the timed-out send"
wait_for "B's clock past the timeout" sh -c "[ \$(date -d \"\$(curl -sf '$B_RPC/status' | jq -r .result.sync_info.latest_block_time)\" +%s) -gt $((deadline_ns / 1000000000 + 1)) ]"
relayer_start
wait_for "mri-1 refunded to Alice after the timeout" eq "$ALICE" nft_owner_a mri-1
[ "$(nft_owner_b mri-1)" = "$NFT_B" ] || fail "the timed-out packet reached B"
say "ics721: a send timed out while $RELAYER_NAME was down: refunded to Alice once, the voucher still parked on B"
# Hostile packets at B's ics721 port from a real counterparty: the test-only tester contract
# (testing/reference/ics721-tester) on A sends the bytes it is given over an ics721-1 channel and
# records the acknowledgements. Each must come back an error acknowledgement with its reason, and
# nothing be minted on B, but for the one valid packet (a control: the tester is a peer B pinned,
# trusted for the class B prepared for it).
TESTER_CODE="$("$BIN_A" tx wasm store artifacts/reference/ics721_tester.wasm --from deployer --keyring-backend test \
  --home "$A_HOME" --chain-id "$A_ID" --node "$A_RPC" --gas 3000000 --fees 75000ubhive -y -o json 2>&1)"
TESTER_CODE="$(tx_committed "$BIN_A" "$A_RPC" "$(jq -r .txhash <<<"$TESTER_CODE")")"; ok "$TESTER_CODE" "store the ics721 tester on A"
TESTER_CODE="$(jq -r '[.events[] | select(.type == "store_code") | .attributes[] | select(.key == "code_id") | .value][0]' <<<"$TESTER_CODE")"
out="$(txa deployer wasm instantiate "$TESTER_CODE" '{}' --label ics721-tester --no-admin --gas 400000)"; ok "$out" "instantiate the tester"
TESTER="$(jq -r '[.events[] | select(.type == "instantiate") | .attributes[] | select(.key == "_contract_address") | .value][0]' <<<"$out")"
ok "$(txb deployer wasm execute "$NFT_B" "{\"update_peers\":{\"add\":[{\"connection_id\":\"$CONN_B\",\"port_id\":\"wasm.$TESTER\",\"compliance_officer\":\"$OFFICER_B\"}],\"remove\":[]}}" --gas 400000)" "pin the tester on B"
relayer_stop
relayer_channel "wasm.$TESTER" "wasm.$NFT_B" ics721-1 "$H/create-tester.log" \
  || { tail -20 "$H/create-tester.log" >&2; fail "$RELAYER_NAME could not open the tester's channel"; }
read -r X_A X_B < <(chan "wasm.$TESTER")
[ -n "$X_A" ] || fail "no open channel between the tester and B's ics721"
A_PORTS=(--a-port "wasm.$TESTER")
relayer_files
case "$IBC_RELAYER" in
  hermes) grep -qF "\"wasm.$TESTER\"" "$CFG" || fail "hermes.toml does not relay the tester's channel (--a-port)" ;;
  rly) jq -e --arg c "$X_A" '.["src-channel-filter"]["channel-list"] | index($c) != null' "$H/rly/paths/$(rly_path).json" >/dev/null \
    || fail "rly's path does not relay the tester's channel $X_A (--a-port)" ;;
esac
relayer_start
ok "$(txb deployer wasm execute "$NFT_B" "{\"prepare_class\":{\"channel_id\":\"$X_B\",\"class_id\":\"forged-class\",\"name\":\"Tester class\",\"symbol\":\"TST\"}}" --gas 800000)" "prepare the tester's class on B"
VC_X="$(qb wasm contract-state smart "$NFT_B" "{\"voucher_class\":{\"channel_id\":\"$X_B\",\"class_id\":\"forged-class\"}}" | jq -r .data.collection)"
ok "$(txb deployer wasm execute "$VC_X" "{\"approve_holder\":{\"jurisdiction\":\"EU\",\"holder\":\"$BOB\"}}" --gas 300000)" "approve Bob in the tester's class"
TOKEN_DATA="$(jq -cn --argjson m "$META" '{bithive_asset: 1, metadata: $m}' | base64 -w0)"
CLASS_DATA="$(printf '{"bithive_asset_class":1,"name":"Tester class","symbol":"TST"}' | base64 -w0)"
# packet CLASS IDS_JSON [TOKEN_DATA_JSON]: packet data as the reference writes it, to Bob.
packet() {
  jq -cn --arg c "$1" --argjson ids "$2" --argjson td "${3:-null}" --arg cd "$CLASS_DATA" --arg b "$BOB" --arg t "$TOKEN_DATA" \
    '{classId: $c, classUri: null, classData: $cd, tokenIds: $ids, tokenUris: null,
      tokenData: (if $td == null then [$ids[] | $t] else $td end), sender: "tester", receiver: $b, memo: null}'
}
tester_send() { # DATA (raw bytes)
  ok "$(txa deployer wasm execute "$TESTER" "{\"send\":{\"channel_id\":\"$X_A\",\"data\":\"$(printf '%s' "$1" | base64 -w0)\"}}" --gas 400000)" "tester send"
}
acks() { qa wasm contract-state smart "$TESTER" '{"acks":{}}' | jq -c '.data | sort_by(.sequence)'; }
HOSTILE=(
  'undecodable data|{not json'
  "is not accepted over $X_B|$(packet unknown-class '["u-1"]')"
  "no tokenData|$(packet forged-class '["f-0"]' '[]' | jq -c '.tokenData = null')"
  "token id f-2 twice|$(packet forged-class '["f-2","f-2"]')"
  "is not accepted over $X_B|$(packet "wasm.$TESTER/$X_A/$(jq -r .contracts.asset_nft "$H/b/deployment.json")" '["mri-9"]')"
)
n=0
for h in "${HOSTILE[@]}"; do tester_send "${h#*|}"; n=$((n + 1)); done
tester_send "$(packet forged-class '["f-1"]')"; n=$((n + 1))             # the control: accepted
wait_for "the control voucher on B" eq "$BOB" sh -c "'$BIN_B' query wasm contract-state smart '$VC_X' '{\"owner_of\":{\"token_id\":\"f-1\"}}' --node '$B_RPC' -o json 2>/dev/null | jq -r .data.owner"
tester_send "$(packet forged-class '["f-1"]')"; n=$((n + 1))             # the same data again
HOSTILE+=('token f-1 is already present|')
ack_count() { qa wasm contract-state smart "$TESTER" '{"acks":{}}' | jq '.data | length'; }
# Its acknowledgement before the unpinning below, or B would refuse it for that reason instead.
wait_for "the replayed data's acknowledgement" eq "$n" ack_count
ok "$(txb deployer wasm execute "$NFT_B" "{\"update_peers\":{\"add\":[],\"remove\":[{\"connection_id\":\"$CONN_B\",\"port_id\":\"wasm.$TESTER\"}]}}" --gas 400000)" "unpin the tester on B"
tester_send "$(packet forged-class '["f-3"]')"; n=$((n + 1))
HOSTILE+=('is no longer pinned|')
wait_for "$n acknowledgements at the tester" eq "$n" ack_count
all="$(acks)"
for i in $(seq 0 $((n - 1))); do
  ack="$(jq -r ".[$i].ack" <<<"$all")"
  if [ "$i" = 5 ]; then
    [ "$ack" = '{"result":"AQ=="}' ] || fail "the control packet was not accepted: $ack"; continue
  fi
  j=$i; [ "$i" -gt 5 ] && j=$((i - 1))
  want="${HOSTILE[$j]%%|*}"
  jq -e 'has("error")' <<<"$ack" >/dev/null && grep -qF "$want" <<<"$ack" || fail "hostile packet $((i + 1)): expected an error ack saying '$want', got $ack"
  say "refused at B's ics721 port, error ack: $(jq -r .error <<<"$ack" | head -c 140)"
done
[ "$(qb wasm contract-state smart "$VC_X" '{"num_tokens":{}}' | jq -r .data.count)" = 1 ] || fail "B minted more than the control voucher"
say "ics721: $((n - 1)) hostile packets from a real counterparty refused with error acknowledgements, nothing minted on B but the control"
say "figure: asset NFT round trip A -> B -> A over ICS-721 relayed by $RELAYER_NAME: out $t_out s ($blocks_out blocks of B), back $t_back s"

# 8. Figures: a batch of N transfers in one tx, relayed until every acknowledgement lands; the
# reference, in the same run, is the same batch as plain bank sends on A, until committed.
N="${IBC_BATCH:-50}"
# batch_tx FILE ARGS...: one signed tx holding N copies of the message `tx ARGS --generate-only` makes.
batch_tx() {
  local file="$1" one; shift
  one="$("$BIN_A" tx "$@" --from deployer --keyring-backend test --home "$A_HOME" --chain-id "$A_ID" \
    --node "$A_RPC" --generate-only -o json 2>/dev/null)"
  jq --argjson n "$N" '.body.messages = [range($n) as $i | .body.messages[0]]
    | .auth_info.fee.gas_limit = "8000000" | .auth_info.fee.amount = [{denom: "ubhive", amount: "200000"}]' \
    <<<"$one" >"$file.unsigned"
  "$BIN_A" tx sign "$file.unsigned" --from deployer --keyring-backend test --home "$A_HOME" \
    --chain-id "$A_ID" --node "$A_RPC" -o json >"$file" 2>/dev/null
}
batch_tx "$H/bank.json" bank send deployer "$RELAYER_A" 1ubhive
t0=$(date +%s.%N)
out="$("$BIN_A" tx broadcast "$H/bank.json" --node "$A_RPC" -o json)"; ok "$out" "batch of $N bank sends"
ok "$(tx_committed "$BIN_A" "$A_RPC" "$(jq -r .txhash <<<"$out")")" "bank batch"
t_ref="$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.2f", b - a }')"
batch_tx "$H/batch.json" ibc-transfer transfer transfer "$T_A" "$BOB" 1ubhive
v0="$(bal_b "$BOB" "$VOUCHER")"
hb0="$(height_b)"
t0=$(date +%s.%N)
out="$("$BIN_A" tx broadcast "$H/batch.json" --node "$A_RPC" -o json)"; ok "$out" "batch of $N transfers"
wait_for "the batch on B" eq "$((v0 + N))" bal_b "$BOB" "$VOUCHER"
hb1="$(height_b)"
wait_for "every acknowledgement on A" eq 0 sh -c "'$BIN_A' query ibc channel packet-commitments transfer '$T_A' --node '$A_RPC' -o json | jq '.commitments | length'"
t1=$(date +%s.%N)
say "$(awk -v n="$N" -v rn="$RELAYER_NAME" -v a="$t0" -v b="$t1" -v r="$t_ref" -v h="$((hb1 - hb0))" 'BEGIN {
  printf "figure: %d ICS-20 transfers in one tx, relayed by %s end to end (to the last ack on A): %.2f s, %.1f transfers/s; vouchers on B within %d blocks of B. Reference, same run: %d bank sends in one tx committed on A in %.2f s (%.1f/s). Ratio IBC/local: %.1fx", n, rn, b - a, n / (b - a), h, n, r, n / r, (b - a) / r }')"
say "ok: ICS-20 over real IBC between $A_ID and $B_ID, relayed by $RELAYER_NAME"
