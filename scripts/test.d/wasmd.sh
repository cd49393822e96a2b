#!/usr/bin/env bash
# The product on a real chain: starts two local wasmd networks side by side
# (scripts/wasmd-net.sh; the second with the address prefix `wasm`, where the whole deploy runs
# again with --prefix wasm), stores and instantiates the reference artifacts with wasmd's own CLI,
# runs `bithive deploy` (stores every artifacts/*.wasm through wasmd's checks, instantiates and
# wires the platform; asset_shares, a code only there, is instantiated with the CLI), then checks
# the deployment with wasmd's queries: code checksums, admins, BTK's only minter is emission,
# nobody owns BTK or BTT, the deployer's set_minter fails; runs the devnet's CosmJS checks on the
# same chain and the relayer on it (an inference job paid, attested and paid out), and the demo
# story on it (`bithive demo --rpc`). The other wasmd networks (a permissioned chain, the devnet
# differential, four validators) are scripts/test.d/wasmd-networks.sh, a step of its own that the
# test command runs beside this one.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
# shellcheck source=scripts/lib/wasmd-tx.sh
source scripts/lib/wasmd-tx.sh wasmd-test
# shellcheck source=scripts/lib/wasmd-step.sh
source scripts/lib/wasmd-step.sh
# The second chain has its own address prefix, as a chain team's chain has (a relink: seconds).
WASMD_BIN_WASM="$(WASMD_PREFIX=wasm scripts/wasmd-build.sh)"
H2="$H/second"
scripts/wasmd-net.sh start "$H" --chain-id bithive-wasmd-test-1
# A second chain side by side (the IBC tests need two): its own home, ports, chain id and prefix.
WASMD_BIN="$WASMD_BIN_WASM" scripts/wasmd-net.sh start "$H2" --chain-id wasm-test-2
for home in "$H" "$H2"; do
  # shellcheck source=/dev/null
  (source "$home/wasmd-net.env"
    [ "$(curl -sf "$WASMD_RPC/status" | jq -r .result.node_info.network)" = "$WASMD_CHAIN_ID" ] \
      || fail "$WASMD_RPC does not serve $WASMD_CHAIN_ID")
done
# shellcheck source=/dev/null
source "$H/wasmd-net.env"
w() { "$WASMD_BIN" --home "$WASMD_NODE_HOME" "$@"; }
q() { w query --node "$WASMD_RPC" -o json "$@"; }

# wtx ARGS...: a tx from the deployer through wasmd's CLI; prints the committed result (JSON).
wtx() {
  local out
  out="$(w tx "$@" --from deployer --keyring-backend test --chain-id "$WASMD_CHAIN_ID" \
    --node "$WASMD_RPC" --gas-prices "$WASMD_MIN_GAS_PRICE$WASMD_DENOM" -y -o json)"
  [ "$(jq -r .code <<<"$out")" = 0 ] || fail "tx $* refused: $out"
  tx_committed "$WASMD_BIN" "$WASMD_RPC" "$(jq -r .txhash <<<"$out")"
}
# instantiate CODE_ID MSG LABEL: with wasmd's CLI; fails the step unless the contract is created.
instantiate() {
  local res
  res="$(wtx wasm instantiate "$1" "$2" --label "$3" --no-admin --gas auto --gas-adjustment 1.4)"
  [ "$(jq -r .code <<<"$res")" = 0 ] || fail "instantiate $3 (code $1) failed: $(jq -r .raw_log <<<"$res")"
  say "instantiated $3 (code $1) with wasmd's CLI: gas used $(jq -r .gas_used <<<"$res")"
}

