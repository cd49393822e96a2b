#!/usr/bin/env bash
# BitChat across NATs (issue #46, item 3), test of record. The test builds its own internet in
# Linux network namespaces (veth pairs, nftables masquerade; only addresses inside them, no
# outside traffic): a public node (DHT server and relay) at 10.77.0.1, and three people, each
# behind a NAT router of their own: Alice and Bob behind ordinary (port-preserving) NATs, Carol
# behind a symmetric one (a fresh random port for every destination).
#   1. each reserves a relay slot and publishes a signed record in the DHT;
#   2. Alice finds Bob by his account id alone, reaches him through the relay, DCUtR punches a
#      hole, and later messages both ways travel on the direct path;
#   3. Alice finds Carol: no punch works through a symmetric NAT, messages still arrive, relayed;
#   4. Bob announces a chunk; Alice finds him as its provider through the DHT;
#   5. Bob goes away: Alice's message waits at the relay, sealed, and reaches him on return;
#   6. the same as people use it: `bithive chat` behind Alice's and Bob's NATs; Alice knows only
#      Bob's BitChat id, asks to talk, Bob accepts, they talk (MLS) and the chat punches through;
#      every file the two chat clients wrote is 0600 and holds no message in clear.
#   7. AutoNAT: a public node is told whether its bootstrap node can dial it back: yes on the
#      internet side, no behind a NAT (started as public by mistake, it warns); the same with
#      `bithive chat relay --p2p --bootstrap`, as an operator runs it.
# Needs root (namespaces) and nft (scripts/setup.sh installs it in the test profile).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
need() { command -v "$1" >/dev/null || { echo "bitchat-nat: $1 is missing ($2)" >&2; exit 1; }; }
need ip "Debian iproute2"
need nft "scripts/setup.sh installs nftables"
[ "$(id -u)" = 0 ] || { echo "bitchat-nat: network namespaces need root" >&2; exit 1; }
# shellcheck source=../lib/workspace-build.sh
source "$ROOT/scripts/lib/workspace-build.sh"
H="$(mktemp -d "${TMPDIR:-/tmp}/bitchat-nat.XXXXXX")"
workspace_binary bitchat-p2p "$H/bitchat-p2p"
workspace_binary bithive "$H/bithive"
B="$H/bitchat-p2p"
# Namespaces are named per run, so two runs on one machine do not collide.
P="bcn$$"
NS=("$P-inet" "$P-ra" "$P-rb" "$P-rc" "$P-a" "$P-b" "$P-c")
PIDS=()
cleanup() {
  local rc=$?
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  if [ "$rc" != 0 ]; then
    for n in relay alice bob carol alice-chat bob-chat dave erin grace frank; do
      echo "--- $n (stdout, then the last of stderr):" >&2
      cat "$H/$n.out" >&2 2>/dev/null || true
      tail -n 20 "$H/$n.err" >&2 2>/dev/null || true
    done
  fi
  for n in "${NS[@]}"; do ip netns del "$n" 2>/dev/null || true; done
  if [ "${BITCHAT_NAT_KEEP:-0}" = 1 ]; then echo "bitchat-nat: logs kept in $H" >&2; else rm -rf "$H"; fi
  exit "$rc"
}
trap cleanup EXIT

