#!/usr/bin/env bash
# The product on other wasmd networks, each started by this step (scripts/wasmd-net.sh): a
# permissioned chain where only governance stores code (`bithive deploy --via-gov`), the devnet
# held to wasmd (cli/tests/wasmd_diff.rs), and four validators with one killed and restarted
# (transfers, the relayer, and the compute pool's test of record: relayer/tests/compute_pool.rs).
# A step of its own, so the test command runs it beside scripts/test.d/wasmd.sh (the story on
# wasmd) instead of after it: both mostly wait on blocks.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
# shellcheck source=scripts/lib/wasmd-tx.sh
source scripts/lib/wasmd-tx.sh wasmd-networks
# shellcheck source=scripts/lib/wasmd-step.sh
source scripts/lib/wasmd-step.sh
H3="$H/diff"
H4="$H/validators"
H5="$H/permissioned"

# A permissioned chain (#44 point 5): wasmd with code_upload_access Nobody, as Neutron- and
# Osmosis-style chains run, and instantiate_default_permission Nobody (a code is instantiable only
# as the proposal that stored it says: everybody, so the DAO's core can instantiate its modules,
# and no instantiation needs a proposal of its own). A plain deploy stops before any transaction and names --via-gov;
# `bithive deploy --via-gov` proposes each code as an x/gov proposal (the deployer pays the
# deposits), the validator votes yes on each (wasmd's CLI, as a validator operator would), and the
# deployment goes on with the codes governance stored, DAO included.
# A 120 s voting period: the one validator votes on the proposals one transaction a round. 40 s
# was enough while this ran last in the wasmd step; run beside the other chain steps (CI's run of
# 609b700) the validator's votes on proposal 4 came too late and it was rejected.
scripts/wasmd-net.sh start "$H5" --chain-id bithive-permissioned-1 --upload-nobody --voting-period 120s
(
  # shellcheck source=/dev/null
  source "$H5/wasmd-net.env"
  w5() { "$WASMD_BIN" --home "$WASMD_NODE_HOME" "$@"; }
  "$BITHIVE" keys add deployer --mnemonic-file "$WASMD_DEPLOYER_MNEMONIC_FILE" --keyring "$H5/keyring.json" >/dev/null
  # Governed by a DAO of two members (ADR 009), as on the story's chain.
  for m in member-1 member-2; do w5 keys add "$m" --keyring-backend test >/dev/null 2>&1; done
  cat >"$H5/dao.toml" <<EOF
name = "wasmd permissioned test DAO"
voting_period_seconds = 3600
[[members]]
addr = "$(w5 keys show member-1 -a --keyring-backend test)"
weight = 1
[[members]]
addr = "$(w5 keys show member-2 -a --keyring-backend test)"
weight = 1
EOF
  deploy5() {
    "$BITHIVE" deploy --rpc "$WASMD_RPC" --chain-id "$WASMD_CHAIN_ID" --key deployer \
      --keyring "$H5/keyring.json" --gas-price "$WASMD_MIN_GAS_PRICE" --fee-denom "$WASMD_DENOM" \
      --rest "$WASMD_REST" --dao "$H5/dao.toml" --out "$H5/deployment.json" "$@"
  }
  if out="$(deploy5 2>&1)"; then fail "a plain deploy went through on a chain where only governance stores code"; fi
  grep -q -- "--via-gov" <<<"$out" || fail "the plain deploy's refusal does not name --via-gov: $out"
  say "plain deploy on the permissioned chain refused: $(grep -o 'code upload on this chain is restricted[^:]*' <<<"$out" | head -n1)"
  # The validator votes yes on every proposal in its voting period, until told to stop: each
  # round's new proposals in one transaction of several MsgVote (wasmd's CLI: generate, sign,
  # broadcast), as a validator operator votes on a batch.
  (
    voted=" "
    while [ ! -e "$H5/stop-voting" ]; do
      new=()
      for id in $(w5 query gov proposals --proposal-status voting-period --node "$WASMD_RPC" -o json 2>/dev/null \
        | jq -r '.proposals[]?.id' 2>/dev/null); do
        [[ "$voted" == *" $id "* ]] || new+=("$id")
      done
      if ((${#new[@]})); then
        gas=$((200000 + 100000 * ${#new[@]}))
        # A vote the CLI could not write is tried again next round (under set -e a failed
        # pipeline here would end the voter, and every open proposal after it would be lost).
        if ! for id in "${new[@]}"; do
          w5 tx gov vote "$id" yes --from validator --keyring-backend test --chain-id "$WASMD_CHAIN_ID" \
            --node "$WASMD_RPC" --generate-only -o json 2>/dev/null
        done | jq -s --arg gas "$gas" --arg fee "$((gas / 40 + 1))" --arg d "$WASMD_DENOM" \
          '.[0] * {body: {messages: [.[].body.messages[]]}}
           | .auth_info.fee = {amount: [{denom: $d, amount: $fee}], gas_limit: $gas, payer: "", granter: ""}' \
          >"$H5/votes.json"; then
          say "could not write the validator's votes on ${new[*]}: trying again"
          sleep 1
          continue
        fi
        # Counted as voted only once the votes are in a block with code 0: a batch accepted
        # into the mempool can still fail in the block (out of gas, say), and then its
        # proposals would close rejected with nobody saying why (CI of e025f4d: proposals 9-19).
        if w5 tx sign "$H5/votes.json" --from validator --keyring-backend test --chain-id "$WASMD_CHAIN_ID" \
             --node "$WASMD_RPC" -o json >"$H5/votes.signed.json" 2>/dev/null \
           && sent="$(w5 tx broadcast "$H5/votes.signed.json" --node "$WASMD_RPC" -o json 2>/dev/null)" \
           && [ "$(jq -r .code <<<"$sent")" = 0 ]; then
          res="$(tx_committed "$WASMD_BIN" "$WASMD_RPC" "$(jq -r .txhash <<<"$sent")")"
          if [ "$(jq -r .code <<<"$res")" = 0 ]; then
            voted="$voted${new[*]} "
          else
            say "the validator's votes on ${new[*]} failed in the block, voting again: $(jq -r .raw_log <<<"$res" | cut -c1-300)"
          fi
        fi
      fi
      sleep 1
    done
  ) &
  voter=$!
  started=$(date +%s.%N)
  # 2>&1 and sed -u: the deploy's error comes after its progress lines, not above them (CI of
  # e025f4d showed the progress and FAIL, and the reason was lost above the tail).
  deploy5 --via-gov --gov-timeout 300 2>&1 | sed -u 's/^/    /' >&2 || { touch "$H5/stop-voting"; wait "$voter"; fail "bithive deploy --via-gov"; }
  touch "$H5/stop-voting"; wait "$voter" || true
  say "bithive deploy --via-gov: $(awk -v a="$started" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f s", b - a }')"
  D5="$H5/deployment.json"
  dao="$(jq -r .contracts.dao "$D5")"
  # Nobody may instantiate by default on this chain: every contract exists because its code's
  # own permission (everybody, set by the store proposal) allows it.
  default="$(w5 query wasm params --node "$WASMD_RPC" -o json | jq -r '[.. | .instantiate_default_permission? // empty][0]')"
  [[ "${default,,}" == *nobody* ]] || fail "permissioned: the chain's default instantiate permission is $default, not Nobody"
  # Every code's creator is one account, not the deployer: the gov module account.
  creators=" "
  for kind in $(jq -r '.codes | keys[]' "$D5"); do
    id="$(jq -r --arg k "$kind" '.codes[$k].code_id' "$D5")"
    info="$(w5 query wasm list-code --node "$WASMD_RPC" -o json --limit 100 \
      | jq -c --arg id "$id" '.code_infos[] | select(.code_id == $id)')"
    [ "$(jq -r .data_hash <<<"$info" | tr 'A-F' 'a-f')" = "$(jq -r --arg k "$kind" '.codes[$k].checksum' "$D5")" ] \
      || fail "permissioned: code $kind ($id) has another checksum: $info"
    perm="$(jq -r .instantiate_permission.permission <<<"$info")"
    [[ "${perm,,}" == *everybody* ]] || fail "permissioned: code $kind ($id) is instantiable by $perm, not everybody"
    creator="$(jq -r .creator <<<"$info")"
    [ "$creator" != "$WASMD_DEPLOYER" ] || fail "permissioned: the deployer stored code $kind"
    [[ "$creators" == *" $creator "* ]] || creators="$creators$creator "
  done
  [ "$(wc -w <<<"$creators")" = 1 ] || fail "permissioned: codes stored by several accounts:$creators"
  [ "$(w5 query wasm contract "$(jq -r .contracts.staking "$D5")" --node "$WASMD_RPC" -o json | jq -r .contract_info.admin)" = "$dao" ] \
    || fail "permissioned: staking's wasm admin is not the DAO"
  say "ok: on a chain where only governance stores code and nobody instantiates by default, $(jq '.codes | length' "$D5") codes passed as proposals (creator: the gov module, instantiable by everybody) and the DAO governs the deployment"
)
scripts/wasmd-net.sh stop "$H5"

# The devnet held to wasmd (#26 item 4): one scenario (bithive deploy, executes, queries, deliberate
# failures) on a fresh wasmd chain and an in-process devnet, compared step by step; fails on any
# difference outside the test's named, bounded allow-list. Prints the comparison and gas tables.
scripts/wasmd-net.sh start "$H3" --chain-id bithive-diff-1
WASMD_NET_ENV="$H3/wasmd-net.env" cargo test --quiet --locked --workspace --test wasmd_diff \
  -- --ignored --nocapture 2>&1 | grep -v '^| .* | same |$' >&2 \
  || fail "the devnet differs from wasmd beyond the allow-list (cli/tests/wasmd_diff.rs)"
say "ok: the devnet matches wasmd on the differential scenario (cli/tests/wasmd_diff.rs)"
scripts/wasmd-net.sh stop "$H3"

# A real multi-validator chain (#42 item 7): four wasmd validators, one client over their four
# RPC endpoints; the validator it uses is killed and restarted while transfers go on: the chain
# goes on with three, the client fails over, every transfer lands once (cli/tests/wasmd_validators.rs).
scripts/wasmd-net.sh start "$H4" --chain-id bithive-validators-1 --validators 4
WASMD_NET_ENV="$H4/wasmd-net.env" cargo test --quiet --locked --workspace --test wasmd_validators \
  -- --ignored --nocapture >"$H4/validators-test.log" 2>&1 \
  || { test_failed "$H4/validators-test.log"; fail "transfers across a validator killed and restarted (cli/tests/wasmd_validators.rs)"; }
grep -E '^4 validators' "$H4/validators-test.log" | sed 's/^/    /' >&2
say "ok: 4 validators, one killed and restarted; the client failed over and every transfer landed once"
# The relayer on that network with every validator's RPC, validator 0's first; validator 0 is
# killed under it before the patient pays and restarted after the payout: the relayer fails over
# and the job is attested and paid once (cli/tests/wasmd_relayer.rs, WASMD_KILL_VALIDATOR).
WASMD_NET_ENV="$H4/wasmd-net.env" WASMD_KILL_VALIDATOR=0 cargo test --quiet --locked --workspace \
  --test wasmd_relayer -- --ignored --nocapture >&2 \
  || fail "the relayer across a validator killed and restarted (cli/tests/wasmd_relayer.rs)"
say "ok: the relayer failed over from a killed validator; the job was attested and paid once"
# The compute pool's test of record on the same network (#42, relayer/tests/compute_pool.rs): four
# nodes (honest, offline half an epoch, slow, cheating) and three attestors, each its own relayer
# with every validator's RPC, a load generator paying 240 jobs (one per patient every 3 s, those due paid together when a transaction took longer) over three 20 s rewards epochs;
# validator 0 is stopped from the middle of E2 to the middle of E3. Every reward is recomputed from
# the chain's events and the attestors' signed tallies. About 3 minutes.
WASMD_NET_ENV="$H4/wasmd-net.env" WASMD_KILL_VALIDATOR=0 cargo test --quiet --locked --workspace \
  --test compute_pool -- --ignored --nocapture >"$H4/compute-pool.log" 2>&1 \
  || { test_failed "$H4/compute-pool.log"; fail "the compute pool on four validators (relayer/tests/compute_pool.rs)"; }
grep -E '^[0-9]+ jobs created|^claimed' "$H4/compute-pool.log" | cut -c1-400 | sed 's/^/    /' >&2
say "ok: the compute pool paid measured, verified work on 4 validators, one stopped for an epoch"