# wasmd's CLI: store and instantiate each reference artifact (artifacts/reference).
declare -A ref_code
for f in artifacts/reference/*.wasm; do
  res="$(wtx wasm store "$f" --gas auto --gas-adjustment 1.4)"
  [ "$(jq -r .code <<<"$res")" = 0 ] || fail "store $f failed: $(jq -r .raw_log <<<"$res")"
  ref_code[$(basename "$f" .wasm)]="$(jq -r '[.events[] | select(.type == "store_code") | .attributes[] | select(.key == "code_id") | .value][0]' <<<"$res")"
  say "stored $(basename "$f") with wasmd's CLI: code ${ref_code[$(basename "$f" .wasm)]}, gas used $(jq -r .gas_used <<<"$res")"
done
instantiate "${ref_code[cw20_base_ref]}" '{"name":"Reference","symbol":"REF","decimals":6,"initial_balances":[]}' ref-cw20
instantiate "${ref_code[cw20_receiver_probe]}" '{}' ref-probe

# bithive deploy from the test deployer key, governed by a DAO of two members (ADR 009).
"$BITHIVE" keys add deployer --mnemonic-file "$WASMD_DEPLOYER_MNEMONIC_FILE" --keyring "$H/keyring.json" >/dev/null
for m in member-1 member-2; do w keys add "$m" --keyring-backend test >/dev/null 2>&1; done
cat >"$H/dao.toml" <<EOF
name = "wasmd test DAO"
voting_period_seconds = 3600
[[members]]
addr = "$(w keys show member-1 -a --keyring-backend test)"
weight = 1
[[members]]
addr = "$(w keys show member-2 -a --keyring-backend test)"
weight = 1
EOF
started=$(date +%s.%N)
"$BITHIVE" deploy --rpc "$WASMD_RPC" --chain-id "$WASMD_CHAIN_ID" --key deployer \
  --keyring "$H/keyring.json" --gas-price "$WASMD_MIN_GAS_PRICE" --fee-denom "$WASMD_DENOM" \
  --rest "$WASMD_REST" --dao "$H/dao.toml" --out "$H/deployment.json" | sed 's/^/    /' >&2
say "bithive deploy on wasmd: $(awk -v a="$started" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f s", b - a }')"
D="$H/deployment.json"
[ "$(jq -r .chain_id "$D")" = "$WASMD_CHAIN_ID" ] || fail "deployment.json chain_id"
[ "$(jq -r .deployer "$D")" = "$WASMD_DEPLOYER" ] || fail "deployment.json deployer"
# The model registry and data vault (#23) are instantiated from their own codes.
for c in model_registry data_vault; do
  addr="$(jq -r ".contracts.$c" "$D")"; want="$(jq -r ".codes.$c.code_id" "$D")"
  got="$(q wasm contract "$addr" | jq -r .contract_info.code_id)"
  [ "$got" = "$want" ] || fail "$c at '$addr' has code '$got', deployment says '$want'"
done

# The wallet and registry files beside it (#21): wasmd has x/staking, so Keplr gets a stake
# currency and chain.json a staking token; BTT and BTK are cw20 currencies at their addresses.
K="$H/keplr-chain-info.json"
for f in "$K" "$H/chain.json" "$H/assetlist.json"; do [ -s "$f" ] || fail "bithive deploy wrote no $f"; done
[ "$(jq -r .rest "$K")" = "$WASMD_REST" ] || fail "keplr rest $(jq -r .rest "$K")"
[ "$(jq -r .stakeCurrency.coinMinimalDenom "$K")" = "$WASMD_DENOM" ] || fail "keplr stakeCurrency"
[ "$(jq -r '.staking.staking_tokens[0].denom' "$H/chain.json")" = "$WASMD_DENOM" ] || fail "chain.json staking"
want="$(jq -r '[.contracts.btt, .contracts.btk] | join(" ")' "$D")"
got="$(jq -r '[.currencies[] | select(.type == "cw20") | .contractAddress] | join(" ")' "$K")"
[ "$got" = "$want" ] || fail "keplr cw20 currencies $got, deployment $want"
got="$(jq -r '[.assets[] | select(.type_asset == "cw20") | .address] | join(" ")' "$H/assetlist.json")"
[ "$got" = "$want" ] || fail "assetlist cw20 assets $got, deployment $want"
say "wallet files: Keplr ChainInfo (stake currency $WASMD_DENOM, cw20 BTT and BTK), chain.json, assetlist.json"

# Every committed artifact is stored on wasmd with the checksum wasmd computed.
codes="$(q wasm list-code --limit 100)"
for f in artifacts/*.wasm artifacts/reference/*.wasm; do
  sum="$(sha256sum "$f" | cut -d' ' -f1)"
  jq -e --arg s "$sum" '[.code_infos[] | .data_hash | ascii_downcase] | index($s) != null' <<<"$codes" >/dev/null \
    || fail "$f ($sum) is not among wasmd's codes"
done
for kind in $(jq -r '.codes | keys[]' "$D"); do
  id="$(jq -r --arg k "$kind" '.codes[$k].code_id' "$D")"
  want="$(jq -r --arg k "$kind" '.codes[$k].checksum' "$D")"
  got="$(jq -r --arg id "$id" '.code_infos[] | select(.code_id == $id) | .data_hash | ascii_downcase' <<<"$codes")"
  [ "$got" = "$want" ] || fail "code $kind ($id): wasmd has $got, deployment.json $want"
done
say "$(jq '.code_infos | length' <<<"$codes") codes on wasmd, each artifact's checksum matches"

# asset_shares is a code only in the deployment (fractional instantiates it per asset): here too.
instantiate "$(jq -r .codes.asset_shares.code_id "$D")" \
  "{\"name\":\"Shares\",\"symbol\":\"SHR\",\"decimals\":6,\"minter\":\"$WASMD_DEPLOYER\"}" test-asset-shares

# Every contract exists, with the code deployment.json names; the tokens have no wasm admin,
# every other contract (the DAO itself included) has the DAO, and the DAO controls each governed
# contract: the deployer keeps nothing.
smart() { q wasm contract-state smart "$1" "$2" | jq -c .data; }
DAO="$(jq -r .contracts.dao "$D")"
[ -n "$DAO" ] && [ "$DAO" != null ] || fail "deployment.json names no DAO"
for name in $(jq -r '.contracts | keys[]' "$D"); do
  addr="$(jq -r --arg n "$name" '.contracts[$n]' "$D")"
  info="$(q wasm contract "$addr")" || fail "$name: no contract $addr on wasmd"
  admin="$(jq -r '.contract_info.admin // ""' <<<"$info")"
  case "$name" in
    btk|btt) [ -z "$admin" ] || fail "$name has wasm admin $admin" ;;
    *) [ "$admin" = "$DAO" ] || fail "$name: wasm admin $admin, expected the DAO $DAO" ;;
  esac
done
for name in vesting staking rewards emission asset_nft fractional payfi_escrow attestation model_registry data_vault; do
  owner="$(smart "$(jq -r --arg n "$name" '.contracts[$n]' "$D")" '{"ownership":{}}' | jq -r .owner)"
  [ "$owner" = "$DAO" ] || fail "$name is controlled by $owner, not the DAO"
done
[ "$(smart "$DAO" '{"admin":{}}' | jq -r .)" = "$DAO" ] || fail "the DAO is not its own admin"
say "the DAO $DAO controls every governed contract and is every wasm admin but the tokens'"
BTK="$(jq -r .contracts.btk "$D")" BTT="$(jq -r .contracts.btt "$D")" EMISSION="$(jq -r .contracts.emission "$D")"
minters="$(smart "$BTK" '{"minters":{}}')"
[ "$(jq -c '[.minters[].minter]' <<<"$minters")" = "[\"$EMISSION\"]" ] \
  || fail "BTK minters $minters: expected only emission $EMISSION"
for t in "$BTK" "$BTT"; do
  [ "$(smart "$t" '{"ownership":{}}' | jq -r .owner)" = null ] || fail "$t still has an owner"
done
info="$(smart "$BTT" '{"token_info":{}}')"
bal="$(smart "$BTT" "{\"balance\":{\"address\":\"$WASMD_DEPLOYER\"}}" | jq -r .balance)"
say "BTK minters $minters; BTT $info; deployer's BTT $bal"
[ "$(jq -r .total_supply <<<"$info")" != 0 ] || fail "BTT supply is 0"
# The deployer can no longer add a minter: wasmd runs the contract and fails the tx.
res="$(wtx wasm execute "$BTK" "{\"set_minter\":{\"minter\":\"$WASMD_DEPLOYER\",\"allowance\":\"1\"}}" --gas 400000)"
[ "$(jq -r .code <<<"$res")" != 0 ] || fail "the deployer added a BTK minter on wasmd"
say "deployer's set_minter fails on wasmd: code $(jq -r .code <<<"$res") ($(jq -r .codespace <<<"$res")): $(jq -r .raw_log <<<"$res")"
[ "$(smart "$BTK" '{"minters":{}}')" = "$minters" ] || fail "BTK minters changed"

# The CosmJS checks the devnet step runs (scripts/test.d/devnet-cosmjs.sh), unchanged, on wasmd
# (#26 item 3): upload, instantiate, execute, queries, code/contract/history/raw queries, bank
# supply, and the REST API, signed by the test deployer.
(cd dev/devnet/cosmjs-test && npm ci --no-audit --no-fund --silent \
  && COSMJS_RPC="$WASMD_RPC" COSMJS_REST="$WASMD_REST" COSMJS_CHAIN_ID="$WASMD_CHAIN_ID" \
    COSMJS_PREFIX="$WASMD_PREFIX" node test.mjs --external "$ROOT/artifacts") >&2 \
  || fail "the CosmJS checks on wasmd (dev/devnet/cosmjs-test/test.mjs --external)"
say "ok: the devnet's CosmJS checks pass on wasmd ($WASMD_CHAIN_ID)"

# The relayer on wasmd (#26 item 3): a platform deployed with jobs paid at the report, a node
# registered, `bithive relayer start` following wasmd's blocks with the real inference engine; a
# patient's job is attested and the node paid once (cli/tests/wasmd_relayer.rs).
WASMD_NET_ENV="$H/wasmd-net.env" cargo test --quiet --locked --workspace --test wasmd_relayer \
  -- --ignored --nocapture >&2 || fail "the relayer on wasmd (cli/tests/wasmd_relayer.rs)"
say "ok: the relayer attested an inference job on wasmd and the escrow paid the node once"

# The demo story on wasmd (#26 item 3): `bithive demo --rpc` runs the whole story on the chain
# (fresh keys paid by the deployer, seconds-long windows waited out in real time), then the devnet
# demo in the same run for the wall-time comparison (cli/tests/wasmd_demo.rs).
WASMD_NET_ENV="$H/wasmd-net.env" cargo test --quiet --locked --workspace --test wasmd_demo \
  -- --ignored --nocapture >"$H/wasmd-demo.log" 2>&1 \
  || { test_failed "$H/wasmd-demo.log"; fail "the demo story on wasmd (cli/tests/wasmd_demo.rs)"; }
# The story's progress and table on wasmd, and the two wall times.
sed -n '/^\[ 1\] chain /,/demo wall time/p; /^demo story wall time/p' "$H/wasmd-demo.log" | sed 's/^/    /' >&2
say "ok: the demo story ran on wasmd"

# The same deployment on the second chain, whose addresses start with wasm1 (--prefix wasm).
(
  # shellcheck source=/dev/null
  source "$H2/wasmd-net.env"
  "$BITHIVE" keys add deployer --prefix "$WASMD_PREFIX" --mnemonic-file "$WASMD_DEPLOYER_MNEMONIC_FILE" \
    --keyring "$H2/keyring.json" >/dev/null
  "$BITHIVE" deploy --rpc "$WASMD_RPC" --chain-id "$WASMD_CHAIN_ID" --key deployer --prefix "$WASMD_PREFIX" \
    --keyring "$H2/keyring.json" --out "$H2/deployment.json" >/dev/null
  [ "$(jq -r .deployer "$H2/deployment.json")" = "$WASMD_DEPLOYER" ] || fail "prefix $WASMD_PREFIX: deployer"
  btk="$(jq -r .contracts.btk "$H2/deployment.json")" emission="$(jq -r .contracts.emission "$H2/deployment.json")"
  [[ "$btk" == "$WASMD_PREFIX"1* ]] || fail "prefix $WASMD_PREFIX: BTK at $btk"
  minters="$("$WASMD_BIN_WASM" query wasm contract-state smart "$btk" '{"minters":{}}' --node "$WASMD_RPC" -o json \
    | jq -c '[.data.minters[].minter]')"
  [ "$minters" = "[\"$emission\"]" ] || fail "prefix $WASMD_PREFIX: BTK minters $minters"
  say "bithive deploy on $WASMD_CHAIN_ID (prefix $WASMD_PREFIX): BTK $btk, its only minter emission"
)
say "ok: bithive deploy and the platform's wiring on wasmd ($WASMD_CHAIN_ID and wasm-test-2)"