for n in "${NS[@]}"; do ip netns add "$n"; ip -n "$n" link set lo up; done
ip -n "$P-inet" addr add 10.77.0.1/32 dev lo
ip netns exec "$P-inet" sysctl -qw net.ipv4.ip_forward=1
# router NAME INDEX MASQUERADE-FLAGS: a NAT router between the internet and one home network.
router() {
  local r="$P-r$1" h="$P-$1" i="$2" flags="$3"
  ip link add "up$1$$" type veth peer name "in$1$$"
  ip link set "up$1$$" netns "$r"; ip link set "in$1$$" netns "$P-inet"
  ip -n "$P-inet" addr add "10.77.$i.1/24" dev "in$1$$"; ip -n "$P-inet" link set "in$1$$" up
  ip -n "$r" addr add "10.77.$i.2/24" dev "up$1$$"; ip -n "$r" link set "up$1$$" up
  ip -n "$r" route add default via "10.77.$i.1"
  ip link add "dn$1$$" type veth peer name "hm$1$$"
  ip link set "dn$1$$" netns "$r"; ip link set "hm$1$$" netns "$h"
  ip -n "$r" addr add "192.168.$i.1/24" dev "dn$1$$"; ip -n "$r" link set "dn$1$$" up
  ip -n "$h" addr add "192.168.$i.2/24" dev "hm$1$$"; ip -n "$h" link set "hm$1$$" up
  ip -n "$h" route add default via "192.168.$i.1"
  ip netns exec "$r" sysctl -qw net.ipv4.ip_forward=1
  ip netns exec "$r" nft -f - <<NFT
table ip nat {
  chain postrouting { type nat hook postrouting priority srcnat; oifname "up$1$$" masquerade $flags; }
}
table ip filter {
  # As home routers do: unsolicited packets from outside are dropped, and so leave no
  # connection-tracking entry that would make the NAT pick another port for the next flow.
  chain input { type filter hook input priority filter; iifname "up$1$$" ct state new drop; }
}
NFT
}
router a 1 ""
router b 2 ""
router c 3 "fully-random"

json() { python3 -c 'import json,sys; print(json.load(sys.stdin)[sys.argv[1]])' "$1"; }
for n in relay alice bob carol; do "$B" new-key --key-file "$H/$n.key" > "$H/$n.id"; done
RELAY_PEER="$(json peer < "$H/relay.id")"
ACC_A="$(json account < "$H/alice.id")"; ACC_B="$(json account < "$H/bob.id")"; ACC_C="$(json account < "$H/carol.id")"
BOOT="/ip4/10.77.0.1/udp/4001/quic-v1/p2p/$RELAY_PEER"

