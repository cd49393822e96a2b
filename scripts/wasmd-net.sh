#!/usr/bin/env bash
# A local single-validator wasmd chain (test tooling, like the devnet but the real x/wasm).
#
#   scripts/wasmd-net.sh start HOME [--chain-id ID] [--account ADDR=COINS]... [--block-ms N]
#   scripts/wasmd-net.sh stop HOME
#   scripts/wasmd-net.sh env HOME        # prints the chain's facts as shell assignments
#
# start initialises a fresh chain in HOME (HOME/node is wiped first), funds the validator, the
# test deployer (the Cosmos SDK docs' test mnemonic "abandon ... about", key `deployer` in the
# node's test keyring, file HOME/deployer.mnemonic) and every --account, then runs `wasmd start`
# in the background with RPC, REST and gRPC on free loopback ports (p2p on loopback, pprof off)
# and waits for the first blocks. HOME/wasmd-net.env holds WASMD_RPC, WASMD_REST, WASMD_GRPC,
# WASMD_CHAIN_ID, WASMD_DENOM, WASMD_PREFIX, WASMD_BIN, WASMD_NODE_HOME, WASMD_DEPLOYER, for tests
# to source. Two chains side by side: two HOMEs and two chain ids. The node log is HOME/wasmd.log.
# WASMD_BIN picks the binary; otherwise scripts/wasmd-build.sh builds or reuses the pinned one
# (WASMD_PREFIX=wasm: a chain whose addresses start with wasm1...).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DENOM=ubhive
MIN_GAS_PRICE=0.025
TEST_MNEMONIC="abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about"
log() { printf '\033[1;35m[wasmd-net]\033[0m %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }
usage() { sed -n '4,7p' "$0" | sed 's/^# *//' >&2; exit 2; }

[ $# -ge 2 ] || usage
cmd="$1"
mkdir -p "$2"
HOME_DIR="$(cd "$2" && pwd)"
shift 2
NODE="$HOME_DIR/node"
PIDFILE="$HOME_DIR/wasmd.pid"
ENVFILE="$HOME_DIR/wasmd-net.env"

running() { [ -f "$PIDFILE" ] && kill -0 "$(cat "$PIDFILE")" 2>/dev/null; }

stop() {
  if running; then
    local pid
    pid="$(cat "$PIDFILE")"
    kill -TERM "$pid"
    for _ in $(seq 1 100); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.2
    done
    if kill -0 "$pid" 2>/dev/null; then
      log "wasmd (pid $pid) ignored SIGTERM for 20 s: SIGKILL"
      kill -KILL "$pid" 2>/dev/null || true
    fi
    log "stopped wasmd (pid $pid) in $HOME_DIR"
  else
    log "no wasmd running in $HOME_DIR"
  fi
  rm -f "$PIDFILE"
}

# free_ports N: N distinct free TCP ports on 127.0.0.1 (bound together, then released).
free_ports() {
  python3 - "$1" <<'EOF'
import socket, sys
socks = []
for _ in range(int(sys.argv[1])):
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    socks.append(s)
print(" ".join(str(s.getsockname()[1]) for s in socks))
EOF
}

start() {
  local chain_id=bithive-wasmd-1 block_ms=300 accounts=()
  while [ $# -gt 0 ]; do
    case "$1" in
      --chain-id) chain_id="$2"; shift 2 ;;
      --account) accounts+=("$2"); shift 2 ;;
      --block-ms) block_ms="$2"; shift 2 ;;
      *) usage ;;
    esac
  done
  running && die "wasmd already running in $HOME_DIR (pid $(cat "$PIDFILE")): stop it first"
  local bin="${WASMD_BIN:-}"
  [ -n "$bin" ] || bin="$("$ROOT/scripts/wasmd-build.sh")"
  [ -x "$bin" ] || die "wasmd binary $bin is not executable"
  log "$("$bin" version --long 2>&1 | grep -E '^(name|version|go|build_tags):' | tr '\n' ' ')"

  rm -rf "$NODE"
  local w=("$bin" --home "$NODE")
  "${w[@]}" init validator --chain-id "$chain_id" --default-denom "$DENOM" >/dev/null 2>&1 \
    || die "wasmd init failed"
  "${w[@]}" keys add validator --keyring-backend test >/dev/null 2>&1
  printf '%s\n' "$TEST_MNEMONIC" | "${w[@]}" keys add deployer --recover --keyring-backend test >/dev/null 2>&1
  local val deployer
  val="$("${w[@]}" keys show validator -a --keyring-backend test)"
  deployer="$("${w[@]}" keys show deployer -a --keyring-backend test)"
  local prefix="${deployer%%1*}"
  "${w[@]}" genesis add-genesis-account "$val" "1000000000000000$DENOM" >/dev/null
  "${w[@]}" genesis add-genesis-account "$deployer" "1000000000000000$DENOM" >/dev/null
  for a in "${accounts[@]}"; do
    "${w[@]}" genesis add-genesis-account "${a%%=*}" "${a#*=}" >/dev/null
  done
  "${w[@]}" genesis gentx validator "1000000000$DENOM" --chain-id "$chain_id" \
    --keyring-backend test >/dev/null 2>&1 || die "gentx failed"
  "${w[@]}" genesis collect-gentxs >/dev/null 2>&1 || die "collect-gentxs failed"
  "${w[@]}" genesis validate-genesis >/dev/null || die "genesis invalid"

  local rpc p2p rest grpc
  read -r rpc p2p rest grpc < <(free_ports 4)
  local cfg="$NODE/config/config.toml" app="$NODE/config/app.toml"
  # Only loopback listeners; pprof off; fast blocks.
  sed -i \
    -e "s#^laddr = \"tcp://127.0.0.1:26657\"#laddr = \"tcp://127.0.0.1:$rpc\"#" \
    -e "s#^laddr = \"tcp://0.0.0.0:26656\"#laddr = \"tcp://127.0.0.1:$p2p\"#" \
    -e "s#^pprof_laddr = .*#pprof_laddr = \"\"#" \
    -e "s#^proxy_app = .*#proxy_app = \"\"#" \
    -e "s#^timeout_commit = .*#timeout_commit = \"${block_ms}ms\"#" \
    -e "s#^timeout_propose = .*#timeout_propose = \"1s\"#" \
    -e "s#^addr_book_strict = .*#addr_book_strict = false#" \
    -e "s#^allow_duplicate_ip = .*#allow_duplicate_ip = true#" \
    -e "s#^pex = .*#pex = false#" \
    "$cfg"
  # app.toml: the API (REST) and gRPC sections each have one `enable` and one `address`.
  awk -v rest="$rest" -v grpc="$grpc" -v gp="$MIN_GAS_PRICE$DENOM" '
    /^\[/ { sec = $0 }
    /^minimum-gas-prices = / { print "minimum-gas-prices = \"" gp "\""; next }
    sec == "[api]" && /^enable = / { print "enable = true"; next }
    sec == "[api]" && /^address = / { print "address = \"tcp://127.0.0.1:" rest "\""; next }
    sec == "[grpc]" && /^enable = / { print "enable = true"; next }
    sec == "[grpc]" && /^address = / { print "address = \"127.0.0.1:" grpc "\""; next }
    sec == "[telemetry]" && /^enabled = / { print "enabled = false"; next }
    { print }' "$app" >"$app.new" && mv "$app.new" "$app"
  grep -q "127.0.0.1:$rpc\"" "$cfg" && grep -q "127.0.0.1:$p2p\"" "$cfg" \
    && grep -q "127.0.0.1:$rest\"" "$app" && grep -q "127.0.0.1:$grpc\"" "$app" \
    || die "could not set the listen addresses in $cfg / $app (config layout changed?)"

  printf '%s\n' "$TEST_MNEMONIC" >"$HOME_DIR/deployer.mnemonic"
  chmod 600 "$HOME_DIR/deployer.mnemonic"
  cat >"$ENVFILE" <<EOF
WASMD_CHAIN_ID=$chain_id
WASMD_RPC=http://127.0.0.1:$rpc
WASMD_REST=http://127.0.0.1:$rest
WASMD_GRPC=127.0.0.1:$grpc
WASMD_P2P=127.0.0.1:$p2p
WASMD_DENOM=$DENOM
WASMD_PREFIX=$prefix
WASMD_MIN_GAS_PRICE=$MIN_GAS_PRICE
WASMD_BIN=$bin
WASMD_NODE_HOME=$NODE
WASMD_DEPLOYER=$deployer
WASMD_DEPLOYER_MNEMONIC_FILE=$HOME_DIR/deployer.mnemonic
EOF

  # setsid: the node gets its own process group, so a test's ctrl-c does not race our stop.
  setsid "$bin" start --home "$NODE" --log_level warn >"$HOME_DIR/wasmd.log" 2>&1 </dev/null &
  echo $! >"$PIDFILE"
  log "wasmd pid $! chain $chain_id rpc http://127.0.0.1:$rpc rest :$rest grpc :$grpc (log $HOME_DIR/wasmd.log)"
  local h=0
  for _ in $(seq 1 300); do
    running || { tail -n 30 "$HOME_DIR/wasmd.log" >&2; die "wasmd exited during start"; }
    h="$(curl -sf "http://127.0.0.1:$rpc/status" | jq -r '.result.sync_info.latest_block_height' 2>/dev/null || echo 0)"
    [ "${h:-0}" -ge 2 ] 2>/dev/null && break
    sleep 0.2
  done
  [ "${h:-0}" -ge 2 ] 2>/dev/null || { tail -n 30 "$HOME_DIR/wasmd.log" >&2; stop; die "no block 2 within 60 s"; }
  log "chain $chain_id at height $h"
}

case "$cmd" in
  start) start "$@" ;;
  stop) stop ;;
  env) [ -f "$ENVFILE" ] || die "no $ENVFILE: start the chain first"; cat "$ENVFILE" ;;
  *) usage ;;
esac
