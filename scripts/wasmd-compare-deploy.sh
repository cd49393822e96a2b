#!/usr/bin/env bash
# `bithive deploy` on the devnet and on wasmd in one run (BENCHMARKS.md, "bithive deploy on wasmd
# beside the devnet"): both chains fresh, 300 ms blocks, the same deployer; prints the wall time of
# each deploy and, per tx, the gas used on each chain, then the event differences that remain once
# `msg_index` and the devnet's extra `message{module,sender}` event are set aside.
#   scripts/wasmd-compare-deploy.sh [WORKDIR]
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
W="${1:-$(mktemp -d "${TMPDIR:-/tmp}/bithive-compare.XXXXXX")}"
mkdir -p "$W"
# shellcheck source=lib/workspace-build.sh
source "$ROOT/scripts/lib/workspace-build.sh"
B="$W/bithive"
workspace_binary bithive "$B"
MNEMONIC="abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about"
printf '%s\n' "$MNEMONIC" >"$W/mnemonic"
rm -f "$W/keyring.json"
DEP="$("$B" keys add deployer --mnemonic-file "$W/mnemonic" --keyring "$W/keyring.json" | cut -f2)"

read -r DEVNET_PORT < <(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
rm -rf "$W/devnet"
setsid "$B" devnet start --home "$W/devnet" --rpc "127.0.0.1:$DEVNET_PORT" --block-time-ms 300 \
  --chain-id bithive-devnet-1 --genesis-account "$DEP=1000000000000000ubhive" >"$W/devnet.log" 2>&1 &
DEVNET_PID=$!
cleanup() {
  kill -TERM "$DEVNET_PID" 2>/dev/null || true
  scripts/wasmd-net.sh stop "$W/wasmd" 2>/dev/null || true
}
trap cleanup EXIT
scripts/wasmd-net.sh start "$W/wasmd" --chain-id bithive-wasmd-1
# shellcheck source=/dev/null
source "$W/wasmd/wasmd-net.env"
DEVNET_RPC="http://127.0.0.1:$DEVNET_PORT"
for _ in $(seq 1 100); do curl -sf "$DEVNET_RPC/status" >/dev/null && break; sleep 0.2; done

deploy() { # NAME RPC CHAIN_ID
  local s
  s=$(date +%s.%N)
  "$B" deploy --rpc "$2" --chain-id "$3" --key deployer --keyring "$W/keyring.json" \
    --out "$W/deployment-$1.json" >"$W/deploy-$1.log" 2>&1 || { cat "$W/deploy-$1.log" >&2; exit 1; }
  awk -v a="$s" -v b="$(date +%s.%N)" -v n="$1" 'BEGIN { printf "bithive deploy on %s: %.1f s\n", n, b - a }'
}
deploy devnet "$DEVNET_RPC" bithive-devnet-1
deploy wasmd "$WASMD_RPC" "$WASMD_CHAIN_ID"

python3 - "$DEVNET_RPC" "$WASMD_RPC" "$DEP" <<'EOF'
import json, sys, urllib.parse, urllib.request
def txs(rpc, sender):
    out, page = [], 1
    while True:
        q = urllib.parse.quote(f"\"message.sender='{sender}'\"")
        with urllib.request.urlopen(f"{rpc}/tx_search?query={q}&per_page=100&page={page}&order_by=%22asc%22", timeout=30) as r:
            res = json.load(r)["result"]
        out += res["txs"]
        if len(out) >= int(res["total_count"]) or not res["txs"]:
            return out
        page += 1
d, w = (txs(r, sys.argv[3]) for r in sys.argv[1:3])
assert len(d) == len(w), (len(d), len(w))
def events(t, devnet):
    out = []
    for e in t["tx_result"]["events"]:
        a = [(x["key"], x["value"]) for x in e.get("attributes", []) if x["key"] != "msg_index"]
        if e["type"] in ("coin_spent", "coin_received", "transfer", "tx"):
            continue  # fee amounts and signatures differ with the gas
        if devnet and e["type"] == "message" and sorted(k for k, _ in a) == ["module", "sender"]:
            continue
        out.append((e["type"], a))
    return out
print("| # | message | devnet gas used | wasmd gas used | devnet / wasmd |")
print("|---|---|---|---|---|")
other = []
for i, (a, b) in enumerate(zip(d, w)):
    ga, gb = int(a["tx_result"]["gas_used"]), int(b["tx_result"]["gas_used"])
    kind = next((e["type"] for e in b["tx_result"]["events"] if e["type"] in ("store_code", "instantiate", "execute")), "?")
    print(f"| {i + 1} | {kind} | {ga} | {gb} | {ga / gb:.2f} |")
    if events(a, True) != events(b, False):
        other.append(i + 1)
    if a["tx_result"].get("data") != b["tx_result"].get("data"):
        print(f"tx {i + 1}: response data differs")
td, tw = (sum(int(t["tx_result"]["gas_used"]) for t in x) for x in (d, w))
print(f"| all | {len(d)} txs | {td} | {tw} | {td / tw:.2f} |")
print("txs whose events differ beyond msg_index and the extra message event:", other or "none",
      "(emission's instantiate carries the block time as `genesis`: it differs by nature)")
EOF