# start NAME NAMESPACE ARGS...: a node whose stdin is a fifo we write commands to.
start() {
  local n="$1" ns="$2"; shift 2
  mkfifo "$H/$n.in"
  RUST_LOG="${BITCHAT_NAT_LOG:-warn}" ip netns exec "$ns" "$B" run --key-file "$H/$n.key" "$@" \
    < "$H/$n.in" > "$H/$n.out" 2> "$H/$n.err" &
  PIDS+=($!)
  exec {fd}> "$H/$n.in"
  eval "FD_$n=$fd"
}
say() { local fd="FD_$1"; echo "$2" >&"${!fd}"; }
# wait_for NAME EVENT [KEY=VALUE...] [--within SECONDS]: until NAME printed that event with
# those fields (a field value may be a prefix followed by '*').
wait_for() {
  local n="$1" ev="$2" limit=30 i; shift 2
  local fields=()
  while [ $# -gt 0 ]; do
    if [ "$1" = --within ]; then limit="$2"; shift 2; else fields+=("$1"); shift; fi
  done
  for ((i = 0; i < limit * 5; i++)); do
    if has "$n" "$ev" "${fields[@]}"; then return 0; fi
    sleep 0.2
  done
  echo "bitchat-nat: $n did not print event $ev ${fields[*]} within ${limit}s" >&2
  return 1
}
# wait_any SECONDS "NAME EVENT [KEY=VALUE...]"...: until any one of them was printed.
wait_any() {
  local limit="$1" i spec; shift
  for ((i = 0; i < limit * 5; i++)); do
    for spec in "$@"; do
      # shellcheck disable=SC2086 # a spec is words on purpose
      if has $spec; then return 0; fi
    done
    sleep 0.2
  done
  echo "bitchat-nat: none of [$*] within ${limit}s" >&2
  return 1
}
has() {
  python3 - "$H/$1.out" "${@:2}" <<'PY'
import json, sys
path, ev, *fields = sys.argv[1:]
want = [f.split("=", 1) for f in fields]
def match(v, w):
    v = v if isinstance(v, str) else json.dumps(v)
    return v.startswith(w[:-1]) if w.endswith("*") else (v == w or (w in v and v.startswith("[")))
try:
    lines = open(path).read().splitlines()
except FileNotFoundError:
    sys.exit(1)
for line in lines:
    try:
        o = json.loads(line)
    except ValueError:
        continue
    if o.get("event") == ev and all(k in o and match(o[k], w) for k, w in want):
        sys.exit(0)
sys.exit(1)
PY
}
t0=$(date +%s.%N)
elapsed() { python3 -c "import sys; print(f'{float(sys.argv[2]) - float(sys.argv[1]):.1f}')" "$t0" "$(date +%s.%N)"; }

start relay "$P-inet" --public --listen /ip4/10.77.0.1/udp/4001/quic-v1 --data-dir "$H/relay-data"
wait_for relay listening
start alice "$P-a" --listen /ip4/0.0.0.0/udp/4001/quic-v1 --bootstrap "$BOOT"
start bob "$P-b" --listen /ip4/0.0.0.0/udp/4001/quic-v1 --bootstrap "$BOOT"
BOB_PID="${PIDS[-1]}"
start carol "$P-c" --listen /ip4/0.0.0.0/udp/4001/quic-v1 --bootstrap "$BOOT"
for n in alice bob carol; do wait_for "$n" published --within 60; done
echo "bitchat-nat: all three behind NATs published their relay circuits ($(elapsed) s)"

# 2. Alice -> Bob by account id: relayed first, then punched.
say alice "send $ACC_B hello-bob-1"
wait_for bob received from="$ACC_A" text=hello-bob-1
wait_for alice sent text=hello-bob-1
echo "bitchat-nat: Bob got Alice's first message, found by account id alone ($(elapsed) s)"
wait_any 60 "alice direct account=$ACC_B" "bob direct account=$ACC_A"
echo "bitchat-nat: hole punched between Alice and Bob ($(elapsed) s)"
say alice "send $ACC_B hello-bob-2"
wait_for alice sent text=hello-bob-2 path=direct
wait_for bob received text=hello-bob-2 path=direct
say bob "send $ACC_A hello-alice"
wait_for alice received from="$ACC_B" text=hello-alice path=direct
wait_for bob sent text=hello-alice path=direct
echo "bitchat-nat: both ways on the direct path ($(elapsed) s)"

# 3. Alice -> Carol behind a symmetric NAT: the punch fails, the relay carries on.
say alice "send $ACC_C hello-carol-1"
wait_for carol received from="$ACC_A" text=hello-carol-1 path=relayed
wait_any 90 "alice punch_failed account=$ACC_C" "carol punch_failed account=$ACC_A"
say alice "send $ACC_C hello-carol-2"
wait_for alice sent text=hello-carol-2 path=relayed
wait_for carol received text=hello-carol-2 path=relayed
say carol "send $ACC_A hello-from-carol"
wait_for alice received from="$ACC_C" text=hello-from-carol path=relayed
if has alice direct account="$ACC_C" || has carol direct account="$ACC_A"; then
  echo "bitchat-nat: a punch through the symmetric NAT claimed success" >&2; exit 1
fi
echo "bitchat-nat: Carol behind a symmetric NAT: no punch, messages relayed both ways ($(elapsed) s)"

# 4. Chunk providers through the DHT.
CHUNK="$(printf 'a chunk Bob holds' | sha256sum | cut -d' ' -f1)"
say bob "provide $CHUNK"
wait_for bob providing
# (Announcing is fire and forget in Kademlia: Alice asks again until the server has filed it.)
for ((i = 0; i < 20; i++)); do
  say alice "providers $CHUNK"
  if wait_for alice providers accounts="$ACC_B" --within 1 2>/dev/null; then break; fi
done
wait_for alice providers accounts="$ACC_B" --within 1
echo "bitchat-nat: Alice found Bob as the provider of a chunk through the DHT ($(elapsed) s)"
# 5. Bob goes away: what Alice sends waits at his relay, sealed, and reaches him when he is back.
kill -TERM "$BOB_PID"; wait "$BOB_PID" 2>/dev/null || true
say alice "send $ACC_B while-you-were-away"
wait_for alice sent text=while-you-were-away path=stored --within 60
for f in "$H"/relay-data/*; do
  [ "$(stat -c %a "$f")" = 600 ] || { echo "bitchat-nat: $f is not 0600" >&2; exit 1; }
  if grep -q while-you-were-away "$f"; then echo "bitchat-nat: $f holds the message in clear" >&2; exit 1; fi
done
mv "$H/bob.out" "$H/bob-before.out"; rm -f "$H/bob.in"
start bob "$P-b" --listen /ip4/0.0.0.0/udp/4001/quic-v1 --bootstrap "$BOOT"
wait_for bob received from="$ACC_A" text=while-you-were-away path=stored
echo "bitchat-nat: a message for Bob while he was away waited at the relay (sealed, 0600) and reached him on return ($(elapsed) s)"

# 6. `bithive chat` behind the same NATs, as people use it: commands typed in, lines read out.
for n in alice bob; do
  "$H/bithive" keys add "$n" --keyring "$H/$n-keys.json" >/dev/null <<<"$(
    [ "$n" = alice ] && echo "abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about" \
      || echo "legal winner thank year wave sausage worth useful legal winner thank yellow")"
done
# chat NAME NAMESPACE: `bithive chat run` whose stdin is a fifo we type into.
chat() {
  local n="$1-chat" ns="$2"
  mkfifo "$H/$n.in"
  RUST_LOG="${BITCHAT_NAT_LOG:-warn}" ip netns exec "$ns" "$H/bithive" chat run --keyring "$H/$1-keys.json" \
    --key "$1" --home "$H/$n-home" --listen 0.0.0.0:4002 --bootstrap "$BOOT" \
    < "$H/$n.in" > "$H/$n.out" 2> "$H/$n.err" &
  PIDS+=($!)
  exec {fd}> "$H/$n.in"
  eval "FD_${1}_chat=$fd"
}
type_in() { local fd="FD_${1}_chat"; echo "$2" >&"${!fd}"; }
# shows NAME TEXT [SECONDS]: until NAME's chat printed a line containing TEXT.
shows() {
  local i
  for ((i = 0; i < ${3:-30} * 5; i++)); do
    if grep -qF -- "$2" "$H/$1-chat.out" 2>/dev/null; then return 0; fi
    sleep 0.2
  done
  echo "bitchat-nat: '$2' did not appear in $1's chat within ${3:-30}s" >&2
  return 1
}
chat alice "$P-a"
chat bob "$P-b"
shows alice "people can now find you by your BitChat id" 60
shows bob "people can now find you by your BitChat id" 60
BOB_ID="$(sed -n 's/.*BitChat id \([0-9a-f]\{40\}\);.*/\1/p' "$H/bob-chat.out")"
ALICE_ADDR="$(sed -n 's/^BitChat: you are \([a-z0-9]*\),.*/\1/p' "$H/alice-chat.out")"
BOB_ADDR="$(sed -n 's/^BitChat: you are \([a-z0-9]*\),.*/\1/p' "$H/bob-chat.out")"
type_in alice "/contact $BOB_ID"
shows bob "$ALICE_ADDR asks to talk"
type_in bob "/accept 1"
shows alice "you joined #"
type_in bob "Hello Alice, through two NATs."
shows alice "$BOB_ADDR: Hello Alice, through two NATs."
type_in alice "Hi Bob, the lab results are in."
shows bob "$ALICE_ADDR: Hi Bob, the lab results are in."
shows alice "direct path to $BOB_ADDR" 60 || shows bob "direct path to $ALICE_ADDR" 1
type_in alice "Now on the direct path."
shows bob "$ALICE_ADDR: Now on the direct path."
for n in alice bob; do type_in "$n" "/quit"; shows "$n" "bye"; done
bad=0
while IFS= read -r -d '' f; do
  [ "$(stat -c %a "$f")" = 600 ] || { echo "bitchat-nat: $f is not 0600" >&2; bad=1; }
  for needle in "through two NATs" "lab results" "direct path."; do
    hexed="$(printf '%s' "$needle" | od -An -tx1 | tr -d ' \n')"
    if grep -qF -- "$needle" "$f" || grep -qF -- "$hexed" "$f"; then
      echo "bitchat-nat: $f holds \"$needle\" in clear" >&2; bad=1
    fi
  done
done < <(find "$H/alice-chat-home" "$H/bob-chat-home" -type f -print0)
[ "$bad" = 0 ]
echo "bitchat-nat: bithive chat behind two NATs: Alice found Bob by his BitChat id, they talked, the chat punched through; their files sealed, 0600 ($(elapsed) s)"

# 7. AutoNAT: a public node checks it is reachable where it says, through its bootstrap node
# (which dials it back from a fresh port). Dave, a second public node on the internet side, is
# told `public`; Erin, started as public behind Alice's NAT by mistake, is told `private` (the
# router drops the unsolicited dial-back), and says so.
for n in dave erin; do "$B" new-key --key-file "$H/$n.key" > "$H/$n.id"; done
start dave "$P-inet" --public --listen /ip4/10.77.0.1/udp/4003/quic-v1 --bootstrap "$BOOT"
start erin "$P-a" --public --listen /ip4/0.0.0.0/udp/4003/quic-v1 --bootstrap "$BOOT"
wait_for dave reachability status=public "addr=/ip4/10.77.0.1/udp/4003/quic-v1*" --within 60
wait_for erin reachability status=private --within 90
grep -q "not reachable" "$H/erin.err" || { echo "bitchat-nat: Erin did not warn that she is not reachable" >&2; exit 1; }
if has erin reachability status=public; then echo "bitchat-nat: Erin behind a NAT was told she is public" >&2; exit 1; fi
echo "bitchat-nat: AutoNAT: the public node is told it is reachable, the one behind a NAT that it is not ($(elapsed) s)"
# The same as an operator sees it: `bithive chat relay --p2p --bootstrap` says what was found.
# relay_p2p NAME NAMESPACE KEY LISTEN ADVERTISE
relay_p2p() {
  RUST_LOG="${BITCHAT_NAT_LOG:-warn}" ip netns exec "$2" "$H/bithive" chat relay --p2p \
    --keyring "$H/$3-keys.json" --key "$3" --home "$H/$1-home" --listen "$4" --advertise "$5" \
    --bootstrap "$BOOT" > "$H/$1.out" 2> "$H/$1.err" &
  PIDS+=($!)
}
# says NAME TEXT: until NAME printed a line containing TEXT (60 s).
says() {
  local i
  for ((i = 0; i < 300; i++)); do
    if grep -qF -- "$2" "$H/$1.out" 2>/dev/null; then return 0; fi
    sleep 0.2
  done
  echo "bitchat-nat: '$2' did not appear in $1's output within 60 s" >&2
  return 1
}
relay_p2p grace "$P-inet" alice 10.77.0.1:4005 10.77.0.1:4005
relay_p2p frank "$P-b" bob 0.0.0.0:4005 192.168.2.2:4005
says grace "reachable: a bootstrap node dialled this node back at /ip4/10.77.0.1/udp/4005/quic-v1"
says frank "! not reachable: no bootstrap node could dial this node back"
if grep -qF "reachable: a bootstrap" "$H/frank.out" || grep -qF "! not reachable" "$H/grace.out"; then
  echo "bitchat-nat: a relay was told the other's answer" >&2; exit 1
fi
echo "bitchat-nat: bithive chat relay --p2p: the operator is told the node is reachable, or that it is not and what to open ($(elapsed) s)"

# Nothing an attacker could feed the DHT was refused here: this run had none.
if grep -h '"event":"error"' "$H"/*.out >&2; then echo "bitchat-nat: a command failed" >&2; exit 1; fi
echo "bitchat-nat: passed in $(elapsed) s"
